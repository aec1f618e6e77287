"""The documentation's examples run as tests (Sybil), once per store backend like the rest.

Collected: the pages under ``docs/`` and the docstrings of the package (the API reference shows
them). A fenced block is handled by its language:

- ``python``: run; a page's blocks share one namespace, top to bottom;
- ``pycon``: a doctest session (``>>>`` lines), its printed output compared;
- ``console``: ``$ command`` lines run by the shell in the page's folder (``hp`` and ``python``
  are this interpreter's), their output (stdout and stderr) compared; ``...`` matches anything;
- any block with ``title="NAME"`` (``yaml title="base.yaml"``): written to the file NAME, so
  the examples after it read exactly what the page shows;
- anything else (``bash``, ``yaml``, ``toml``, ``text``, ...): shown, not run.

Each page runs in a fresh temporary folder, in a context of its own (a scope a page leaves
entered, or a bare write, cannot reach another test), with the environment and the frozen
snapshot restored after it.
"""

from __future__ import annotations

import contextvars
import doctest
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sybil import Document, Example, Region, Sybil
from sybil.document import PythonDocStringDocument
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.integration.pytest import SybilItem
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown import PythonCodeBlockParser
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer, RawFencedCodeBlockLexer
from sybil.parsers.rest import DocTestParser

from hyperparameter import storage

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
_TITLE = re.compile(r'(?P<language>[\w+-]+)\s+title="(?P<title>[^"]+)"\s*$\n', re.MULTILINE)


class PyconParser:
    """``pycon`` blocks: doctest sessions."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer("pycon", mapping={"source": "source"})
        self.doctests = DocTestStringParser(DocTestEvaluator(FLAGS))

    def __call__(self, document: Document) -> Iterator[Region]:
        for region in self.lexer(document):
            source = region.lexemes["source"]
            for inner in self.doctests(source, document.path):
                inner.adjust(region, source)
                yield inner


class FileParser:
    """Blocks with ``title="NAME"``: the file NAME, written where the page runs."""

    def __init__(self) -> None:
        self.lexer = RawFencedCodeBlockLexer(info_pattern=_TITLE)

    def __call__(self, document: Document) -> Iterator[Region]:
        for region in self.lexer(document):
            region.parsed = (region.lexemes["title"], str(region.lexemes["source"]))
            region.evaluator = self.write
            yield region

    @staticmethod
    def write(example: Example) -> None:
        name, text = example.parsed
        path = Path(example.namespace["__workdir__"]) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


class ConsoleParser:
    """``console`` blocks: ``$ command`` lines and the output each prints."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer("console", mapping={"source": "source"})

    def __call__(self, document: Document) -> Iterator[Region]:
        for region in self.lexer(document):
            region.parsed = list(self.sessions(str(region.lexemes["source"])))
            region.evaluator = self.run
            yield region

    @staticmethod
    def sessions(text: str) -> Iterable[tuple[str, str]]:
        command: str | None = None
        output: list[str] = []
        for line in text.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    yield command, "\n".join(output)
                command, output = line[2:], []
            else:
                output.append(line)
        if command is not None:
            yield command, "\n".join(output)

    @staticmethod
    def run(example: Example) -> str | None:
        namespace = example.namespace
        checker = doctest.OutputChecker()
        # Output in program order, and help text as wide as the page shows it.
        path = f"{namespace['__bindir__']}{os.pathsep}{os.environ['PATH']}"
        env = {**os.environ, "PATH": path, "PYTHONUNBUFFERED": "1", "COLUMNS": "80"}
        for command, expected in example.parsed:
            done = subprocess.run(
                command,
                shell=True,
                cwd=namespace["__workdir__"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=120,
            )
            want = expected.strip() + "\n" if expected.strip() else ""
            got = done.stdout.strip() + "\n" if done.stdout.strip() else ""
            if not checker.check_output(want, got, FLAGS):
                return f"$ {command}\nexpected:\n{want}got (exit status {done.returncode}):\n{got}"
        return None


def _bin_dir(folder: Path) -> Path:
    """``hp`` and ``python`` for the console blocks: this interpreter, this checkout."""
    bindir = folder / ".bin"
    bindir.mkdir()
    for name, argv in (
        ("python", [sys.executable]),
        ("hp", [sys.executable, "-m", "hyperparameter"]),
    ):
        script = bindir / name
        script.write_text(f'#!/bin/sh\nexec {shlex.join(argv)} "$@"\n', encoding="utf-8")
        script.chmod(0o755)
    return bindir


def setup(namespace: dict[str, Any]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="hp-docs-"))
    namespace["__workdir__"] = str(folder)
    namespace["__bindir__"] = str(_bin_dir(folder))
    namespace["__context__"] = contextvars.Context()
    namespace["__saved__"] = (os.getcwd(), dict(os.environ), list(sys.path))
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    storage.reset_snapshot()


def teardown(namespace: dict[str, Any]) -> None:
    cwd, environ, path = namespace["__saved__"]
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    for name in [m for m, mod in sys.modules.items() if _under(mod, namespace["__workdir__"])]:
        del sys.modules[name]  # modules a page wrote and imported: the next page writes its own
    storage.reset_snapshot()
    subprocess.run(["rm", "-rf", namespace["__workdir__"]], check=True)


def _under(module: Any, folder: str) -> bool:
    return str(getattr(module, "__file__", None) or "").startswith(folder)


PAGES = Sybil(
    name="docs",
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=FLAGS),
        PyconParser(),
        FileParser(),
        ConsoleParser(),
    ],
    path="docs",
    patterns=["*.md"],
    setup=setup,
    teardown=teardown,
)
DOCSTRINGS = Sybil(
    name="docstrings",
    parsers=[DocTestParser(optionflags=FLAGS)],
    path="hyperparameter",
    patterns=["*.py"],
    document_types={".py": PythonDocStringDocument},
    setup=setup,
    teardown=teardown,
)
pytest_collect_file = (PAGES + DOCSTRINGS).pytest()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A page's examples run in the page's own context (see the module docstring)."""
    if not isinstance(item, SybilItem):
        return (yield)
    context = item.example.namespace["__context__"]
    original = item.runtest
    item.runtest = lambda: context.run(original)  # type: ignore[method-assign]
    try:
        return (yield)
    finally:
        del item.runtest
