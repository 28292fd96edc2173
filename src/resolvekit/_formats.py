"""Dates, times, numbers and money formatted by babel for a locale, fast enough for every notification.

babel's ``format_currency`` and ``format_datetime`` take tens of microseconds a call. The formatters
here ask babel once per locale (and currency, and pattern) what the result looks like, compile that
into a few string operations, and check the compiled version against babel on a set of probe values
before trusting it; a locale whose output they cannot reproduce (unusual grouping, a date field they
do not know) keeps calling babel, with the results cached. The output is babel's, with one addition:
digits are written in the locale's default numbering system (CLDR), e.g. Arabic-Indic digits for
``ar_SA`` or ``ar_EG`` and Latin digits for ``ar`` or ``ar_MA``, in dates as in numbers (babel
itself writes Latin digits everywhere).

Formatters depend on locale data only, so they are shared by every application in the process.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, cast

__all__ = ["Formats", "formats", "time_zone"]

# The zero digit of the decimal numbering systems CLDR names as a locale's default; the other nine
# follow it in Unicode. A system missing here is written with Latin digits.
_ZERO = {
    "latn": 0x30,
    "arab": 0x660,
    "arabext": 0x6F0,
    "beng": 0x9E6,
    "deva": 0x966,
    "fullwide": 0xFF10,
    "gujr": 0xAE6,
    "guru": 0xA66,
    "khmr": 0x17E0,
    "knda": 0xCE6,
    "laoo": 0xED0,
    "mlym": 0xD66,
    "mymr": 0x1040,
    "orya": 0xB66,
    "tamldec": 0xBE6,
    "telu": 0xC66,
    "thai": 0xE50,
    "tibt": 0xF20,
}
Width = Literal["full", "long", "medium", "short"]
_CACHE_LIMIT = 4096
_MONEY_PROBES = ("0", "0.01", "1", "7.5", "12.34", "999", "1000", "1234.5", "99999.99", "100000", "1234567.89", "1000000000")
_DATE_PROBES = (
    datetime(2026, 1, 1, 0, 5, 9),
    datetime(2026, 3, 9, 12, 0, 0),
    datetime(2026, 7, 15, 9, 30, 45),
    datetime(2026, 11, 2, 13, 59, 1),
    datetime(2027, 12, 31, 23, 1, 2),
    datetime(2030, 10, 20, 11, 59, 59),
)


@functools.lru_cache(maxsize=64)
def time_zone(name: str) -> tzinfo:
    """The ``zoneinfo`` zone called ``name`` (cached; raises ``ZoneInfoNotFoundError`` for an unknown one)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _bounded_put(cache: dict[Any, str], key: Any, value: str) -> str:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()  # a crude bound: values repeat within a batch, rarely across days
    cache[key] = value
    return value


