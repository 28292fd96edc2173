"""The snapshot codec: every case round-trips exactly, whatever fields the case classes grow.

The case strategy below is derived from the attrs fields and type hints of the case classes (the
same way the codec is), so a field added to a case, an offer or anything else a case holds is
generated and checked without changing this file. A new value class whose validators reject most
random values needs an entry in ``_OVERRIDES``.
"""

from __future__ import annotations

import enum
import functools
import json
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvekit import codec
from resolvekit.demo import run
from resolvekit.domain.actors import Actor, Role
from resolvekit.domain.cases import Case, fold
from resolvekit.domain.events import CaseEvent, EventKind
from resolvekit.domain.values import Attachment
from resolvekit.plugins.sqlite import SQLiteStorage
from resolvekit.storage import Commit

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_NAME = st.text(st.characters(exclude_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=12)
_TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


def _actors() -> st.SearchStrategy[Actor]:
    return st.one_of(
        st.builds(Actor.customer, _NAME),
        st.builds(lambda u, s: Actor.merchant(u, store_id=s), _NAME, _NAME),
        st.builds(Actor.platform, _NAME),
        st.just(Actor.system()),
    )


def _money() -> st.SearchStrategy[Any]:
    from resolvekit.domain.money import Money

    return st.builds(
        Money,
        st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
        st.sampled_from(["SAR", "USD", "EUR"]),
    )


_OVERRIDES: dict[str, Any] = {
    "resolvekit.domain.actors.Actor": _actors,
    "resolvekit.domain.values.Attachment": lambda: st.builds(
        Attachment, _NAME, st.sampled_from(["image/png", "application/pdf"]), st.integers(1, 10**9), _NAME
    ),
    "resolvekit.domain.money.Money": _money,
}


_FIELDS: dict[str, Any] = {
    # fields whose validators accept only a few values, by field name wherever they occur
    "currency": st.sampled_from(["SAR", "USD", "EUR"]),
}


def _attempt(cls: type, kwargs: dict[str, Any]) -> Any:
    try:
        return cls(**kwargs)
    except (ValueError, TypeError, LookupError, ArithmeticError, Exception):  # validators refused: draw again
        return None


def values_of(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy for any value of the type ``tp``, derived from its attrs fields and type hints."""
    if tp is Any or tp is object:
        return _JSON
    if tp is type(None):
        return st.none()
    if tp is str:
        return _NAME | _TEXT
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-(2**53), 2**53)
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(tp, type):
        override = _OVERRIDES.get(f"{tp.__module__}.{tp.__qualname__}")
        if override is not None:
            return typing.cast(st.SearchStrategy[Any], override())
        if attrs.has(tp):
            return _attrs_values(tp)
        if issubclass(tp, enum.Enum):
            return st.sampled_from(list(tp))
        if issubclass(tp, datetime):
            return _TIMES
        if issubclass(tp, date):
            return st.dates()
        if issubclass(tp, time):
            return st.times()
        if issubclass(tp, timedelta):
            return st.timedeltas()
        if issubclass(tp, Decimal):
            return st.decimals(allow_nan=False, allow_infinity=False)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of([values_of(a) for a in args])
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple:
        if args and args[-1] is not Ellipsis:
            return st.tuples(*(values_of(a) for a in args))
        return st.lists(values_of(args[0]), max_size=3).map(tuple)
    if origin in (list, Sequence):
        return st.lists(values_of(args[0]), max_size=3)
    if origin in (set, frozenset):
        return st.frozensets(values_of(args[0]), max_size=3).map(origin)
    if origin in (dict, Mapping):
        return st.dictionaries(values_of(args[0]), values_of(args[1]), max_size=3)
    raise TypeError(f"no strategy for {tp!r}: add one to _OVERRIDES in {__name__}")


@functools.cache
def _attrs_values(cls: type) -> st.SearchStrategy[Any]:
    concrete = [sub for sub in _concrete_classes(cls)]
    if len(concrete) > 1 or concrete[0] is not cls:
        return st.one_of([_attrs_values(sub) for sub in concrete])
    hints = typing.get_type_hints(cls)
    fields = {
        f.alias or f.name: _FIELDS[f.name] if f.name in _FIELDS else st.deferred(lambda t=hints[f.name]: values_of(t))
        for f in attrs.fields(cls)
        if f.init
    }
    return st.fixed_dictionaries(fields).map(lambda kw: _attempt(cls, kw)).filter(lambda v: v is not None)


def _concrete_classes(cls: type) -> list[type]:
    """``cls`` and its attrs subclasses; ``Case`` itself is abstract (its ``kind`` is undefined)."""
    found = [] if cls is Case else [cls]
    for sub in cls.__subclasses__():
        if "__attrs_attrs__" in sub.__dict__:
            found.extend(_concrete_classes(sub))
    return found


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@_SETTINGS
@given(values_of(Case))
def test_every_case_round_trips_through_json(case: Case) -> None:
    text = codec.dumps(case, Case)
    assert json.loads(text) == codec.unstructure(case, Case)  # plain JSON: the data, written directly
    assert codec.dumps(case, Case) == text  # again, with the remembered texts of its messages
    back = codec.loads(text, Case)
    assert type(back) is type(case)
    assert back == case
    assert codec.dumps(back, Case) == text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
@given(case=values_of(Case))
def test_every_case_round_trips_through_sqlite(tmp_path_factory: pytest.TempPathFactory, case: Case) -> None:
    path = tmp_path_factory.mktemp("codec") / "cases.sqlite3"
    first = attrs.evolve(case, version=1)
    event = CaseEvent(case.id, 1, EventKind.TICKET_OPENED, Actor.system(), first.opened_at, {})
    writer = SQLiteStorage(path)
    writer.commit(Commit(first, 0, (event,)))
    writer.close()
    reader = SQLiteStorage(path)  # a fresh storage: no cached snapshot, decoded from the file
    try:
        assert reader.load(case.id) == first
    finally:
        reader.close()


def test_the_demo_cases_round_trip() -> None:
    app = run("memory://", print_=lambda line: None)
    cases = app.storage.query(__import__("resolvekit").CaseQuery()).items
    assert {c.kind for c in cases} == {"complaint", "ticket"}
    for case in cases:
        assert codec.loads(codec.dumps(case, Case), Case) == case
        assert fold(app.storage.events(case.id)) == case


def test_a_snapshot_from_before_a_field_existed_takes_the_default() -> None:
    app = run("memory://", print_=lambda line: None)
    case = app.storage.query(__import__("resolvekit").CaseQuery(kind="ticket")).items[0]
    data = codec.unstructure(case, Case)
    assert data["messages"]
    del data["messages"]
    data["a_field_since_removed"] = 42
    assert codec.structure(data, Case) == attrs.evolve(case, messages=())


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@attrs.frozen
class Leaf:
    amount: Decimal
    when: date
    at: time
    span: timedelta
    tags: frozenset[str] = frozenset()
    by_colour: dict[Colour, int] = attrs.field(factory=dict)
    pair: tuple[int, str] = (0, "")


@attrs.frozen
class OtherLeaf:
    note: str


@attrs.frozen
class Tree:
    leaves: tuple[Leaf | OtherLeaf, ...]
    parent: Tree | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)


def test_generic_types_round_trip() -> None:
    leaf = Leaf(Decimal("-12.3400"), date(2026, 1, 2), time(3, 4, 5, 6), timedelta(days=-1, microseconds=7),
                frozenset({"b", "a"}), {Colour.RED: 1, Colour.BLUE: 2}, (3, "x"))
    tree = Tree((leaf, OtherLeaf("n")), Tree((), None, {"k": [1, 2.5, None]}))
    data = codec.unstructure(tree)
    assert data["leaves"][0]["$type"] == "Leaf" and data["leaves"][0]["tags"] == ["a", "b"]
    assert data["leaves"][0]["amount"] == "-12.3400" and data["leaves"][0]["span"] == -86399999993
    assert json.loads(codec.dumps(tree)) == data
    back = codec.loads(codec.dumps(tree), Tree)
    assert back == tree and str(back.leaves[0].amount) == "-12.3400"


def test_an_unsupported_field_type_names_the_field() -> None:
    @attrs.frozen
    class Blob:
        data: bytes

    with pytest.raises(TypeError, match=r"Blob\.data"):
        codec.dumps(Blob(b"x"))


def test_a_snapshot_that_cannot_be_read_is_rebuilt_from_the_log(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    app = run(f"sqlite:///{path}", print_=lambda line: None)
    case = app.storage.query(__import__("resolvekit").CaseQuery(kind="complaint")).items[0]
    app.storage.close()
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE cases SET snapshot = '{\"id\": \"only part\"}' WHERE id = ?", (case.id,))
    conn.close()
    storage = SQLiteStorage(path)
    try:
        assert storage.load(case.id) == case
    finally:
        storage.close()


def test_role_values_are_stored_as_their_names() -> None:
    data = codec.unstructure(Actor.merchant("u", store_id="s"))
    assert (data["role"], data["id"], data["store_id"]) == ("merchant", "u", "s")
    assert codec.structure({"role": "customer", "id": "c"}, Actor) == Actor(Role.CUSTOMER, "c")


@attrs.define
class Counter_:
    n: int


@attrs.frozen
class Box:
    items: tuple[Counter_, ...]
    leaves: tuple[OtherLeaf, ...] = ()


def test_remembered_texts_are_only_those_of_frozen_values() -> None:
    counter, leaf = Counter_(1), OtherLeaf("kept")
    box = Box((counter,), (leaf,))
    assert json.loads(codec.dumps(box)) == {"items": [{"n": 1}], "leaves": [{"note": "kept"}]}
    counter.n = 2  # a mutable value is written afresh every time
    assert json.loads(codec.dumps(box))["items"] == [{"n": 2}]
    assert codec.dumps(Box((), (OtherLeaf("other"),))) == '{"items":[],"leaves":[{"note":"other"}]}'
