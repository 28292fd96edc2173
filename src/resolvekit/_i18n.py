"""Message catalogs: marking, loading and rendering user-facing strings.

Every user-facing string in resolvekit is written in English as a gettext message id and marked with
:func:`N_` (or ``_`` where it is translated at once) so ``pybabel extract`` finds it. Rendering looks the
id up in the compiled catalog of the wanted locale and formats its ``{named}`` placeholders.
babel is imported only when a catalog is first loaded, so ``import resolvekit`` stays light.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DOMAIN", "LOCALE_DIR", "N_", "catalog", "render"]

DOMAIN = "resolvekit"
LOCALE_DIR = Path(__file__).with_name("locale")


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (it is translated when rendered)."""
    return message


@functools.lru_cache(maxsize=32)
def catalog(locale: str = "en") -> gettext.NullTranslations:
    """Return the compiled catalog for ``locale``, falling back to the message ids (English).

    Catalogs are read-only once loaded, so they are cached per process.
    """
    from babel.support import Translations

    return Translations.load(str(LOCALE_DIR), locales=[locale, "en"], domain=DOMAIN)


def render(message: str, params: Mapping[str, Any] | None = None, locale: str = "en") -> str:
    """Translate ``message`` into ``locale`` and fill its ``{named}`` placeholders from ``params``."""
    text = catalog(locale).gettext(message)
    return text.format_map(params) if params else text
