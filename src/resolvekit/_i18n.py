"""Message catalogs: marking, locale fallback, the built-in catalogs and rendering with them.

Every user-facing string in resolvekit is written in English as a gettext message id and marked with
:func:`N_` (or ``_`` where it is translated at once) so ``pybabel extract`` finds it. Rendering looks the
id up in the compiled catalogs along the wanted locale's fallback chain (:func:`locale_chain`) and
formats its ``{named}`` placeholders.

This module knows only the catalogs shipped inside the package (``locale/<locale>/LC_MESSAGES``). The
catalogs a host adds through the ``resolvekit_catalog`` hook belong to its application object; they are
consulted by :class:`resolvekit.localization.Localizer`, never here. babel is imported only when a
locale is first resolved, so ``import resolvekit`` stays light.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "SOURCE_LOCALE",
    "N_",
    "builtin_messages",
    "cache_clear",
    "catalog",
    "formatting_locale",
    "locale_chain",
    "messages",
    "normalize_locale",
    "render",
    "shipped_locales",
]

DOMAIN = "resolvekit"
LOCALE_DIR = Path(__file__).with_name("locale")
SOURCE_LOCALE = "en"
"""The language the message ids are written in; every fallback chain ends with it."""

_TAG = re.compile(r"[A-Za-z]{2,8}(?:_[A-Za-z0-9]{1,8})*")


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (it is translated when rendered)."""
    return message


def normalize_locale(locale: object) -> str | None:
    """``locale`` as a babel identifier (``"pt-br"`` -> ``"pt_BR"``), or ``None`` when it is not a locale tag.

    A well-formed tag that CLDR does not know (a host's own locale, say ``"tlh"``) is kept as written.
    """
    if not isinstance(locale, str):
        return None
    tag = locale.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    if not tag or tag in ("C", "POSIX") or not _TAG.fullmatch(tag):
        return None
    if tag == SOURCE_LOCALE:  # the common case, without importing babel
        return tag
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(tag))
    except (UnknownLocaleError, ValueError):
        parts = tag.split("_")
        return "_".join([parts[0].lower(), *parts[1:]])


@functools.lru_cache(maxsize=512)
def locale_chain(locale: str) -> tuple[str, ...]:
    """The locales whose catalogs are consulted for ``locale``, most specific first, ending with ``"en"``.

    The chain follows CLDR's parent locales as babel ships them, then the language alone, then any
    shipped catalog of the same language when none ships for the language itself, then English:

    * ``"es_MX"`` -> ``es_MX, es_419, es, en``
    * ``"pt_PT"`` -> ``pt_PT, pt, pt_BR, en`` (Brazilian Portuguese is closer than English)
    * ``"ar_SA"`` -> ``ar_SA, ar, en``
    * an unknown or malformed tag (``"xx"``, ``""``, ``None``) -> ``en``

    A host's catalogs (``resolvekit_catalog``) are asked for every locale of the chain, so a host can
    add ``"fr"`` or override ``"ar_SA"`` alone.
    """
    if locale == SOURCE_LOCALE:
        return (SOURCE_LOCALE,)
    tag = normalize_locale(locale)
    if tag is None:
        return (SOURCE_LOCALE,)
    from babel.core import get_global

    parents: Mapping[str, str] = get_global("parent_exceptions")
    chain: list[str] = []
    current: str | None = tag
    while current and current not in chain:
        chain.append(current)
        parent = parents.get(current)
        if parent is None:
            parent = current.rsplit("_", 1)[0] if "_" in current else None
        current = parent if parent != "root" else None
    language = tag.split("_", 1)[0]
    if language not in shipped_locales():
        chain.extend(s for s in shipped_locales() if s.split("_", 1)[0] == language and s not in chain)
    if SOURCE_LOCALE not in chain:
        chain.append(SOURCE_LOCALE)
    return tuple(chain)


@functools.lru_cache(maxsize=256)
def formatting_locale(locale: str) -> str:
    """The locale babel formats dates, numbers and money for: the first of the chain CLDR knows."""
    from babel import Locale, UnknownLocaleError

    for candidate in locale_chain(locale):
        try:
            return str(Locale.parse(candidate))
        except (UnknownLocaleError, ValueError):
            continue
    return SOURCE_LOCALE  # pragma: no cover - "en" is always known


def shipped_locales() -> tuple[str, ...]:
    """The locales resolvekit ships a compiled catalog for (``en``, ``ar``, ``es``, ``pt_BR``)."""
    return _shipped(str(LOCALE_DIR))


@functools.lru_cache(maxsize=8)
def _shipped(directory: str) -> tuple[str, ...]:
    return tuple(sorted(p.parent.parent.name for p in Path(directory).glob(f"*/LC_MESSAGES/{DOMAIN}.mo")))


def builtin_messages(locale: str) -> Mapping[str, str]:
    """The translations of the shipped catalog of exactly ``locale`` (empty when none ships)."""
    return _builtin(str(LOCALE_DIR), locale)


@functools.lru_cache(maxsize=64)
def _builtin(directory: str, locale: str) -> Mapping[str, str]:
    path = Path(directory) / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    table: dict[Any, str] = getattr(compiled, "_catalog", {})
    return {key: value for key, value in table.items() if isinstance(key, str) and key and value}


@functools.lru_cache(maxsize=64)
def catalog(locale: str = SOURCE_LOCALE) -> gettext.NullTranslations:
    """The shipped catalogs of ``locale``'s chain as one ``gettext`` object (for code that wants one).

    Catalogs are read-only once loaded, so they are cached per process.
    """
    from babel.support import Translations

    return Translations.load(str(LOCALE_DIR), locales=list(locale_chain(locale)), domain=DOMAIN)


def messages(locale: str) -> Mapping[str, str]:
    """Every shipped translation along ``locale``'s chain, merged (the most specific wins)."""
    return _merged(str(LOCALE_DIR), locale)


@functools.lru_cache(maxsize=64)
def _merged(directory: str, locale: str) -> Mapping[str, str]:
    merged: dict[str, str] = {}
    for candidate in reversed(locale_chain(locale)):
        merged.update(_builtin(directory, candidate))
    return merged


def render(message: str, params: Mapping[str, Any] | None = None, locale: str = SOURCE_LOCALE) -> str:
    """Translate ``message`` into ``locale`` with the shipped catalogs and fill its ``{named}`` placeholders.

    A host's catalogs are not consulted here: use the application's
    :class:`~resolvekit.localization.Localizer` for that.
    """
    text = messages(locale).get(message, message)
    return text.format_map(params) if params else text


def cache_clear() -> None:
    """Forget every loaded catalog and chain (after the files under ``LOCALE_DIR`` changed)."""
    for cached in (locale_chain, formatting_locale, _shipped, _builtin, catalog, _merged):
        cached.cache_clear()
