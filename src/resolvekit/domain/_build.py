"""Building frozen attrs value objects on the command path, faster than their constructors.

A frozen, slotted attrs class sets every field through ``object.__setattr__`` in its ``__init__``
(plain assignment is what "frozen" forbids). Every command builds a few such objects with many
fields (the case, its SLA clocks and state, notifications), and that costs more than the rules
themselves. :func:`frozen_builder` makes an equivalent positional constructor: it assigns the slots
of an instance of an unfrozen subclass with the same layout, then gives the instance its real class.
:func:`frozen_replacer` does the same for ``attrs.evolve`` (a copy with some fields changed), with
one generated copy function per set of changed fields. The result is an ordinary instance of the
class: equal, hashed, printed, pickled and frozen as one built by its constructor.

Only classes whose constructor does nothing but store its arguments qualify: no converters,
validators, ``on_setattr`` hooks, ``__attrs_pre_init__``, ``__attrs_post_init__`` or own
``__new__``. Anything else raises ``TypeError`` when the builder or replacer is made (at import
time), so a field that later gains a converter cannot be skipped silently. The one exception is
explicit: a builder may be told which fields' checks its callers make unnecessary
(``frozen_builder(cls, trusted=...)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["frozen_builder", "frozen_replacer"]

T = TypeVar("T")


def _plain_fields(cls: type, trusted: tuple[str, ...] = ()) -> tuple[attrs.Attribute[Any], ...]:
    """The fields of ``cls``, or ``TypeError`` when it is not a frozen, slotted attrs class whose
    constructor only stores its arguments (but for the converters and validators of the ``trusted`` fields)."""
    if not attrs.has(cls) or "__slots__" not in vars(cls) or getattr(cls.__setattr__, "__name__", "") != "_frozen_setattrs":
        raise TypeError(f"{cls.__qualname__} is not a frozen, slotted attrs class")
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)
    for field in fields:
        hook: object = field.on_setattr
        checks = field.converter is not None or field.validator is not None
        if (checks and field.name not in trusted) or hook not in (None, attrs.setters.NO_OP):
            raise TypeError(f"{cls.__qualname__}.{field.name} converts or validates its value; build it with its constructor")
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        raise TypeError(f"{cls.__qualname__} has an init hook; build it with its constructor")
    if cls.__new__ is not object.__new__:
        raise TypeError(f"{cls.__qualname__} has its own __new__; build it with its constructor")
    unknown = set(trusted) - {field.name for field in fields if field.converter is not None or field.validator is not None}
    if unknown:
        raise TypeError(f"{cls.__qualname__} has no converter or validator on {', '.join(sorted(unknown))}")
    if any(field.name.startswith("_rk_") for field in fields):
        raise TypeError(f"{cls.__qualname__} has a field named like the generated code's own names (_rk_...)")
    return fields


def _unfrozen(cls: type, prefix: str) -> type:
    """A subclass of ``cls`` with the same layout whose instances take plain slot assignments.

    object's own ``__setattr__`` and ``__delattr__`` (they share one type slot); an instance filled in
    this way becomes a ``cls`` by assigning its ``__class__``. Its ``__init__`` is object's, so calling
    the subclass makes an empty instance (faster than ``object.__new__(subclass)``).
    """
    body = {"__slots__": (), "__setattr__": object.__setattr__, "__delattr__": object.__delattr__, "__init__": object.__init__}
    return type(f"{prefix}{cls.__name__}", (cls,), body)


def frozen_builder(cls: type[T], *, trusted: tuple[str, ...] = ()) -> Callable[..., T]:
    """A function ``build(*values)`` returning ``cls(*values)``: the fields by position, in field order.

    Fields with a plain default may be left out at the end; fields with a factory default must be given.
    ``trusted`` names fields whose converter and validator the builder skips: its callers pass only
    values those would accept unchanged (an ``EventKind`` where the converter turns strings into one,
    data the class's own ``to_dict`` wrote).

    Raises ``TypeError`` when ``cls`` is not a frozen, slotted attrs class whose constructor only
    stores its arguments (the checks of the ``trusted`` fields aside).
    """
    fields = _plain_fields(cls, trusted)
    unfrozen = _unfrozen(cls, "_Building")
    names = [field.name for field in fields]  # the parameters are named after the fields
    namespace: dict[str, Any] = {"_rk_unfrozen": unfrozen, "_rk_cls": cls}
    parameters = []
    for index, field in enumerate(fields):
        # a plain default of a trailing field is the parameter's default (a factory's field must be given)
        trailing = all(f.default is not attrs.NOTHING and not isinstance(f.default, attrs.Factory) for f in fields[index:])  # type: ignore[arg-type]
        if trailing:
            namespace[f"_rk_default_{index}"] = field.default
            parameters.append(f"{field.name}=_rk_default_{index}")
        else:
            parameters.append(field.name)
    assignments = "".join(f"    _rk_o.{name} = {name}\n" for name in names)
    source = f"def build({', '.join(parameters)}):\n    _rk_o = _rk_unfrozen()\n{assignments}    _rk_o.__class__ = _rk_cls\n    return _rk_o\n"
    exec(compile(source, f"<resolvekit build {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    build: Callable[..., T] = namespace["build"]
    build.__doc__ = f"``{cls.__qualname__}(*values)``, all fields given in order, built without the frozen constructor's overhead."
    return build


def frozen_replacer(cls: type[T]) -> Callable[[T, dict[str, Any]], T]:
    """A function ``replace(obj, changes)`` returning ``attrs.evolve(obj, **changes)`` for an exact ``cls``.

    Each distinct sequence of changed names gets its own generated copy function (read every other
    field from ``obj``, take the changed ones from ``changes``), made on first use and kept; names
    that are not fields of ``cls`` are ignored. The same conditions as :func:`frozen_builder` apply.
    """
    names = [field.name for field in _plain_fields(cls)]
    unfrozen = _unfrozen(cls, "_Replacing")
    copies: dict[tuple[str, ...], Callable[[T, dict[str, Any]], T]] = {}

    def compile_copy(changed: tuple[str, ...]) -> Callable[[T, dict[str, Any]], T]:
        lines = "".join(
            f"    _rk_o.{name} = _rk_changes[{name!r}]\n" if name in changed else f"    _rk_o.{name} = _rk_obj.{name}\n" for name in names
        )
        source = f"def copy(_rk_obj, _rk_changes):\n    _rk_o = _rk_unfrozen()\n{lines}    _rk_o.__class__ = _rk_cls\n    return _rk_o\n"
        namespace: dict[str, Any] = {"_rk_unfrozen": unfrozen, "_rk_cls": cls}
        exec(compile(source, f"<resolvekit replace {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
        copy: Callable[[T, dict[str, Any]], T] = namespace["copy"]
        if len(copies) < 256:  # bounded: commands change a handful of field sets
            copies[changed] = copy
        return copy

    def replace(obj: T, changes: dict[str, Any]) -> T:
        changed = tuple(changes)
        copy = copies.get(changed)
        if copy is None:
            copy = compile_copy(changed)
        return copy(obj, changes)

    replace.__doc__ = f"``attrs.evolve(obj, **changes)`` for a ``{cls.__qualname__}``, without its per-call introspection."
    return replace
