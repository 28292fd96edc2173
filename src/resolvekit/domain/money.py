"""Exact money: a :class:`~decimal.Decimal` amount in an ISO 4217 currency, on the currency's minor unit.

:class:`Money` never holds a float, NaN or infinity, and never more decimals than its currency has
(JPY 0, USD 2, KWD 3; the minor units come from babel's CLDR currency data). Arithmetic keeps the
currency and refuses to mix two. Amounts are rounded in exactly one place, :meth:`Money.percent`,
and always **down** (``ROUND_FLOOR``) to the minor unit, so a share of what was paid can never
exceed it; :meth:`Money.allocate` splits an amount into parts that add up to it exactly.

babel is imported inside the functions that need it, so ``import resolvekit`` stays light.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from decimal import ROUND_FLOOR, Decimal, InvalidOperation, localcontext
from typing import Any, NamedTuple

import attrs

from resolvekit._i18n import N_
from resolvekit.errors import CurrencyMismatch, InvalidAmount, InvalidShare

__all__ = ["HUNDRED", "MAX_AMOUNT", "Money", "as_share", "minor_unit", "sum_money"]

HUNDRED = Decimal(100)
_set = object.__setattr__  # how a frozen Money is filled in (what attrs' own __init__ does)
_ZEROS: dict[str, Money] = {}
MAX_AMOUNT = Decimal(10) ** 15
"""The largest magnitude :class:`Money` accepts (exclusive): a quadrillion of any currency."""


@functools.lru_cache(maxsize=256)
def _known_currency(code: str) -> bool:
    from babel.numbers import is_currency

    return bool(is_currency(code))


@functools.lru_cache(maxsize=256)
def minor_unit(currency: str) -> int:
    """The number of decimals of ``currency`` (JPY 0, USD 2, KWD 3), from babel's currency data.

    An unknown code raises :class:`~resolvekit.errors.InvalidAmount`.
    """
    code = _currency_code(currency)
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(code))


@functools.lru_cache(maxsize=256)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def _currency_code(value: object) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise InvalidAmount(N_("{value!r} is not an ISO 4217 currency code such as 'SAR' or 'USD'."), value=value)
    code = value.upper()
    if not _known_currency(code):
        raise InvalidAmount(N_("{value!r} is not an ISO 4217 currency code such as 'SAR' or 'USD'."), value=value)
    return code


class _Unit(NamedTuple):
    """What :class:`Money` needs of a currency: its checked code, its minor unit and zero on it."""

    code: str
    quantum: Decimal
    zero: Decimal


_UNITS: dict[str, _Unit] = {}
"""Checked currencies by the spelling they were given in (only valid codes are kept: a bounded cache)."""


def _unit(currency: object) -> _Unit:
    """The :class:`_Unit` of ``currency``; an unknown code raises :class:`~resolvekit.errors.InvalidAmount`.

    Money is built several times per command, so the code check and the minor unit are looked up
    once per spelling of the code.
    """
    unit = _UNITS.get(currency) if isinstance(currency, str) else None
    if unit is None:
        code = _currency_code(currency)  # raises unless ``currency`` is a known code (so a str)
        quantum = _quantum(code)
        unit = _UNITS[str(currency)] = _Unit(code, quantum, quantum * 0)
    return unit


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool) or isinstance(value, float):
        # A float already lost the exact value the user typed; ask for a string or Decimal.
        raise InvalidAmount(
            N_("{what} {value!r} is a {type}; pass a Decimal or a string such as '12.50'."),
            what=what,
            value=value,
            type=type(value).__name__,
        )
    else:
        try:
            result = Decimal(str(value).strip())
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidAmount(N_("{what} {value!r} is not a decimal number."), what=what, value=value) from None
    if not result.is_finite():
        raise InvalidAmount(N_("{what} must be a finite number, got {value}."), what=what, value=str(result))
    if abs(result) >= MAX_AMOUNT:
        raise InvalidAmount(N_("{what} {value} is too large; amounts stay below 10**15."), what=what, value=str(result))
    return result


def as_share(value: object) -> Decimal:
    """A percentage from input, checked to lie in (0, 100]. Raises :class:`~resolvekit.errors.InvalidShare`."""
    try:
        percent = _decimal(value, "percentage")
    except InvalidAmount as exc:
        raise InvalidShare(exc.message, **exc.params) from None
    if not Decimal(0) < percent <= HUNDRED:
        raise InvalidShare(
            N_("A percentage must be more than 0 and at most 100, got {value}."), value=str(percent)
        )
    return percent


@attrs.define(frozen=True, init=False, eq=False, repr=False)
class Money:
    """An exact amount of one currency, always on the currency's minor unit.

    ``Money("12.5", "USD")`` is 12.50 USD. Construction refuses floats, NaN, infinities, unknown
    currency codes and more decimals than the currency has (``Money("1.005", "USD")`` and
    ``Money("1.5", "JPY")`` raise :class:`~resolvekit.errors.InvalidAmount`): input is never rounded
    silently. Adding, subtracting or comparing two currencies raises
    :class:`~resolvekit.errors.CurrencyMismatch`. Amounts may be negative (a difference can be);
    commands that need a positive amount say so.
    """

    amount: Decimal
    currency: str

    def __init__(self, amount: object, currency: str) -> None:
        code, quantum, zero = _unit(currency)
        value = _decimal(amount, "amount")
        # An amount on the minor unit is its own floor; that floor is then the amount, on the unit.
        on_unit = value.quantize(quantum, ROUND_FLOOR)  # (rounding by position: a keyword costs more)
        if value != on_unit:
            raise InvalidAmount(
                N_("{value} {currency} has more decimals than {currency} allows ({digits}); round it to the minor unit."),
                value=str(value),
                currency=code,
                digits=minor_unit(code),
            )
        _set(self, "amount", on_unit if value else zero)
        _set(self, "currency", code)

    # -- construction -----------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in ``currency``."""
        zero = _ZEROS.get(currency)
        if zero is None:
            zero = _ZEROS[currency] = cls(0, currency)
        return zero

    @classmethod
    def _exact(cls, amount: Decimal, currency: str) -> Money:
        """Skip the checks: ``amount`` is already on ``currency``'s minor unit (sums, differences, multiples)."""
        money = object.__new__(cls)
        _set(money, "amount", amount)
        _set(money, "currency", currency)
        return money

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """The amount of ``units`` minor units (cents, fils, yen) of ``currency``."""
        return cls(Decimal(units).scaleb(-minor_unit(currency)), currency)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Money:
        """Rebuild money written by :meth:`to_dict`."""
        return cls(Decimal(str(data["amount"])), str(data["currency"]))

    def to_dict(self) -> dict[str, str]:
        """JSON-ready data: the amount as a string (never a float) and the currency code."""
        return {"amount": str(self.amount), "currency": self.currency}

    # -- arithmetic -------------------------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount counted in minor units (e.g. cents)."""
        return int(self.amount.scaleb(minor_unit(self.currency)))

    def _same(self, other: object) -> Money:
        if other.__class__ is Money and other.currency == self.currency:
            return other
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(left=self.currency, right=other.currency)
        return other

    def __add__(self, other: Money) -> Money:
        return Money._exact(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money._exact(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money._exact(-self.amount if self.amount else self.amount, self.currency)

    def times(self, quantity: int) -> Money:
        """This amount ``quantity`` times (a whole number: a unit price times a quantity)."""
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise TypeError("Money.times takes a whole number")
        amount = self.amount * quantity
        return Money._exact(amount if amount else Money.zero(self.currency).amount, self.currency)

    def percent(self, percent: object) -> Money:
        """``percent`` % of this amount, rounded **down** (``ROUND_FLOOR``) to the minor unit.

        This is the only rounding resolvekit does. Rounding down means the share never exceeds the
        exact share, so shares of what was paid can never add up to more than was paid; the residue
        (less than one minor unit) stays with the merchant.
        """
        share = as_share(percent)
        with localcontext() as ctx:
            # Enough digits for the exact product: nothing is rounded before the one floor below.
            ctx.prec = len(self.amount.as_tuple().digits) + len(share.as_tuple().digits) + 4
            exact = (self.amount * share).scaleb(-2)
            return Money(exact.quantize(_quantum(self.currency), rounding=ROUND_FLOOR), self.currency)

    def allocate(self, weights: Sequence[Money | Decimal | int]) -> list[Money]:
        """Split this amount in proportion to ``weights`` into parts that add up to it exactly.

        Each part is first rounded down to the minor unit; the minor units left over go one each to
        the parts with the largest remainders (earlier parts win ties). With non-negative weights and
        an amount not larger than their total, no part exceeds its weight.
        """
        values = [w.amount if isinstance(w, Money) else Decimal(w) for w in weights]
        total = sum(values, Decimal(0))
        if not values or total <= 0 or any(v < 0 for v in values):
            raise InvalidAmount(N_("Allocation needs at least one weight, none negative, and a positive total."))
        units = self.minor_units
        raw = [Fraction(units) * Fraction(v) / Fraction(total) for v in values]  # exact, no rounding
        parts = [math.floor(r) for r in raw]
        left = units - sum(parts)
        order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
        for i in order[:left]:
            parts[i] += 1
        return [Money.from_minor(p, self.currency) for p in parts]

    # -- comparison -------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    @property
    def is_positive(self) -> bool:
        """Whether the amount is more than zero."""
        return self.amount > 0

    # -- display ----------------------------------------------------------------------------------

    def format(self, locale: str = "en") -> str:
        """The amount as ``locale`` writes it, e.g. ``"$12.50"``, ``"￥1,234"``, ``"KWD 1.250"``."""
        from babel.numbers import format_currency

        return str(format_currency(self.amount, self.currency, locale=locale))

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"


def sum_money(values: Iterable[Money], currency: str) -> Money:
    """The sum of ``values`` (all in ``currency``), zero when there are none."""
    total = Money.zero(currency)
    for value in values:
        total = total + value
    return total
