"""Canned responses: reply templates with named placeholders, checked when they are created."""

from __future__ import annotations

import string
from collections.abc import Mapping

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ValidationError

__all__ = ["PLACEHOLDERS", "CannedResponse"]

PLACEHOLDERS: frozenset[str] = frozenset({"customer_name", "order_number", "case_id", "store_name"})
"""The placeholders a canned response may use; values come from the case and its store."""


def _placeholders(body: str) -> frozenset[str]:
    try:
        fields = [field for _, field, spec, conv in string.Formatter().parse(body) if field is not None]
    except ValueError as exc:
        raise ValidationError(N_("The template is malformed: {reason}. Write placeholders as {{name}}."), reason=str(exc)) from None
    return frozenset(fields)


@attrs.frozen
class CannedResponse:
    """A predefined reply a merchant can send, e.g. ``"Hello {customer_name}, order {order_number} ..."``.

    Placeholders are checked here, when the template is created, not when it is sent: an unknown or
    positional placeholder raises :class:`~resolvekit.errors.ValidationError` naming it.
    """

    id: str
    title: str
    body: str

    def __attrs_post_init__(self) -> None:
        if not self.body.strip():
            raise ValidationError(N_("A canned response needs a body."))
        unknown = sorted(p or "{}" for p in _placeholders(self.body) if p not in PLACEHOLDERS)
        if unknown:
            raise ValidationError(
                N_("Unknown placeholder(s) {unknown} in canned response {id!r}; use only {allowed}."),
                unknown=", ".join(unknown),
                id=self.id,
                allowed=", ".join(sorted(PLACEHOLDERS)),
            )

    def render(self, values: Mapping[str, str]) -> str:
        """Fill the placeholders from ``values`` (every placeholder gets a value, possibly empty)."""
        return self.body.format_map({name: values.get(name, "") for name in PLACEHOLDERS})
