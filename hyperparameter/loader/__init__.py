"""Loading: ``load`` / ``loads`` read YAML, TOML and JSON files through the pipeline of
DESIGN §2 (formats → merge → env → interpolate → validate); ``dump`` writes a config back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .pipeline import Document, load, loads

if TYPE_CHECKING:
    from .dumper import dump

__all__ = ["Document", "dump", "load", "loads"]

# The public names live here, whichever module of the package defines them.
for _name in ("Document", "load", "loads"):
    globals()[_name].__module__ = __name__
del _name


def __getattr__(name: str) -> Any:
    # ``dump`` is imported on first use: a program that only loads never pays for the writers.
    if name == "dump":
        from .dumper import dump

        dump.__module__ = __name__
        globals()["dump"] = dump
        return dump
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
