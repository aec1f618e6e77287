# One set of targets, used by developers, pre-commit and .ci/run alike.
PYTHON ?= python3

.PHONY: install test lint docs serve rust bench fuzz

install:            ## build the extension and install the package with dev (and docs) dependencies
	$(PYTHON) -m pip install -e '.[dev]'

test:               ## the whole suite, once per store backend
	HYPERPARAMETER_BACKEND=rust $(PYTHON) -m pytest
	HYPERPARAMETER_BACKEND=python $(PYTHON) -m pytest

lint:               ## Python linters, type checks, the import contracts, and the native stub
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy --strict hyperparameter
	lint-imports        # the import arrows of DESIGN §1: [tool.importlinter] in pyproject.toml
	$(PYTHON) -m mypy.stubtest hyperparameter._core --allowlist stubs/stubtest-allowlist.txt

docs:               ## the documentation site, strictly: a broken link or any warning fails (site/)
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict

serve:              ## the documentation site at http://127.0.0.1:8000, rebuilt on every edit
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs serve

rust:               ## Rust format, lints, tests (docs/rust.md's examples and the trybuild cases included), docs
	cargo fmt --all --check
	cargo fmt --manifest-path rust_core/store/fuzz/Cargo.toml --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace
	# the layered example (a TOML file, then -D, then code); @0.7.0: not the 0.5.13 crate benches compare with
	cargo run -q -p hyperparameter@0.7.0 --example layered -- -D example.param1=cli \
	  | grep -x 'param1=cli param2=3 // command line' >/dev/null
	cargo run -q -p hyperparameter@0.7.0 --example layered -- --help | grep '^  example.param2$$' >/dev/null

bench:              ## performance suite against peers (release build)
	$(PYTHON) benchmarks/run.py
	cargo bench -p hp-store
	cargo bench -p hyperparameter@0.7.0   # the Rust API against the 0.5.13 crate (criterion)

FUZZ_SECONDS ?= 120
fuzz:               ## coverage-guided fuzzing, FUZZ_SECONDS per target (fuzz/README.md)
	$(PYTHON) -c 'import atheris' 2>/dev/null || $(PYTHON) -m pip install -e '.[dev,fuzz]'
	$(PYTHON) fuzz/run.py --seconds $(FUZZ_SECONDS)
