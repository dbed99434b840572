# Copied by deckc 0.1.0 from its runtime (compiler/runtime/frozen.py), unchanged.
# DO NOT EDIT: edit the TOML sources in .pipelex/inference, then run:
#   deckc compile --config-dir .pipelex/inference --out generated
# ruff: noqa: E501, RUF100
"""Immutable values for the runtime's records: :class:`Record` and :class:`FrozenDict`.

A record handed to an application is shared by every caller that looks the same name up (the
runtime caches it), so nothing in it may change: every field is a string, number, tuple or
:class:`FrozenDict`, all the way down.  Records compare and hash by value, copy as themselves,
and pickle (by their fields, whatever module the generated package was imported as).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, NoReturn

__all__ = ["FrozenDict", "Record", "thaw"]


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only ``dict``: hashable, and pickled and copied as itself."""

    __slots__ = ()

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("this mapping is part of a deck record and is read-only")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[Any, Any]]]:
        return FrozenDict, (dict(self),)

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> FrozenDict:
        return self

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


def thaw(value: Any) -> Any:
    """A value of the generated data sections as records hold it: a tuple ``(..., k, v, ...)``
    (how the data modules write a mapping, so that it stays a constant) becomes a
    :class:`FrozenDict`, other tuples keep their items thawed."""
    if type(value) is tuple:
        if value and value[0] is ...:
            return FrozenDict({value[i]: thaw(value[i + 1]) for i in range(1, len(value), 2)})
        return tuple(map(thaw, value))
    return value


def _rebuild(cls: type[Record], values: tuple[Any, ...]) -> Record:
    return cls(**dict(zip(cls._fields, values, strict=True)))


class Record:
    """Base of the record types: keyword construction, read-only fields, value semantics.

    A subclass lists its fields in ``__slots__`` (those of its bases come first) and the ones
    that must be given in ``_required``; the others default to None."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _required: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(
            name for klass in reversed(cls.__mro__) for name in klass.__dict__.get("__slots__", ())
        )

    def __init__(self, **values: Any) -> None:
        missing = [name for name in self._required if name not in values]
        unknown = [name for name in values if name not in self._fields]
        if missing or unknown:
            problems = [f"missing {', '.join(missing)}"] if missing else []
            problems += [f"unknown {', '.join(unknown)}"] if unknown else []
            raise TypeError(f"{type(self).__name__}: {'; '.join(problems)}")
        for name in self._fields:
            object.__setattr__(self, name, values.get(name))

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} records are read-only")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} records are read-only")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, tuple[type[Record], tuple[Any, ...]]]:
        return _rebuild, (type(self), self._values())

    def __copy__(self) -> Record:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Record:
        return self
