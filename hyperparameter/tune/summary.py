"""A study's trials as a plain-text table, best first: what a sweep on the command line prints
at its end (``-m``) and ``hp tune show`` prints for a stored study. Imports no Optuna: it reads
the trials it is given."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["Table", "best_first", "error_of", "print_rich", "summary", "table"]


# complete trials rank first, then pruned ones (by their last report), then failed ones, then
# the rest (running, waiting)
_RANK = {"COMPLETE": 0, "PRUNED": 1, "FAIL": 2}


def best_first(study: Any, trials: Iterable[Any]) -> list[Any]:
    """``trials`` best first: complete ones by value, then pruned ones by their last report,
    then failed and unfinished ones by number; for several directions by state, then number."""

    def rank(t: Any) -> int:
        return _RANK.get(t.state.name, 3)

    if len(study.directions) != 1:
        return sorted(trials, key=lambda t: (rank(t), t.number))
    sign = 1 if study.direction.name == "MINIMIZE" else -1
    return sorted(
        trials,
        key=lambda t: (rank(t), t.value is None, sign * (t.value or 0.0), t.number),
    )


def error_of(trial: Any, width: int = 60) -> str:
    """Why a failed trial failed, on one line of at most ``width`` characters: the objective's
    exception (``user_attrs["error"]``), else Optuna's reason; ``""`` for other trials."""
    if trial.state.name != "FAIL":
        return ""
    why = trial.user_attrs.get("error") or trial.system_attrs.get("fail_reason") or "failed"
    text = " ".join(str(why).split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


class Table:
    """The summary of a result: a title, the column heads, the rows (cells as text), and the
    line saying how many more trials there are ("" when every one is shown)."""

    def __init__(self, title: str, head: list[str], rows: list[list[str]], more: str) -> None:
        self.title = title
        self.head = head
        self.rows = rows
        self.more = more


def table(result: Any, limit: int | None = 10) -> Table:
    """The trials of ``result`` (a ``tune.Result``, or anything with its ``study``, ``trials``,
    ``space``, ``params_of``, ``best_trial`` and ``best_value``), best first: the first
    ``limit`` (every one for ``None``), a title with the counts and the best value, and an
    ``error`` column when a shown trial failed."""
    study = result.study
    every = list(result.trials)
    trials = best_first(study, every)
    shown = trials if limit is None else trials[:limit]
    keys = list(result.space)
    failed = any(t.state.name == "FAIL" for t in shown)
    head = ["trial", "state", "value", *keys, *(["error"] if failed else [])]
    rows = []
    for t in shown:
        value = "-" if t.values is None else ", ".join(f"{v:.6g}" for v in t.values)
        params = result.params_of(t)
        row = [str(t.number), t.state.name.lower(), value, *(_cell(params.get(k)) for k in keys)]
        rows.append([*row, error_of(t) or "-"] if failed else row)
    counts: dict[str, int] = {}
    for t in every:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    done = counts.pop("complete", 0)
    title = f"study {study.study_name}: {len(every)} trials, {done} complete"
    title += "".join(f", {n} {_PAST.get(state, state)}" for state, n in sorted(counts.items()))
    if len(study.directions) == 1 and done:
        title += f"; best value {result.best_value:.6g} (trial {result.best_trial.number})"
    more = f"({len(trials) - len(shown)} more)" if len(shown) < len(trials) else ""
    return Table(title, head, rows, more)


def summary(result: Any, limit: int | None = 10) -> str:
    """:func:`table` as plain text: columns padded with spaces, a dashed line under the
    heads."""
    t = table(result, limit)
    rows = [t.head, *t.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(t.head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([t.title, *lines, *([t.more] if t.more else [])])


def print_rich(result: Any, limit: int | None = 10, file: Any = None) -> None:
    """:func:`table` drawn by rich on a terminal (``file``: rich's console writes there):
    numbers right-aligned, the state coloured, the best trial's row bold."""
    from rich.console import Console
    from rich.table import Table as RichTable

    t = table(result, limit)
    styles = {"complete": "green", "pruned": "yellow", "fail": "red"}
    grid = RichTable(caption=t.more or None)
    for i, name in enumerate(t.head):
        right = all(_numeric(r[i]) for r in t.rows)  # numbers right-aligned, text left
        grid.add_column(name, justify="right" if right else "left", overflow="fold")
    for n, row in enumerate(t.rows):
        state = row[1]
        cells = [*row[:1], f"[{styles.get(state, 'default')}]{state}[/]", *row[2:]]
        grid.add_row(*(c if i == 1 else _escaped(c) for i, c in enumerate(cells)),
                     style="bold" if n == 0 and state == "complete" else None)  # fmt: skip
    console = Console(file=file, highlight=False)
    console.print(t.title, markup=False, soft_wrap=True)
    console.print(grid)


def _numeric(cell: str) -> bool:
    if cell == "-":
        return True
    try:
        float(cell.split(",")[0])
    except ValueError:
        return False
    return True


def _escaped(text: str) -> str:
    from rich.markup import escape

    return escape(text)


_PAST = {"fail": "failed"}


def _cell(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else "-" if v is None else str(v)
