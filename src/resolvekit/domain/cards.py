"""Payment-card digits: what a self-service form may hold (the last four) and what it must refuse.

DOMAIN section 3: a "payment deducted without an order" ticket carries the last four digits of the
charged card, never more; a full card number must be refused and never stored. resolvekit is strict
on purpose (see ``docs/triage.md``):

* **A run of 13 or more digits** is treated as a card number, whether or not it passes the Luhn
  check, and however it is written: ``4111111111111111``, ``4111 1111 1111 1111``,
  ``4111-1111-1111-1111``, ``4111.1111.1111.1111``, split over lines, or in other scripts' digits
  (Arabic-Indic ``٤١١١...``, full-width, ...). Digits count as one run when at most
  :data:`MAX_SEPARATOR` separator characters (whitespace, ``-``, ``.``, ``/``, ``_``, ``,`` or an
  invisible character such as a zero-width space) stand between them.
  Runs longer than 19 digits are refused too, since a card number may hide inside them.
* **The last four** are exactly four decimal digits (any script, stored as ASCII ``0-9``), after
  trimming surrounding whitespace. Nothing else is accepted.

Nothing here echoes the text it inspects: callers raise errors that name the field, never the value.
"""

from __future__ import annotations

import re
import unicodedata

from resolvekit._i18n import N_
from resolvekit.errors import CardNumberRefused, ValidationError

__all__ = ["CARD_DIGITS_MIN", "MAX_SEPARATOR", "last_four_digits", "looks_like_card_number", "refuse_card_numbers"]

CARD_DIGITS_MIN = 13
"""The shortest digit run treated as a card number (the shortest card numbers in use have 13)."""

MAX_SEPARATOR = 2
"""How many separator characters may stand between two digits of one run."""

# Separators: whitespace, - . / _ , and the invisible characters that can hide between digits
# (soft hyphen, zero-width space/joiners, word joiner, byte-order mark).
_RUN = re.compile(r"\d(?:[\s\-./_,\u00ad\u200b-\u200d\u2060\ufeff]{0,%d}\d)*" % MAX_SEPARATOR)
_QUICK = re.compile(r"\d")


def looks_like_card_number(text: str) -> bool:
    """Whether ``text`` contains a run of :data:`CARD_DIGITS_MIN` or more digits (see the module doc)."""
    if not isinstance(text, str):
        return False
    digits = len(_QUICK.findall(text))
    if digits < CARD_DIGITS_MIN:
        return False
    for match in _RUN.finditer(text):
        run = match.group()
        if len(run) >= CARD_DIGITS_MIN and sum(ch.isdecimal() for ch in run) >= CARD_DIGITS_MIN:
            return True
    return False


def refuse_card_numbers(text: str, field: str) -> None:
    """Raise :class:`~resolvekit.errors.CardNumberRefused` (naming ``field`` only) if ``text`` holds a card number."""
    if looks_like_card_number(text):
        raise CardNumberRefused(field=field)


def last_four_digits(value: object, field: str = "card_last_four") -> str:
    """The last four digits of a card as ASCII ``"0000"``-``"9999"``, or a refusal naming ``field``.

    A value that looks like a full card number raises :class:`~resolvekit.errors.CardNumberRefused`;
    any other value that is not exactly four digits raises
    :class:`~resolvekit.errors.ValidationError`. Neither message repeats the value.
    """
    if not isinstance(value, str):
        raise ValidationError(N_("{field} must be text, not {type}."), field=field, type=type(value).__name__)
    refuse_card_numbers(value, field)
    text = value.strip()
    if len(text) != 4 or not all(ch.isdecimal() for ch in text):
        raise ValidationError(
            N_("{field} must be exactly the last four digits of the charged card (for example 4242), nothing else."),
            field=field,
        )
    return "".join(str(unicodedata.decimal(ch)) for ch in text)
