"""The 0.6 names of ``hyperparameter.tune``: ``suggest_from`` and ``lazy_dispatch``, values
computed each time a parameter is read (define-by-run through scope values)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ..coerce import Suggested

__all__ = ["LazyDispatch", "lazy_dispatch", "suggest_from"]


def suggest_from(callback: Callable[[], Any]) -> Suggested:
    """A parameter value that is ``callback()`` each time it is read:
    ``param_scope(**{"model.lr": tune.suggest_from(lambda: trial.suggest_float("lr", 1e-4,
    1e-1))})``."""
    return Suggested(callback)


class LazyDispatch:
    """``lazy_dispatch(obj).a.b(*args)`` is a value that calls ``obj.a.b(*args)`` each time it
    is read (``lazy_dispatch(trial).suggest_float("lr", 1e-4, 1e-1)``); ``[i]`` indexes."""

    __slots__ = ("_hp_index", "_hp_name", "_hp_obj")
    _hp_obj: Any
    _hp_name: str | None
    _hp_index: Any

    def __init__(self, obj: Any, name: str | None = None, index: Any = None) -> None:
        object.__setattr__(self, "_hp_obj", obj)
        object.__setattr__(self, "_hp_name", name)
        object.__setattr__(self, "_hp_index", index)

    def __getattr__(self, name: str) -> LazyDispatch:
        if name.startswith("__"):
            raise AttributeError(name)
        full = name if self._hp_name is None else f"{self._hp_name}.{name}"
        return LazyDispatch(self._hp_obj, full, self._hp_index)

    def __getitem__(self, index: Any) -> LazyDispatch:
        return LazyDispatch(self._hp_obj, self._hp_name, index)

    def __call__(self, *args: Any, **kwargs: Any) -> Suggested:
        obj, name, index = self._hp_obj, self._hp_name, self._hp_index

        def call() -> Any:
            target = obj
            for part in (name or "").split("."):
                if part:
                    target = getattr(target, part)
            if index is not None:
                target = operator.getitem(target, index)
            return target(*args, **kwargs)

        return Suggested(call)

    def __repr__(self) -> str:
        return f"lazy_dispatch({self._hp_obj!r}).{self._hp_name}"


def lazy_dispatch(obj: Any) -> LazyDispatch:
    """``obj`` for define-by-run values: ``lazy_dispatch(trial).suggest_float("lr", 1e-4,
    1e-1)`` is a parameter value that asks ``trial`` each time it is read."""
    return LazyDispatch(obj)
