"""The typing tests in stubs/: mypy must accept positive.py and report exactly the `# E:`
errors of negative.py (run through mypy.api; nothing in stubs/ is executed)."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

STUBS = Path(__file__).resolve().parent.parent / "stubs"


def run_mypy(*files: str) -> list[str]:
    out, err, _ = api.run(
        [
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--hide-error-context",
            "--no-pretty",
            *files,
        ]
    )
    assert not err, err
    return [line for line in out.splitlines() if ": error:" in line or ": note:" in line]


def test_positive_cases_type_check() -> None:
    assert run_mypy(str(STUBS / "positive.py")) == []


def test_negative_cases_report_the_expected_errors() -> None:
    path = STUBS / "negative.py"
    expected = {}
    for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        m = re.search(r"# E: (.*)$", line)
        if m:
            expected[n] = m.group(1)
    got: dict[int, list[str]] = {}
    for line in run_mypy(str(path)):
        m = re.match(r".*negative\.py:(\d+): error: (.*?)(  \[[a-z-]+\])?$", line)
        if m:
            got.setdefault(int(m.group(1)), []).append(m.group(2))
    assert set(got) == set(expected), (got, expected)
    for n, message in expected.items():
        assert message in got[n], (n, got[n])
