"""Loading: ``load`` / ``loads`` read YAML, TOML and JSON files through the pipeline of
DESIGN §2 (formats → merge → env → interpolate → validate); ``dump`` writes a config back."""

from __future__ import annotations

from .dumper import dump
from .pipeline import Document, load, loads

__all__ = ["Document", "dump", "load", "loads"]

# The public names live here, whichever module of the package defines them.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
