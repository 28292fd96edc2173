"""JSON-ready data from and to the domain's attrs values (cases, complaints, tickets and all they hold).

Storage backends keep a case's snapshot as JSON. This module turns any attrs value into plain data
(``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``) and back, exactly:
``structure(unstructure(x, T), T) == x`` for every value the domain builds. It is derived from the
attrs fields and their type hints, never from a hand-written list, so a field another capability
adds to :class:`~resolvekit.domain.cases.Case` (or to anything a case holds) is stored without
touching this module. Pure: no I/O, no clock, no database.

What each type becomes:

* ``str``, ``int``, ``float``, ``bool``, ``None``, ``Any`` and ``Mapping[str, Any]`` (event
  payloads, notification parameters) stay as they are (they must already be JSON-ready).
* ``datetime``, ``date`` and ``time`` become ISO 8601 strings; ``timedelta`` whole microseconds;
  ``Decimal`` and ``UUID`` strings; enums their value.
* ``tuple``, ``list``, ``set`` and ``frozenset`` become lists; ``dict`` keys become strings.
* attrs classes become objects keyed by field name. When the value's class is a subclass of the
  declared type (a :class:`~resolvekit.domain.cases.Complaint` where ``Case`` is declared, or a
  member of a union of attrs classes), the object also carries ``"$type"``: the class name.
* When structuring, a key missing from the data takes the field's default, so snapshots written
  before a field existed still load; keys of fields that no longer exist are ignored.

A type this module cannot represent exactly raises :class:`TypeError` when first used, naming the
class and field, so a new field with an unsupported type fails in the round-trip tests, not in
production.
"""

from __future__ import annotations

import enum
import json
import threading
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["TYPE_KEY", "dumps", "loads", "structure", "unstructure"]

TYPE_KEY = "$type"
"""The key naming an attrs value's class where the declared type does not pin it down."""

Converter = Callable[[Any], Any]
"""One direction of a conversion; ``None`` in the tables below means "the value is already data"."""

_JSON_NATIVE: frozenset[Any] = frozenset({str, int, float, bool, type(None)})
_MICROSECOND = timedelta(microseconds=1)
_lock = threading.RLock()


def unstructure(value: Any, declared: Any = None) -> Any:
    """``value`` as JSON-ready data. ``declared`` is the type the reader will expect (default: its class)."""
    fn = _unstructurer(type(value) if declared is None else declared)
    return value if fn is None else fn(value)


def structure(data: Any, declared: Any) -> Any:
    """Rebuild a value of type ``declared`` from data made by :func:`unstructure`.

    Raises :class:`KeyError`, :class:`TypeError` or :class:`ValueError` (or the domain's validation
    errors) when the data does not describe such a value.
    """
    fn = _structurer(declared)
    return data if fn is None else fn(data)


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_decoder = json.JSONDecoder()


def dumps(value: Any, declared: Any = None) -> str:
    """``value`` as compact JSON text: ``json.loads(dumps(v, T)) == unstructure(v, T)``.

    The text is written directly, without building the intermediate data, and the text of an attrs
    value inside a tuple (a case's messages, offers, attachments) is remembered by identity, so a
    snapshot that grew by one message costs one message's encoding, not the whole case's.
    """
    return typing.cast(str, _writers.get(type(value) if declared is None else declared)(value))


def loads(text: str | bytes, declared: Any) -> Any:
    """Rebuild a value of type ``declared`` from JSON text made by :func:`dumps`."""
    return structure(_decoder.decode(text if isinstance(text, str) else text.decode()), declared)


# -- compiling converters ---------------------------------------------------------------------------


