"""``result.plot(path)``: one self-contained HTML page — the best trials in a table, Optuna's
plots (history, importances, parallel coordinates, slices; the Pareto front for several
directions), and every trial at the end."""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Mapping
from typing import Any, Protocol

import optuna
from optuna.trial import FrozenTrial, TrialState

from .summary import best_first


class Result(Protocol):
    """What the report reads of a ``tune.Result``."""

    @property
    def study(self) -> optuna.Study: ...
    @property
    def space(self) -> Mapping[str, Any]: ...
    @property
    def best_trial(self) -> FrozenTrial: ...
    def params_of(self, trial: FrozenTrial) -> dict[str, Any]: ...


__all__ = ["write_report"]

_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#1f2328;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin:0 0 .5rem}
.sub{color:#59636e;margin-top:0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:14px}
th,td{border-bottom:1px solid #d1d9e0;padding:.35rem .6rem;text-align:left}
th{background:#f6f8fa}.num{text-align:right;font-variant-numeric:tabular-nums}
tr.best td{background:#dafbe1}section{margin:2.5rem 0}.note{color:#59636e}
td .note{font-size:12px;margin-left:.4rem}td.err{color:#59636e;font-size:13px}
.pruned{color:#9a6700}.fail{color:#cf222e}.wide{overflow-x:auto}
details summary{cursor:pointer;font-weight:600;font-size:1.2rem}
"""


#: Rows of the table of the best trials at the top; every trial is listed at the end.
TOP = 10
#: Trials listed at the end, at most.
ALL = 1000
# Optuna makes the slices 300 px a parameter: up to this wide they fit the page (squeezed a
# little), a wider figure scrolls sideways rather than squeezing its subplots to slivers
_MAX_SQUEEZED = 1800


def _log_scale(values: list[float]) -> bool:
    """Whether objective values this spread (and all positive) read better on a log axis."""
    return bool(values) and min(values) > 0 and max(values) / min(values) >= 20


def _figures(result: Result) -> list[tuple[str, Any]]:
    from optuna import visualization as vis

    study = result.study
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    figs: list[tuple[str, Any]] = []
    if len(study.directions) > 1:
        figs.append(("Pareto front", vis.plot_pareto_front(study)))
        return figs
    log = _log_scale([t.value for t in done if t.value is not None])
    history = vis.plot_optimization_history(study)
    figs.append(("Optimization history", history))
    if len(done) >= 2 and len(result.space) >= 2:
        # not when it cannot be computed (e.g. every trial has the same value)
        with contextlib.suppress(RuntimeError, ValueError):
            figs.append(("Parameter importances", vis.plot_param_importances(study)))
    if len(done) >= 2:
        figs.append(("Parallel coordinates", vis.plot_parallel_coordinate(study)))
        figs.append(("Slices", vis.plot_slice(study)))
    for title, fig in figs:
        if log and title in ("Optimization history", "Slices"):
            fig.update_yaxes(type="log")
    # the legend above the plot, on the left: the toolbar takes the top right corner
    history.update_layout(
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}
    )
    return figs


def _value_cell(t: FrozenTrial) -> str:
    if t.state == TrialState.FAIL:
        why = str(t.user_attrs.get("error") or t.system_attrs.get("fail_reason") or "failed")
        short = why if len(why) <= 80 else why[:79] + "…"
        return f"<td class=err title='{html.escape(why, quote=True)}'>{html.escape(short)}</td>"
    if t.values is None:
        return "<td class=num>—</td>"
    text = ", ".join(f"{v:.6g}" for v in t.values)
    if t.state == TrialState.PRUNED and t.intermediate_values:
        text += f"<span class=note>at step {max(t.intermediate_values)}</span>"
    return f"<td class=num>{text}</td>"


def _table(result: Result, trials: list[FrozenTrial], best: int) -> str:
    keys = list(result.space)
    head = "".join(f"<th class=num>{html.escape(k)}</th>" for k in keys)
    rows = []
    for t in trials:
        params = result.params_of(t)
        cells = "".join(
            f"<td class=num>{html.escape(_short(params[k]) if k in params else '')}</td>"
            for k in keys
        )
        cls = " class=best" if t.number == best else ""
        state = t.state.name.lower()
        rows.append(
            f"<tr{cls}><td class=num>{t.number}</td><td class={state}>{state}</td>"
            f"{_value_cell(t)}{cells}</tr>"
        )
    return (
        "<table><tr><th class=num>trial</th><th>state</th><th class=num>value</th>"
        f"{head}</tr>{''.join(rows)}</table>"
    )


def _short(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _summary(result: Result, counts: dict[str, int]) -> list[str]:
    study = result.study
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
    return parts


def _top(result: Result, ranked: list[FrozenTrial], best: int) -> str:
    """The best trials (all of them when there are few)."""
    if len(ranked) <= TOP:
        return f"<section><h2>Trials</h2>{_table(result, ranked, best)}</section>"
    note = f"The best {TOP} of {len(ranked)} trials; every trial is listed at the end."
    return (
        f"<section><h2>Best trials</h2>{_table(result, ranked[:TOP], best)}"
        f"<p class=note>{note}</p></section>"
    )


def _every(result: Result, ranked: list[FrozenTrial], best: int) -> str:
    """Every trial (up to :data:`ALL`) by number, folded."""
    listed = sorted(ranked, key=lambda t: t.number)[:ALL]
    more = len(ranked) - len(listed)
    tail = f"<p class=note>{more} more trials not shown.</p>" if more else ""
    return (
        f"<section><details><summary>All {len(ranked)} trials, by number</summary>"
        f"{_table(result, listed, best)}{tail}</details></section>"
    )


def _section(title: str, fig: Any, plotly_js: bool) -> str:
    """One figure; plotly's script goes with the first (the page stays self-contained)."""
    width = fig.layout.width  # Optuna fixes it for slices: 300 px a parameter
    fig.update_layout(title=None, margin={"l": 40, "r": 20, "t": 30, "b": 40}, height=420)
    wide = width is not None and width > _MAX_SQUEEZED
    if not wide:
        fig.update_layout(width=None)  # as wide as the page
    body = fig.to_html(full_html=False, include_plotlyjs=plotly_js, config={"displaylogo": False})
    return f"<section{' class=wide' if wide else ''}><h2>{html.escape(title)}</h2>{body}</section>"


def write_report(result: Result, path: str) -> str:
    """Writes the report of ``result`` to ``path`` (HTML); returns ``path``."""
    study = result.study
    counts: dict[str, int] = {}
    for t in study.trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    single = len(study.directions) == 1
    best = result.best_trial.number if single and counts.get("complete") else -1
    ranked = best_first(study, study.trials)
    parts = _summary(result, counts)
    if ranked:
        parts.append(_top(result, ranked, best))
    for i, (title, fig) in enumerate(_figures(result)):
        parts.append(_section(title, fig, plotly_js=i == 0))
    if len(ranked) > TOP:
        parts.append(_every(result, ranked, best))
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
