"""``result.plot(path)``: one self-contained HTML page — the study in a table, best first,
and Optuna's plots (history, importances, parallel coordinates, slices; the Pareto front for
several directions)."""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Mapping
from typing import Any, Protocol

import optuna
from optuna.trial import FrozenTrial, TrialState

from .summary import ranked


class Result(Protocol):
    """What the report reads of a ``tune.Result``."""

    study: optuna.Study

    @property
    def space(self) -> Mapping[str, Any]: ...
    @property
    def best_trial(self) -> FrozenTrial: ...
    def params_of(self, trial: FrozenTrial) -> dict[str, Any]: ...


__all__ = ["write_report"]

_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#1f2328;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}.sub{color:#59636e;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0 2rem;font-size:14px}
th,td{border-bottom:1px solid #d1d9e0;padding:.35rem .6rem;text-align:left}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.best td{background:#dafbe1}section{margin:2rem 0}.note{color:#59636e}
"""


def _figures(result: Result) -> list[tuple[str, Any]]:
    from optuna import visualization as vis

    study = result.study
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    figs: list[tuple[str, Any]] = []
    if len(study.directions) > 1:
        figs.append(("Pareto front", vis.plot_pareto_front(study)))
        return figs
    figs.append(("Optimization history", vis.plot_optimization_history(study)))
    if len(done) >= 2 and len(result.space) >= 2:
        # not when it cannot be computed (e.g. every trial has the same value)
        with contextlib.suppress(RuntimeError, ValueError):
            figs.append(("Parameter importances", vis.plot_param_importances(study)))
    if len(done) >= 2:
        figs.append(("Parallel coordinates", vis.plot_parallel_coordinate(study)))
        figs.append(("Slices", vis.plot_slice(study)))
    return figs


def _table(result: Result) -> str:
    study = result.study
    single = len(study.directions) == 1
    trials = ranked(study, study.trials)
    best = result.best_trial.number if single and any(t.value is not None for t in trials) else -1
    keys = list(result.space)
    head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    rows = []
    for t in trials[:50]:
        values = "—" if t.values is None else ", ".join(f"{v:.6g}" for v in t.values)
        cells = "".join(
            f"<td class=num>{html.escape(_short(t.params.get(k, '')))}</td>" for k in keys
        )
        cls = " class=best" if t.number == best else ""
        rows.append(
            f"<tr{cls}><td class=num>{t.number}</td><td>{t.state.name.lower()}</td>"
            f"<td class=num>{values}</td>{cells}</tr>"
        )
    more = (
        f"<p class=note>{len(trials) - 50} more trials not shown.</p>" if len(trials) > 50 else ""
    )
    return (
        f"<table><tr><th>trial</th><th>state</th><th>value</th>{head}</tr>"
        f"{''.join(rows)}</table>{more}"
    )


def _short(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def write_report(result: Result, path: str) -> str:
    """Writes the report of ``result`` to ``path`` (HTML); returns ``path``."""
    study = result.study
    counts: dict[str, int] = {}
    for t in study.trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    dirs = ", ".join(d.name.lower() for d in study.directions)
    parts = [
        f"<h1>Study {html.escape(study.study_name)}</h1>",
        f"<p class=sub>{len(study.trials)} trials ({summary}); {dirs}</p>",
    ]
    if len(study.directions) == 1 and counts.get("complete"):
        best = result.best_trial
        parts.append(
            f"<p>Best value <b>{best.value:.6g}</b> at trial {best.number}: "
            + ", ".join(
                f"<code>{html.escape(k)}={html.escape(_short(v))}</code>"
                for k, v in result.params_of(best).items()
            )
            + "</p>"
        )
    parts.append(_table(result))
    for i, (title, fig) in enumerate(_figures(result)):
        fig.update_layout(title=None, margin={"l": 40, "r": 20, "t": 20, "b": 40}, height=420)
        body = fig.to_html(full_html=False, include_plotlyjs=(i == 0))
        parts.append(f"<section><h2>{html.escape(title)}</h2>{body}</section>")
    page = (
        "<!doctype html><html><head><meta charset=utf-8>"
        f"<title>Study {html.escape(study.study_name)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, path)
    return path