class _Table:
    """Converters compiled once per type. Reads take no lock; compiling does (one thread at a time)."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self.done: dict[Any, Any] = {}
        self.pending: dict[Any, Converter] = {}
        self.make = make

    def get(self, key: Any) -> Any:
        try:
            return self.done[key]
        except KeyError:
            pass
        with _lock:
            if key in self.done:
                return self.done[key]
            if key in self.pending:  # a type that contains itself: resolved when first called
                return self.pending[key]
            self.pending[key] = _late(lambda: self.done[key])
            try:
                made = self.make(key)
            finally:
                del self.pending[key]
            self.done[key] = made
            return made


def _unstructurer(tp: Any) -> Converter | None:
    return typing.cast("Converter | None", _unstructurers.get(tp))


def _structurer(tp: Any) -> Converter | None:
    return typing.cast("Converter | None", _structurers.get(tp))


def _late(get: Callable[[], Converter | None]) -> Converter:
    """A converter resolved on first call (a class that contains itself, directly or not)."""

    def convert(value: Any) -> Any:
        fn = get()
        return value if fn is None else fn(value)

    return convert


def _is_optional(args: tuple[Any, ...]) -> bool:
    return len(args) == 2 and type(None) in args


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return None


def _unsupported(tp: Any) -> TypeError:
    return TypeError(
        f"resolvekit.codec cannot store values of type {tp!r} exactly; use a supported type "
        "(see the resolvekit.codec docstring) or an attrs class of them"
    )


def _make_unstructurer(tp: Any) -> Converter | None:
    if tp in _JSON_NATIVE or tp is Any or tp is object:
        return None
    if isinstance(tp, type):
        if attrs.has(tp):
            return _attrs_unstructurer(tp)
        if issubclass(tp, enum.Enum):
            return _enum_value
        if issubclass(tp, datetime) or issubclass(tp, date) or issubclass(tp, time):
            return _isoformat
        if issubclass(tp, timedelta):
            return _micros
        if issubclass(tp, Decimal) or issubclass(tp, uuid.UUID):
            return str
        if issubclass(tp, (str, int, float)):  # a plain subclass without its own meaning
            return None
    union = _union_args(tp)
    if union is not None:
        return _union_unstructurer(tp, union)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        if all(type(a) in _JSON_NATIVE for a in args):
            return None
        raise _unsupported(tp)
    if origin in (tuple, list, set, frozenset, Sequence):
        if origin is tuple and args and args[-1] is not Ellipsis:
            item_fns = [_unstructurer(a) for a in args]
            return lambda v: [x if f is None else f(x) for f, x in zip(item_fns, v, strict=True)]
        item = _unstructurer(args[0] if args else Any)
        ordered = origin in (set, frozenset)
        if item is None:
            return _sorted_list if ordered else list
        return (lambda v: _sorted_list([item(x) for x in v])) if ordered else (lambda v: [item(x) for x in v])
    if origin in (dict, Mapping):
        key_type, value_type = args if args else (str, Any)
        key = _key_unstructurer(tp, key_type)
        value = _unstructurer(value_type)
        if key is None and value is None:
            return dict
        k = key or _identity
        v = value or _identity
        return lambda m: {k(a): v(b) for a, b in m.items()}
    raise _unsupported(tp)


def _make_structurer(tp: Any) -> Converter | None:
    if tp in _JSON_NATIVE or tp is Any or tp is object:
        return None
    if isinstance(tp, type):
        if attrs.has(tp):
            return _attrs_structurer(tp)
        if issubclass(tp, enum.Enum):
            return tp
        if issubclass(tp, datetime):
            return tp.fromisoformat
        if issubclass(tp, date) or issubclass(tp, time):
            return tp.fromisoformat
        if issubclass(tp, timedelta):
            return lambda n: timedelta(microseconds=n)
        if issubclass(tp, Decimal) or issubclass(tp, uuid.UUID):
            return tp
        if issubclass(tp, (str, int, float)):
            return None if tp in _JSON_NATIVE else tp
    union = _union_args(tp)
    if union is not None:
        return _union_structurer(tp, union)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        if all(type(a) in _JSON_NATIVE for a in args):
            return None
        raise _unsupported(tp)
    if origin in (tuple, list, set, frozenset, Sequence):
        build: Callable[[Any], Any] = {list: list, set: set, frozenset: frozenset}.get(origin, tuple)
        if origin is tuple and args and args[-1] is not Ellipsis:
            item_fns = [_structurer(a) for a in args]
            return lambda v: tuple(x if f is None else f(x) for f, x in zip(item_fns, v, strict=True))
        item = _structurer(args[0] if args else Any)
        if item is None:
            return build
        return lambda v: build([item(x) for x in v])
    if origin in (dict, Mapping):
        key_type, value_type = args if args else (str, Any)
        key = _key_structurer(tp, key_type)
        value = _structurer(value_type)
        if key is None and value is None:
            return dict
        k = key or _identity
        v = value or _identity
        return lambda m: {k(a): v(b) for a, b in m.items()}
    raise _unsupported(tp)


def _identity(value: Any) -> Any:
    return value


def _enum_value(value: enum.Enum) -> Any:
    return value.value


def _isoformat(value: date | time) -> str:
    return value.isoformat()


def _micros(value: timedelta) -> int:
    return value // _MICROSECOND


def _sorted_list(values: Any) -> list[Any]:
    items = list(values)
    try:
        return sorted(items)
    except TypeError:
        return items


def _key_unstructurer(tp: Any, key_type: Any) -> Converter | None:
    if key_type is str or key_type is Any:
        return None
    if isinstance(key_type, type) and issubclass(key_type, enum.Enum):
        return lambda k: str(k.value)
    if key_type is int:
        return str
    raise _unsupported(tp)


def _key_structurer(tp: Any, key_type: Any) -> Converter | None:
    if key_type is str or key_type is Any:
        return None
    if isinstance(key_type, type) and issubclass(key_type, enum.Enum):
        members = {str(m.value): m for m in key_type}
        return members.__getitem__
    if key_type is int:
        return int
    raise _unsupported(tp)


def _union_classes(tp: Any, args: tuple[Any, ...]) -> list[type]:
    """The attrs classes of a union of attrs classes and JSON-native types (anything else is refused)."""
    classes = [a for a in args if isinstance(a, type) and attrs.has(a)]
    natives = [a for a in args if a in _JSON_NATIVE]
    if len(classes) + len(natives) != len(args):
        raise _unsupported(tp)
    return classes


def _union_unstructurer(tp: Any, args: tuple[Any, ...]) -> Converter | None:
    if _is_optional(args):
        inner = _unstructurer(next(a for a in args if a is not type(None)))
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    if not _union_classes(tp, args):
        return None

    def unstructure_member(value: Any) -> Any:
        if type(value) in _JSON_NATIVE:
            return value
        return _tagged(value)

    return unstructure_member


def _union_structurer(tp: Any, args: tuple[Any, ...]) -> Converter | None:
    if _is_optional(args):
        inner = _structurer(next(a for a in args if a is not type(None)))
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    classes = _union_classes(tp, args)
    if not classes:
        return None

    def structure_member(data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        name = data[TYPE_KEY]
        for cls in classes:
            found = _subclass_named(cls, name)
            if found is not None:
                return _structurer_exact(found)(data)
        raise ValueError(f"{name!r} is none of {tp!r}")

    return structure_member


def _tagged(value: Any) -> Any:
    data = _unstructurer_exact(type(value))(value)
    data[TYPE_KEY] = type(value).__name__
    return data


def _subclass_named(base: type, name: str) -> type | None:
    """The attrs class called ``name`` among ``base`` and its subclasses.

    A slotted attrs class replaces the class its decorator received; until collected, that
    discarded class still shows in ``__subclasses__()``, so only classes with their own attrs
    fields count.
    """
    if base.__name__ == name and "__attrs_attrs__" in base.__dict__:
        return base
    sub: type
    for sub in base.__subclasses__():
        found = _subclass_named(sub, name)
        if found is not None:
            return found
    return None


def _unstructurer_exact(cls: type) -> Converter:
    return typing.cast(Converter, _exact_unstructurers.get(cls))


def _structurer_exact(cls: type) -> Converter:
    return typing.cast(Converter, _exact_structurers.get(cls))


def _attrs_unstructurer(cls: type) -> Converter:
    exact = _unstructurer_exact(cls)

    def unstructure_attrs(value: Any) -> Any:
        if type(value) is cls:
            return exact(value)
        if not isinstance(value, cls):
            raise TypeError(f"expected {cls.__name__}, got {type(value).__name__}")
        return _tagged(value)

    return unstructure_attrs


def _attrs_structurer(cls: type) -> Converter:
    exact = _structurer_exact(cls)

    def structure_attrs(data: Any) -> Any:
        name = data.get(TYPE_KEY)
        if name is None or name == cls.__name__:
            return exact(data)
        found = _subclass_named(cls, name)
        if found is None:
            raise ValueError(f"{name!r} is not a kind of {cls.__name__}")
        return _structurer_exact(found)(data)

    return structure_attrs


def _field_types(cls: type) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(cls)
    except NameError as exc:
        raise TypeError(f"resolvekit.codec cannot resolve the type hints of {cls.__qualname__}: {exc}") from None
    result = {}
    for field in attrs.fields(cls):
        if field.name not in hints:
            raise TypeError(f"{cls.__qualname__}.{field.name} has no type hint; resolvekit.codec needs one")
        result[field.name] = hints[field.name]
    return result


def _compile_attrs_unstructurer(cls: type) -> Converter:
    """Generate ``def unstructure(o): return {"a": o.a, "b": f_b(o.b), ...}`` for ``cls``."""
    types_ = _field_types(cls)
    namespace: dict[str, Any] = {}
    items = []
    for i, field in enumerate(attrs.fields(cls)):
        try:
            fn = _unstructurer(types_[field.name])
        except TypeError as exc:
            raise TypeError(f"{cls.__qualname__}.{field.name}: {exc}") from None
        if fn is None:
            items.append(f"{field.name!r}: o.{field.name}")
        else:
            namespace[f"f{i}"] = fn
            items.append(f"{field.name!r}: f{i}(o.{field.name})")
    source = f"def unstructure(o):\n    return {{{', '.join(items)}}}\n"
    exec(compile(source, f"<resolvekit.codec unstructure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    return typing.cast(Converter, namespace["unstructure"])


def _compile_attrs_structurer(cls: type) -> Converter:
    """Generate a fast path calling ``cls(a=d["a"], b=f_b(d["b"]), ...)`` and a tolerant slow path."""
    types_ = _field_types(cls)
    namespace: dict[str, Any] = {"cls": cls}
    args = []
    slow: list[tuple[str, str, Converter | None]] = []
    for i, field in enumerate(attrs.fields(cls)):
        if not field.init:
            continue
        try:
            fn = _structurer(types_[field.name])
        except TypeError as exc:
            raise TypeError(f"{cls.__qualname__}.{field.name}: {exc}") from None
        alias = field.alias or field.name
        slow.append((field.name, alias, fn))
        if fn is None:
            args.append(f"{alias}=d[{field.name!r}]")
        else:
            namespace[f"f{i}"] = fn
            args.append(f"{alias}=f{i}(d[{field.name!r}])")
    namespace["slow"] = _tolerant_structurer(cls, slow)
    source = (
        "def structure(d):\n"
        "    try:\n"
        f"        return cls({', '.join(args)})\n"
        "    except KeyError:\n"
        "        return slow(d)\n"
    )
    exec(compile(source, f"<resolvekit.codec structure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    return typing.cast(Converter, namespace["structure"])


def _tolerant_structurer(cls: type, fields: list[tuple[str, str, Converter | None]]) -> Converter:
    """Structure data missing some keys: those fields take their defaults (older snapshots)."""

    def structure_with_defaults(data: Mapping[str, Any]) -> Any:
        kwargs = {}
        for name, alias, fn in fields:
            if name in data:
                value = data[name]
                kwargs[alias] = value if fn is None else fn(value)
        return cls(**kwargs)

    return structure_with_defaults


# -- writing JSON text directly -----------------------------------------------------------------------

_quote: Callable[[str], str] = json.encoder.encode_basestring
_MEMO_LIMIT = 20_000


def _write_native(value: Any) -> str:
    """A JSON-ready value as text (``str``, ``int``, ``float``, ``bool``, ``None``, or lists and dicts of them)."""
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return _encoder.encode(value)


def _make_writer(tp: Any) -> Converter:
    if tp in _JSON_NATIVE or tp is Any or tp is object:
        return _write_native
    if isinstance(tp, type):
        if attrs.has(tp):
            return _attrs_writer(tp)
        if issubclass(tp, enum.Enum):
            return lambda v: _write_native(v.value)
        if issubclass(tp, datetime) or issubclass(tp, date) or issubclass(tp, time):
            return lambda v: f'"{v.isoformat()}"'
    union = _union_args(tp)
    if union is not None and _is_optional(union):
        inner = _writers.get(next(a for a in union if a is not type(None)))
        return lambda v: "null" if v is None else inner(v)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (tuple, list, Sequence) and args and (origin is not tuple or args[-1] is Ellipsis):
        item_type = args[0]
        item = _writers.get(item_type)
        if isinstance(item_type, type) and attrs.has(item_type) and _is_frozen(item_type):
            return _memo_sequence_writer(item)
        return lambda v: "[" + ",".join([item(x) for x in v]) + "]"
    fn = _unstructurer(tp)  # everything else: build the data, then encode it
    if fn is None:
        return _write_native
    return lambda v: _encoder.encode(fn(v))


def _is_frozen(cls: type) -> bool:
    """Whether instances of the attrs class ``cls`` cannot change (``@attrs.frozen``)."""
    return getattr(cls.__setattr__, "__name__", "") == "_frozen_setattrs"


def _make_field_writer(tp: Any) -> Converter:
    """The writer of a field of type ``tp``: a frozen attrs value (or ``None``) is remembered by identity.

    A case's order, its offers' money and the authors of its messages are the same objects from one
    snapshot to the next, so their text is written once. (Only fields: the top-level value, a whole
    case, changes on every command and is not remembered.)
    """
    union = _union_args(tp)
    inner = next(a for a in union if a is not type(None)) if union is not None and _is_optional(union) else tp
    if not (isinstance(inner, type) and attrs.has(inner) and _is_frozen(inner)):
        return typing.cast(Converter, _writers.get(tp))
    write = _memo_value_writer(_writers.get(inner))
    if inner is tp:
        return write
    return lambda v: "null" if v is None else write(v)


def _memo_value_writer(item: Converter) -> Converter:
    """Write a frozen attrs value, remembering its text by identity."""
    memo: dict[int, tuple[Any, str]] = {}

    def write_value(value: Any) -> str:
        hit = memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        text: str = item(value)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[id(value)] = (value, text)  # the reference keeps the id from being reused
        return text

    return write_value


def _memo_sequence_writer(item: Converter) -> Converter:
    """Write a tuple of attrs values, remembering each value's text by identity (values are frozen)."""
    memo: dict[int, tuple[Any, str]] = {}

    def write_items(values: Any) -> str:
        parts = []
        for value in values:
            hit = memo.get(id(value))
            if hit is not None and hit[0] is value:
                parts.append(hit[1])
                continue
            text = item(value)
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[id(value)] = (value, text)  # the reference keeps the id from being reused
            parts.append(text)
        return "[" + ",".join(parts) + "]"

    return write_items


