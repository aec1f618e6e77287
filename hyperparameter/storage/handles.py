"""Live handles (accessors, scope objects, typed views): what they refuse, and what they list.

A handle reads the store of the context it is used in, so a copy would either read something
else or write its own internals into the store. Refusing is the one rule for every handle and
both backends; the message says what to take along instead.

``dir()`` of a handle (and so run-time completion: IPython, ``jedi.Interpreter``) lists its
public attributes and the names it reaches — a view's fields, the next segments of the keys
an accessor or scope object can read — never the ``_hp_`` internals.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn

__all__ = ["LiveHandle", "attribute_names"]

#: The prefix of every attribute the package's own machinery keeps on a handle.
INTERNAL = "_hp_"


def attribute_names(keys: Iterable[str], prefix: str) -> set[str]:
    """The segments right after ``prefix`` of the ``keys`` that start with it, as far as they
    can be written as attributes (``"model.lr"`` under ``"model."`` gives ``lr``; list indices,
    names with ``-`` and keywords are reached with ``[...]`` instead)."""
    n = len(prefix)
    out: set[str] = set()
    for key in keys:
        if key.startswith(prefix):
            head = key[n:].split(".", 1)[0]
            if (
                head.isidentifier()
                and not keyword.iskeyword(head)
                and not head.startswith(("__", INTERNAL))
            ):
                out.add(head)
    return out


class LiveHandle:
    """Mixin: ``copy``, ``deepcopy`` and ``pickle`` raise a ``TypeError`` naming what to use;
    ``dir()`` lists the public attributes and :meth:`_hp_names`."""

    __slots__ = ()
    #: What to take along instead, for the message.
    _hp_instead: ClassVar[str] = (
        "take its values with .to_dict() (flat dotted keys) and pass them to param_scope(...) "
        "where they are needed"
    )

    def __dir__(self) -> list[str]:
        # The class's attributes (an instance's own dict only caches accessors), less the
        # internals, and the names the handle reaches now.
        names = {n for n in dir(type(self)) if not n.startswith(INTERNAL)}
        names.update(self._hp_names())
        return sorted(names)

    def _hp_names(self) -> Iterable[str]:
        """The attribute names this handle reaches beyond its class's (what ``dir()`` adds)."""
        return ()

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
