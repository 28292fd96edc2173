"""Canned responses: reply templates with named placeholders, checked when they are created and saved.

A template is written once per store and locale (``"delay"`` in English and in Arabic, say) and
always personalised when sent (DOMAIN section 7): its placeholders are filled from the case, the
order and the store. Every check happens before a template is stored, never when it is sent:

* when a :class:`CannedResponse` is built: a body, well-formed braces, only known placeholders;
* when it is saved for a store (:func:`check_template`): the customer's name is used (templates are
  always personalised), and every locale version of one template uses the same placeholders, so a
  translation cannot silently drop the order number or the amount.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import ValidationError

__all__ = ["PLACEHOLDERS", "REQUIRED_PLACEHOLDERS", "CannedResponse", "check_template", "placeholders"]

PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "customer_name",
        "order_number",
        "case_id",
        "store_name",
        "order_total",
        "offer_amount",
        "offer_expires_at",
        "deadline",
    }
)
"""The placeholders a canned response may use. ``customer_name``, ``order_number`` and ``case_id``
come from the case, ``store_name`` from the store; ``order_total`` (what the order cost) and
``offer_amount`` (the latest offer's amount) are money, ``offer_expires_at`` (when the latest offer
expires) and ``deadline`` (the case's next response deadline) dates and times, all formatted for the
template's locale and the customer's time zone. A placeholder the case has no value for is left empty."""

REQUIRED_PLACEHOLDERS: frozenset[str] = frozenset({"customer_name"})
"""What a stored template must use: replies are always personalised (DOMAIN section 7)."""


def placeholders(body: str) -> frozenset[str]:
    """The placeholder names ``body`` uses; a malformed body raises :class:`~resolvekit.errors.ValidationError`."""
    try:
        fields = [field for _, field, spec, conv in string.Formatter().parse(body) if field is not None]
    except ValueError as exc:
        raise ValidationError(N_("The template is malformed: {reason}. Write placeholders as {{name}}."), reason=str(exc)) from None
    return frozenset(fields)


def _text(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(N_("A canned response needs a {field}."), field=attribute.name)


def _optional_text(_: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValidationError(N_("{field} must be a non-empty string."), field=attribute.name)


def _locale(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(N_("A locale is a tag such as 'ar', 'pt_BR' or 'es-MX', got {value!r}."), value=value)
    return value.strip().replace("-", "_")


@attrs.frozen
class CannedResponse:
    """A predefined reply a merchant can send, e.g. ``"Hello {customer_name}, order {order_number} ..."``.

    Placeholders are checked here, when the template is created, not when it is sent: an unknown or
    positional placeholder raises :class:`~resolvekit.errors.ValidationError` naming it. A template
    saved for a store (``ResolveKit.save_template``) has its ``store_id`` and ``locale``; one built
    on the spot for :meth:`ResolveKit.reply_canned` needs neither.
    """

    id: str = attrs.field(validator=_text)
    title: str = attrs.field(validator=_text)
    body: str
    store_id: str | None = attrs.field(default=None, kw_only=True, validator=_optional_text)
    locale: str = attrs.field(default="en", kw_only=True, converter=_locale)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.body, str) or not self.body.strip():
            raise ValidationError(N_("A canned response needs a body."))
        unknown = sorted(p or "{}" for p in placeholders(self.body) if p not in PLACEHOLDERS)
        if unknown:
            raise ValidationError(
                N_("Unknown placeholder(s) {unknown} in canned response {id!r}; use only {allowed}."),
                unknown=", ".join(unknown),
                id=self.id,
                allowed=", ".join(sorted(PLACEHOLDERS)),
            )

    @property
    def placeholders(self) -> frozenset[str]:
        """The placeholders the body uses."""
        return placeholders(self.body)

    def render(self, values: Mapping[str, str]) -> str:
        """Fill the placeholders from ``values`` (every placeholder gets a value, possibly empty)."""
        return self.body.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


def check_template(template: CannedResponse, siblings: Iterable[CannedResponse] = ()) -> None:
    """Refuse a template that may not be saved for a store: one that is not personalised, or whose
    placeholders differ from the other locale versions (``siblings``) of the same template id."""
    used = template.placeholders
    missing = sorted(REQUIRED_PLACEHOLDERS - used)
    if missing:
        raise ValidationError(
            N_("Canned response {id!r} ({locale}) does not use {missing}; replies are always personalised, so add it."),
            id=template.id,
            locale=template.locale,
            missing=", ".join(f"{{{name}}}" for name in missing),
        )
    for other in siblings:
        if other.locale == template.locale or other.id != template.id:
            continue
        theirs = other.placeholders
        if theirs != used:
            lacking = sorted(theirs - used)
            extra = sorted(used - theirs)
            raise ValidationError(
                N_(
                    "Canned response {id!r} ({locale}) must use the same placeholders as its {other} version: "
                    "missing {missing}, extra {extra}. Every language version carries the same details."
                ),
                id=template.id,
                locale=template.locale,
                other=other.locale,
                missing=", ".join(f"{{{name}}}" for name in lacking) or "-",
                extra=", ".join(f"{{{name}}}" for name in extra) or "-",
            )