def _attrs_writer(cls: type) -> Converter:
    exact = _exact_writers.get(cls)

    def write_attrs(value: Any) -> str:
        if type(value) is cls:
            return typing.cast(str, exact(value))
        if not isinstance(value, cls):
            raise TypeError(f"expected {cls.__name__}, got {type(value).__name__}")
        return _write_tagged(value)

    return write_attrs


def _write_tagged(value: Any) -> str:
    text = typing.cast(str, _exact_writers.get(type(value))(value))
    tag = f'"{TYPE_KEY}":{_quote(type(value).__name__)}}}'
    return "{" + tag if text == "{}" else text[:-1] + "," + tag


_INLINE: dict[Any, str] = {
    # the text of a value ``{v}`` of a common field type, written in place (``{f}`` is the field's
    # writer, for a value of another class than declared: the result is always what it would write)
    str: "(_q({v}) if {v}.__class__ is _str else {f}({v}))",
    int: "(_int_text({v}) if {v}.__class__ is _int else {f}({v}))",
    bool: '("true" if {v} is True else "false" if {v} is False else {f}({v}))',
    datetime: "('\"' + {v}.isoformat() + '\"' if {v}.__class__ is _datetime else {f}({v}))",
}


def _inline(tp: Any, value: str, writer: str) -> str:
    """The expression writing ``value`` (a local name) of declared type ``tp``: a common scalar type,
    optional or not, is written in place; anything else calls ``writer``."""
    union = _union_args(tp)
    optional = union is not None and _is_optional(union)
    inner = next(a for a in union if a is not type(None)) if union is not None and optional else tp
    template = _INLINE.get(inner)
    if template is None:
        return f"{writer}({value})"
    expression = template.format(v=value, f=writer)
    return f'("null" if {value} is None else {expression})' if optional else expression


