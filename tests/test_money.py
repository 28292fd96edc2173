"""Exact money: construction, minor units from babel, arithmetic, the one rounding rule, allocation, formatting."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolvekit import CurrencyMismatch, InvalidAmount, InvalidShare, Money, ValidationError
from resolvekit.domain.money import MAX_AMOUNT, minor_unit, sum_money

CURRENCIES = ["JPY", "USD", "KWD", "SAR", "BHD", "EUR", "CLF"]


def amounts(currency: str, *, min_units: int = 0, max_units: int = 10**12) -> st.SearchStrategy[Money]:
    return st.integers(min_value=min_units, max_value=max_units).map(lambda units: Money.from_minor(units, currency))


percents = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100), places=4)


class TestConstruction:
    @pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("USD", 2), ("KWD", 3), ("SAR", 2), ("BHD", 3), ("CLF", 4)])
    def test_minor_units_come_from_babel(self, currency: str, digits: int) -> None:
        assert minor_unit(currency) == digits
        assert Money("1", currency).amount.as_tuple().exponent == -digits

    def test_amount_is_kept_on_the_minor_unit(self) -> None:
        assert str(Money("12.5", "USD")) == "12.50 USD"
        assert str(Money("1.500", "USD")) == "1.50 USD"  # trailing zeros are not extra decimals
        assert str(Money(Decimal("7"), "KWD")) == "7.000 KWD"
        assert str(Money(3, "JPY")) == "3 JPY"
        assert str(Money("-0", "USD")) == "0.00 USD"
        assert Money("12.5", "usd").currency == "USD"

    @pytest.mark.parametrize(
        ("amount", "currency"),
        [
            ("1.005", "USD"),
            ("0.5", "JPY"),
            ("1.0001", "KWD"),
            ("NaN", "USD"),
            ("sNaN", "USD"),
            ("Infinity", "USD"),
            ("-inf", "SAR"),
            (1.5, "USD"),
            (True, "USD"),
            ("twelve", "USD"),
            ("", "USD"),
            (None, "USD"),
            ("1", "XYZ"),
            ("1", "US"),
            ("1", 840),
            (str(MAX_AMOUNT), "USD"),
        ],
    )
    def test_bad_input_is_refused(self, amount: object, currency: object) -> None:
        with pytest.raises(InvalidAmount) as info:
            Money(amount, currency)  # type: ignore[arg-type]
        assert isinstance(info.value, ValidationError) and isinstance(info.value, ValueError)

    def test_too_many_decimals_message_names_the_currency(self) -> None:
        with pytest.raises(InvalidAmount, match=r"1\.005 USD has more decimals than USD allows \(2\)"):
            Money("1.005", "USD")

    def test_frozen(self) -> None:
        money = Money("1", "USD")
        with pytest.raises(AttributeError):
            money.amount = Decimal(2)  # type: ignore[misc]


class TestArithmetic:
    def test_add_subtract_keep_the_currency(self) -> None:
        assert Money("1.10", "USD") + Money("2.25", "USD") == Money("3.35", "USD")
        assert Money("1", "KWD") - Money("0.001", "KWD") == Money("0.999", "KWD")
        assert -Money("1", "USD") == Money("-1", "USD")
        assert Money("2.50", "SAR").times(3) == Money("7.50", "SAR")
        assert sum_money([Money("1", "JPY"), Money("2", "JPY")], "JPY") == Money("3", "JPY")
        assert sum_money([], "JPY") == Money.zero("JPY")

    @pytest.mark.parametrize("op", ["add", "sub", "lt", "le", "gt", "ge"])
    def test_mixing_currencies_is_refused(self, op: str) -> None:
        usd, sar = Money("1", "USD"), Money("1", "SAR")
        with pytest.raises(CurrencyMismatch, match="USD.*SAR"):
            getattr(usd, f"__{op}__")(sar)

    def test_equality_needs_the_same_currency(self) -> None:
        assert Money("1", "USD") != Money("1", "SAR")
        assert Money("1", "USD") == Money("1.00", "USD")
        assert len({Money("1", "USD"), Money("1.0", "USD"), Money("1", "SAR")}) == 2
        assert Money("1", "USD") != Decimal(1)

    def test_comparison(self) -> None:
        assert Money("1", "USD") < Money("1.01", "USD") <= Money("1.01", "USD")
        assert max(Money("3", "JPY"), Money("5", "JPY")) == Money("5", "JPY")

    @given(st.sampled_from(CURRENCIES).flatmap(lambda c: st.tuples(amounts(c), amounts(c))))
    def test_add_then_subtract_is_exact(self, pair: tuple[Money, Money]) -> None:
        a, b = pair
        assert (a + b) - b == a
        assert (a + b).minor_units == a.minor_units + b.minor_units


class TestPercent:
    """The one rounding rule: a percentage rounds down (ROUND_FLOOR) to the currency's minor unit."""

    def test_examples(self) -> None:
        assert Money("249.00", "SAR").percent(20) == Money("49.80", "SAR")
        assert Money("10.00", "USD").percent("33.333") == Money("3.33", "USD")
        assert Money("999", "JPY").percent("12.5") == Money("124", "JPY")  # 124.875 -> 124
        assert Money("1.999", "KWD").percent(50) == Money("0.999", "KWD")  # 0.9995 -> 0.999
        assert Money("0.01", "USD").percent(50) == Money("0.00", "USD")
        assert Money("249.00", "SAR").percent(100) == Money("249.00", "SAR")

    @pytest.mark.parametrize("percent", [0, "0", -5, "100.0001", 101, "NaN", "inf", 12.5, "abc", None])
    def test_percent_outside_0_to_100_is_refused(self, percent: object) -> None:
        with pytest.raises(InvalidShare):
            Money("10", "USD").percent(percent)

    @given(st.sampled_from(CURRENCIES).flatmap(lambda c: amounts(c)), percents)
    def test_rounds_down_by_less_than_one_minor_unit(self, money: Money, percent: Decimal) -> None:
        share = money.percent(percent)
        exact = money.amount * percent / 100
        assert share.amount <= exact
        assert exact - share.amount < Decimal(1).scaleb(-minor_unit(money.currency))
        assert share.currency == money.currency

    @given(st.sampled_from(CURRENCIES).flatmap(lambda c: amounts(c)), st.lists(percents, min_size=1, max_size=6))
    def test_shares_never_add_up_to_more_than_the_whole(self, money: Money, parts: list[Decimal]) -> None:
        total = sum(parts)
        scale = min(Decimal(1), Decimal(100) / total)
        shares = [money.percent(max(p * scale, Decimal("0.0001")).quantize(Decimal("0.0001"), rounding="ROUND_FLOOR")) for p in parts]
        assert sum_money(shares, money.currency) <= money


