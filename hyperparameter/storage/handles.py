"""Live handles (accessors, scope objects, typed views) refuse to be copied or pickled.

A handle reads the store of the context it is used in, so a copy would either read something
else or write its own internals into the store. Refusing is the one rule for every handle and
both backends; the message says what to take along instead.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

__all__ = ["LiveHandle"]


class LiveHandle:
    """Mixin: ``copy``, ``deepcopy`` and ``pickle`` raise a ``TypeError`` naming what to use."""

    __slots__ = ()
    #: What to take along instead, for the message.
    _hp_instead: ClassVar[str] = (
        "take its values with .to_dict() (flat dotted keys) and pass them to param_scope(...) "
        "where they are needed"
    )

    def _hp_describe(self) -> str:
        """The handle, as the message names it."""
        return f"a {type(self).__name__} object"

    def _hp_refuse(self, what: str) -> NoReturn:
        raise TypeError(
            f"cannot {what} {self._hp_describe()}: it is a live view of the current context's "
            f"parameters, not a value; {type(self)._hp_instead}"
        )

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        self._hp_refuse("pickle")

    def __reduce__(self) -> NoReturn:
        self._hp_refuse("pickle")

    def __copy__(self) -> NoReturn:
        self._hp_refuse("copy")

    def __deepcopy__(self, memo: Any) -> NoReturn:
        self._hp_refuse("deepcopy")
