"""Free text a person writes (descriptions, replies, notes, offer texts, reasons, comments, file names).

Every command's shared text validation calls :func:`screen_text` once the text is trimmed and its
length checked, so the rules below hold for every free-text field before anything is stored,
logged or notified:

* **Control characters** (C0 and C1 except tab, line feed and carriage return), the direction
  overrides and isolates that can disguise text (U+202A-U+202E, U+2066-U+2069, "Trojan Source") and
  unpaired surrogates (which no database can store as text) are refused with
  :class:`~resolvekit.errors.TextRefused`.
* **Payment-card numbers**: a Luhn-valid run of 13 to 19 digits, written with or without spaces,
  dashes, dots or slashes between groups (the runs :mod:`resolvekit.domain.cards` finds), is masked
  (``**** **** **** 1111``: every digit but the last four) or, when
  ``Policy.security.card_numbers`` is ``"refuse"``, refused with
  :class:`~resolvekit.errors.CardNumberRefused`. Consecutive digit groups are tried, so a card
  number followed by its expiry date or security code is still found; a run glued to letters is
  part of an identifier (a hexadecimal id, a SKU, a parcel number) and is left alone.

Free text is checked with the Luhn test so that order numbers, phone numbers and parcel tracking
numbers stay readable; the self-service form fields that hold card data are stricter (any run of 13
or more digits, see :mod:`resolvekit.domain.cards`). Nothing here echoes the text it inspects.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from resolvekit.domain.cards import _RUN  # one definition of a digit run, shared with the form checks
from resolvekit.errors import CardNumberRefused, TextRefused

if TYPE_CHECKING:
    from resolvekit.domain.policy import Policy

__all__ = ["CARD_DIGITS_MAX", "MASK", "card_number_spans", "mask_card_numbers", "screen_text"]

CARD_DIGITS_MAX = 19
"""The longest card number (ISO/IEC 7812); runs are checked for 13 to 19 digits."""

MASK = "*"
"""What a masked digit becomes."""

_CARD_DIGITS_MIN = 13
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_DIGIT = re.compile(r"\d")
_GROUP = re.compile(r"\d+")
_ASCII_DIGITS = b"0123456789"


def _enough_digits(text: str) -> bool:
    r"""Whether ``text`` holds at least as many digits (``\d``) as the shortest card number.

    Most text is ASCII, where ``\d`` is just 0-9: those are counted without the regex engine.
    """
    if text.isascii():
        return len(text) - len(text.encode().translate(None, _ASCII_DIGITS)) >= _CARD_DIGITS_MIN
    return len(_DIGIT.findall(text)) >= _CARD_DIGITS_MIN


def _luhn(digits: list[int]) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_number_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` character spans of ``text`` that hold a card number (see the module doc)."""
    if len(text) < _CARD_DIGITS_MIN or not _enough_digits(text):
        return []
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start(), m.group()) for m in _GROUP.finditer(run.group())]
        if sum(len(g[2]) for g in groups) < _CARD_DIGITS_MIN:
            continue
        first = 0
        while first < len(groups):
            digits: list[int] = []
            found = None
            for last in range(first, len(groups)):
                digits.extend(unicodedata.decimal(ch) for ch in groups[last][2])
                if len(digits) > CARD_DIGITS_MAX:
                    break
                if len(digits) >= _CARD_DIGITS_MIN and _luhn(digits):
                    found = last
                    break
            if found is None:
                first += 1
                continue
            start, end = groups[first][0], groups[found][1]
            if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
                spans.append((start, end))  # glued to letters, it is part of an identifier (a hex id, a SKU)
                first = found + 1
            else:
                first += 1
    return spans


def mask_card_numbers(text: str) -> str:
    """``text`` with every digit of each card number but the last four replaced by :data:`MASK`."""
    spans = card_number_spans(text)
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        positions = [i for i in range(start, end) if chars[i].isdecimal()]
        for i in positions[:-4]:
            chars[i] = MASK
    return "".join(chars)


def screen_text(text: str, field: str, policy: Policy) -> str:
    """Refuse control characters in ``text`` and mask (or refuse, per policy) card numbers in it.

    ``text`` is already trimmed and within its length limit; ``field`` names it in the error.
    """
    if not (text.isascii() and text.isprintable()) and _FORBIDDEN.search(text):  # (printable ASCII has none of them)
        raise TextRefused(field=field)
    if card_number_spans(text):
        if policy.security.card_numbers == "refuse":
            raise CardNumberRefused(field=field)
        return mask_card_numbers(text)
    return text
