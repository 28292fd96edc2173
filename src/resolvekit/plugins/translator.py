"""A reference translation plugin: deterministic, dictionary-based, for tests, demos and examples.

It is not registered by default (it would "translate" every host's messages); pass an instance in
``plugins=``. A real service plugs in the same way (see ``docs/i18n.md``)::

    translator = DictionaryTranslator({("en", "ar"): {"Thank you!": "شكرًا لك!"}})
    rk = ResolveKit(storage="memory://", plugins=[translator])

Phrases are looked up whole first, then sentence by sentence; a sentence it does not know stays as
it is, wrapped in ``[[...]]`` so a test sees what was not translated. ``calls`` records every
request, in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from resolvekit.hookspecs import hookimpl

__all__ = ["DictionaryTranslator"]

_SENTENCE = re.compile(r"(?<=[.!?؟])\s+")


def _language(locale: str) -> str:
    return locale.replace("-", "_").split("_", 1)[0].lower()


@attrs.define
class DictionaryTranslator:
    """Translates with a fixed dictionary per (source language, target language).

    ``phrases`` maps ``(source, target)`` language pairs (``("en", "ar")``) to ``{text: translation}``;
    pairs it has no entry for are not translated (the hook returns ``None``). ``calls`` records each
    ``(text, source_locale, target_locale)`` asked.
    """

    phrases: Mapping[tuple[str, str], Mapping[str, str]] = attrs.field(factory=dict)
    mark_unknown: bool = True
    calls: list[tuple[str, str, str]] = attrs.field(factory=list)

    @hookimpl
    def resolvekit_translate(self, text: str, source_locale: str, target_locale: str) -> str | None:
        """Translate ``text`` with the dictionary of the language pair, or ``None`` for an unknown pair."""
        self.calls.append((text, source_locale, target_locale))
        table = self.phrases.get((_language(source_locale), _language(target_locale)))
        if table is None:
            return None
        whole = table.get(text.strip())
        if whole is not None:
            return whole
        parts = []
        for sentence in _SENTENCE.split(text.strip()):
            known = table.get(sentence)
            parts.append(known if known is not None else f"[[{sentence}]]" if self.mark_unknown else sentence)
        return " ".join(parts)