class Formats:
    """babel's formats of one locale, compiled. Get one with :func:`formats`; safe to share between threads."""

    def __init__(self, locale: str) -> None:
        from babel import Locale
        from babel.numbers import get_decimal_symbol, get_group_symbol

        self.locale = Locale.parse(locale)
        self.name = str(self.locale)
        self.direction: str = self.locale.text_direction
        system = self.locale.default_numbering_system
        zero = _ZERO.get(system, 0x30)
        self.digits = "".join(chr(zero + i) for i in range(10))
        self._native = zero != 0x30
        self._latin_digits = {ord(str(i)): chr(zero + i) for i in range(10)}
        self._number_table = {
            **self._latin_digits,
            ord(","): get_group_symbol(self.locale, numbering_system="default"),
            ord("."): get_decimal_symbol(self.locale, numbering_system="default"),
        }
        self._money: dict[str, Callable[[Decimal], str]] = {}
        self._moments: dict[tuple[Width, Width | None], Callable[[datetime], str]] = {}
        self._cache: dict[Any, str] = {}
        self._lock = threading.Lock()

    # -- numbers ------------------------------------------------------------------------------------

    def digits_of(self, text: str) -> str:
        """``text`` with its Latin digits written in the locale's digits."""
        return text.translate(self._latin_digits) if self._native else text

    def number(self, value: int | Decimal | str) -> str:
        """A whole or decimal number with the locale's grouping, decimal sign and digits."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return f"{value:,}".translate(self._number_table)
        key = ("number", str(value))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        from babel.numbers import format_decimal

        text = self.digits_of(format_decimal(Decimal(str(value)), locale=self.locale, numbering_system="default"))
        return _bounded_put(self._cache, key, text)

    def percent(self, value: Decimal | int | str) -> str:
        """A percentage given in percent (``12.5`` -> ``"12.5%"`` in English)."""
        key = ("percent", str(value))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        from babel.numbers import format_percent

        share = Decimal(str(value)) / 100
        text = self.digits_of(
            format_percent(share, locale=self.locale, numbering_system="default", decimal_quantization=False)
        )
        return _bounded_put(self._cache, key, text)

    def money(self, amount: Decimal | str, currency: str) -> str:
        """``amount`` of ``currency`` as babel writes it for the locale (symbol, grouping, digits)."""
        formatter = self._money.get(currency)
        if formatter is None:
            formatter = self._compile_money(currency)
        value = amount if isinstance(amount, Decimal) else Decimal(amount)
        return formatter(value)

    def _babel_money(self, currency: str) -> Callable[[Decimal], str]:
        from babel.numbers import format_currency

        locale, cache = self.locale, self._cache

        def slow(value: Decimal) -> str:
            key = ("money", currency, value)
            cached = cache.get(key)
            if cached is not None:
                return cached
            text = self.digits_of(format_currency(value, currency, locale=locale, numbering_system="default"))
            return _bounded_put(cache, key, text)

        return slow

    def _compile_money(self, currency: str) -> Callable[[Decimal], str]:
        from babel.numbers import get_currency_precision

        slow = self._babel_money(currency)
        digits = get_currency_precision(currency)
        table = self._number_table
        spec = f",.{digits}f"
        probe = Decimal("1234567.891")
        core = format(probe, spec).translate(table)
        sample = slow(probe)
        at = sample.find(core)
        formatter: Callable[[Decimal], str] = slow
        if at >= 0 and core:
            prefix, suffix = sample[:at], sample[at + len(core) :]

            def fast(value: Decimal) -> str:
                if value.is_signed() or not value.is_finite():
                    return slow(value)
                return prefix + format(value, spec).translate(table) + suffix

            try:
                if all(fast(Decimal(p)) == slow(Decimal(p)) for p in _MONEY_PROBES):
                    formatter = fast
            except (InvalidOperation, ValueError):  # pragma: no cover - babel refused a probe
                formatter = slow
        with self._lock:
            self._money[currency] = formatter
        return formatter

    # -- dates and times ------------------------------------------------------------------------------

    def moment(self, value: datetime, zone: str = "UTC", date_width: Width = "medium", time_width: Width | None = "short") -> str:
        """``value`` (aware) in the time zone ``zone``: the locale's date and time pattern, e.g.
        ``"Nov 4, 2026, 5:00 PM"`` (English) or ``"04‏/11‏/2026، 5:00 م"`` (Arabic)."""
        key = (value, zone, date_width, time_width)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        formatter = self._moments.get((date_width, time_width))
        if formatter is None:
            formatter = self._compile_moment(date_width, time_width)
        return _bounded_put(self._cache, key, formatter(value.astimezone(time_zone(zone))))

    def calendar_date(self, value: date, width: Width = "medium") -> str:
        """A calendar date in the locale's pattern (``"Nov 2, 2026"``)."""
        formatter = self._moments.get((width, None))
        if formatter is None:
            formatter = self._compile_moment(width, None)
        if not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return formatter(value)

    def _pattern(self, date_width: Width, time_width: Width | None) -> str:
        from babel.dates import get_date_format, get_datetime_format, get_time_format

        date_pattern = str(get_date_format(date_width, self.locale).pattern)
        if time_width is None:
            return date_pattern
        time_pattern = str(get_time_format(time_width, self.locale).pattern)
        combined = str(get_datetime_format(date_width, self.locale))
        return combined.replace("{1}", date_pattern).replace("{0}", time_pattern)

    def _compile_moment(self, date_width: Width, time_width: Width | None) -> Callable[[datetime], str]:
        from babel.dates import parse_pattern

        pattern = parse_pattern(self._pattern(date_width, time_width))
        locale, cache, digits_of = self.locale, self._cache, self.digits_of

        def slow(value: datetime) -> str:
            key = ("moment", date_width, time_width, value)
            cached = cache.get(key)
            if cached is not None:
                return cached
            return _bounded_put(cache, key, digits_of(pattern.apply(value, locale)))

        formatter: Callable[[datetime], str] = slow
        fast = _generate(cast(str, pattern.format), locale, self._latin_digits if self._native else None)
        if fast is not None and all(fast(p) == digits_of(pattern.apply(p, locale)) for p in _DATE_PROBES):
            formatter = fast
        with self._lock:
            self._moments[(date_width, time_width)] = formatter
        return formatter