class TestAllocate:
    def test_examples(self) -> None:
        assert Money("10.00", "USD").allocate([1, 1, 1]) == [Money("3.34", "USD"), Money("3.33", "USD"), Money("3.33", "USD")]
        assert Money("100", "JPY").allocate([Money("70", "JPY"), Money("30", "JPY")]) == [Money("70", "JPY"), Money("30", "JPY")]
        assert Money("0.001", "KWD").allocate([1, 2]) == [Money("0", "KWD"), Money("0.001", "KWD")]

    @pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
    def test_bad_weights(self, weights: list[int]) -> None:
        with pytest.raises(InvalidAmount):
            Money("1", "USD").allocate(weights)

    @given(
        st.sampled_from(CURRENCIES).flatmap(
            lambda c: st.tuples(st.lists(amounts(c, min_units=0, max_units=10**7), min_size=1, max_size=8), st.floats(0, 1))
        )
    )
    def test_parts_add_up_exactly_and_never_exceed_their_weight(self, data: tuple[list[Money], float]) -> None:
        weights, fraction = data
        currency = weights[0].currency
        total = sum_money(weights, currency)
        if not total.is_positive:
            return
        money = Money.from_minor(int(total.minor_units * fraction), currency)
        parts = money.allocate(weights)
        assert sum_money(parts, currency) == money
        assert all(Money.zero(currency) <= part <= weight for part, weight in zip(parts, weights, strict=True))


class TestFormatAndData:
    def test_format_per_locale(self) -> None:
        assert Money("12.5", "USD").format() == "$12.50"
        assert Money("1234.5", "KWD").format("en") == "KWD1,234.500"
        assert Money("1234", "JPY").format("ja") == "￥1,234"
        assert "1.234,50" in Money("1234.5", "EUR").format("de_DE")
        assert "1,234.50" in Money("1234.5", "SAR").format("ar_SA")

    @given(st.sampled_from(CURRENCIES).flatmap(lambda c: amounts(c, max_units=10**14)))
    @settings(max_examples=50)
    def test_round_trips_as_json_ready_data(self, money: Money) -> None:
        data = money.to_dict()
        assert isinstance(data["amount"], str)
        assert Money.from_dict(json.loads(json.dumps(data))) == money
        codec = pytest.importorskip("resolvekit.codec")
        assert codec.loads(codec.dumps(money), Money) == money
        assert repr(money) == f"Money('{money.amount}', '{money.currency}')"

    def test_import_resolvekit_does_not_import_babel_numbers(self) -> None:
        import subprocess
        import sys

        code = "import sys, resolvekit; print('babel.numbers' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        assert out == "False"