def _compile_attrs_writer(cls: type) -> Converter:
    """Generate ``def write(o): return ''.join(('{"a":', <a's text>, ',"b":', <b's text>, '}'))`` for ``cls``.

    Strings, numbers, booleans and times (optional or not) are written in place; other fields call
    their writer (``f0``, ``f1``...).
    """
    types_ = _field_types(cls)
    namespace: dict[str, Any] = {"_q": _quote, "_str": str, "_int": int, "_int_text": int.__repr__, "_datetime": datetime}
    reads = []
    pieces = []
    for i, field in enumerate(attrs.fields(cls)):
        try:
            namespace[f"f{i}"] = _field_writers.get(types_[field.name])
        except TypeError as exc:
            raise TypeError(f"{cls.__qualname__}.{field.name}: {exc}") from None
        reads.append(f"    v{i} = o.{field.name}\n")
        prefix = ("{" if i == 0 else ",") + json.dumps(field.name) + ":"
        pieces.append(f"{prefix!r}, {_inline(types_[field.name], f'v{i}', f'f{i}')}")
    # joined at once: chained ``+`` would copy the growing text once per field
    body = "''.join((" + ", ".join(pieces) + ", '}'))" if pieces else "'{}'"
    source = f"def write(o):\n{''.join(reads)}    return {body}\n"
    exec(compile(source, f"<resolvekit.codec write {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    return typing.cast(Converter, namespace["write"])


# An attrs class compiles to two functions: one for exactly that class (the fast path, used when the
# value's class is the declared one) and one that also accepts its subclasses, tagging them.
_unstructurers = _Table(_make_unstructurer)
_structurers = _Table(_make_structurer)
_exact_unstructurers = _Table(_compile_attrs_unstructurer)
_exact_structurers = _Table(_compile_attrs_structurer)
_writers = _Table(_make_writer)
_field_writers = _Table(_make_field_writer)
_exact_writers = _Table(_compile_attrs_writer)