def _generate(template: str, locale: Any, digits: dict[int, str] | None) -> Callable[[datetime], str] | None:
    """Python source for a babel ``DateTimePattern.format`` (``"%(MMM)s %(d)s, %(y)s"``), compiled into
    one function of a datetime: a concatenation of literals and field expressions (a few hundred
    nanoseconds, where babel's general formatter takes microseconds). ``None`` when a field is not
    one this knows; the caller keeps babel then."""
    names: dict[str, Any] = {}
    parts: list[str] = []
    rest = template
    while rest:
        start = rest.find("%(")
        literal = rest if start < 0 else rest[:start]
        if literal:
            parts.append(repr(literal.replace("%%", "%")))
        if start < 0:
            break
        end = rest.index(")s", start)
        expression = _expression(rest[start + 2 : end], locale, names)
        if expression is None:
            return None
        parts.append(expression)
        rest = rest[end + 2 :]
    body = " + ".join(parts) or "''"
    if digits is not None:
        names["_digits"] = digits
        body = f"({body}).translate(_digits)"
    namespace: dict[str, Any] = dict(names)
    exec(compile(f"def fast(v):\n    return {body}\n", "<resolvekit date format>", "exec"), namespace)  # the source is built above from a fixed table
    return cast("Callable[[datetime], str]", namespace["fast"])


def _expression(field: str, locale: Any, names: dict[str, Any]) -> str | None:
    """The Python expression (of ``v``) for one date field, with Latin digits, or ``None``."""
    from babel.dates import DateTimeFormat

    letter, width = field[0], len(field)

    def number(expression: str) -> str:
        return f"str({expression})" if width == 1 else f"f'{{{expression}:0{width}d}}'"

    def table(values: Any) -> str:
        name = f"_t{len(names)}"
        names[name] = values
        return name

    if letter == "y":
        return "f'{v.year % 100:02d}'" if width == 2 else number("v.year")
    if letter in "ML":
        if width <= 2:
            return number("v.month")
        context = "format" if letter == "M" else "stand-alone"
        return f"{table(locale.months[context]['abbreviated' if width == 3 else 'wide' if width == 4 else 'narrow'])}[v.month]"
    if letter == "d" and width <= 2:
        return number("v.day")
    if letter == "E":
        return f"{table(locale.days['format']['abbreviated' if width <= 3 else 'wide' if width == 4 else 'narrow'])}[v.weekday()]"
    if letter in "hHKk" and width <= 2:
        return number({"h": "(v.hour % 12 or 12)", "H": "v.hour", "K": "(v.hour % 12)", "k": "(v.hour or 24)"}[letter])
    if letter in "ms" and width <= 2:
        return number("v.minute" if letter == "m" else "v.second")
    if letter == "a":
        am = table(str(DateTimeFormat(datetime(2026, 1, 1, 9), locale)[field]))
        pm = table(str(DateTimeFormat(datetime(2026, 1, 1, 15), locale)[field]))
        return f"({pm} if v.hour >= 12 else {am})"
    return None


@functools.lru_cache(maxsize=128)
def formats(locale: str) -> Formats:
    """The compiled formats of ``locale`` (a babel identifier, e.g. ``"ar_SA"``), cached per process."""
    return Formats(locale)
