"""One store with Rust (DESIGN §4, §13): Rust code in the extension reads with ``get_param!``
what Python set, and Python reads what Rust set with ``with_params!``, in the same thread
(``_core._facade_read`` / ``_core._facade_scope``, test-only functions of rust_core/pybind).

On the Python backend the two stores are separate, as documented (docs/rust.md): the Rust
facade keeps its own thread-local frames, so each language sees only its own values — which
is asserted there, instead of skipping."""

from __future__ import annotations

import os

import pytest

import hyperparameter as hp
from hyperparameter import _core  # built in every supported install, whichever backend runs

EXPECTED = os.environ.get("HYPERPARAMETER_BACKEND", "rust") or "rust"

DEFAULTS = (0.5, 1, "none", False)


def python_view() -> tuple[float, str, int]:
    ps = hp.param_scope
    return (ps.rust.lr | 0.0, ps.rust.name | "", ps.rust.layers | 0)


def test_rust_reads_what_python_set_and_python_reads_what_rust_set() -> None:
    with hp.param_scope(**{"rust.lr": 0.1, "rust.amp": True}), hp.param_scope("rust.layers=3"):
        inside = _core._facade_scope(lambda: (python_view(), _core._facade_read()))
        if EXPECTED == "rust":
            # -D style text ("3") is typed by the Rust default (an int), as in Python.
            assert _core._facade_read() == (0.1, 3, "none", True)
            assert inside == ((0.25, "from-rust", 3), (0.25, 3, "from-rust", True))
        else:
            assert _core._facade_read() == DEFAULTS
            assert inside == ((0.1, "", 3), (0.25, 1, "from-rust", False))
        assert python_view() == (0.1, "", 3)  # the Rust scope ended with its block
    assert _core._facade_read() == DEFAULTS
    assert python_view() == (0.0, "", 0)


def test_a_python_exception_inside_with_params_leaves_the_rust_scope() -> None:
    def boom() -> None:
        assert _core._facade_read()[2] == "from-rust"
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        _core._facade_scope(boom)
    assert _core._facade_read() == DEFAULTS
    assert python_view() == (0.0, "", 0)


def test_python_scopes_entered_inside_rust_are_seen_by_rust() -> None:
    def nested() -> tuple[float, int, str, bool]:
        with hp.param_scope(**{"rust.layers": 7}):
            return _core._facade_read()

    got = _core._facade_scope(nested)
    assert got == (
        (0.25, 7, "from-rust", False) if EXPECTED == "rust" else (0.25, 1, "from-rust", False)
    )
