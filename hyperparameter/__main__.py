"""``python -m hyperparameter`` is the ``hp`` command."""

from __future__ import annotations

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
