"""The result of a power analysis: power curves, MDEs and the candidate schedules side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.planning.analytic import analytic_power
from evalkit.results import Summary
from evalkit.results.base import _Copied
from evalkit.results.display import NotebookDisplay, short_repr

__all__ = ["PowerResult", "detected", "minimum_detectable"]

_KEYS = ["schedule", "outcome", "horizon", "inference", "term"]


def detected(effect: float, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Whether the planned test rejects "no effect" once ``effect`` is added (``-effect`` outside the interval)."""
    return (-effect < lower) | (-effect > upper)


def minimum_detectable(lower: np.ndarray, upper: np.ndarray, target: float) -> float:
    """Smallest positive effect from which on the rejection share stays at least ``target``.

    The share is a step function of the effect with steps at ``-lower`` and ``-upper``
    of the replications, so it is evaluated once between every two steps and beyond the
    last; ``inf`` when the target is never reached (e.g. unbounded intervals).
    """
    steps = np.concatenate([-lower, -upper])
    steps = np.unique(steps[np.isfinite(steps) & (steps > 0)])
    edges = np.concatenate([[0.0], steps])
    probes = np.concatenate([(edges[:-1] + edges[1:]) / 2, [edges[-1] + max(1.0, abs(edges[-1]))]])
    share = np.array([detected(p, lower, upper).mean() for p in probes])
    below = np.flatnonzero(share < target)
    if below.size == 0:
        return 0.0
    if below[-1] == probes.size - 1:
        return float("inf")
    return float(edges[below[-1] + 1])


@dataclass(frozen=True)
class PowerResult(NotebookDisplay):
    """Power and minimum detectable effect (MDE) of planned rollouts, from placebo rollouts.

    Attributes
    ----------
    replications
        One row per placebo rollout, inference and term: ``schedule``, ``outcome``, ``horizon``,
        ``inference``, ``shift``, ``pre_start``, ``post_start``, ``assignment``, ``term``
        (``treated:post`` for the 2x2; ``event_time::e`` and ``ATT`` for the event study),
        ``estimate`` (the placebo DiD, a draw of the estimator's null distribution) and the
        interval ``lower``, ``upper`` at level ``alpha``.
    designs
        One row per schedule and outcome: the schedule's text form, treated and
        comparison units, placebo shifts, mean persons per unit and window
        (``cell_size``), the variance components and the analytic SE.
    effects
        The effect sizes of the power curves (:meth:`tidy`).
    options
        The settings of the run (for the JSON document's provenance).
    alpha, target
        Level of the planned test; power of the MDE (0.8).

    The frames are copies on every access and ``options`` is read-only: the result does
    not change.
    """

    replications: pd.DataFrame = _Copied()  # type: ignore[assignment]
    designs: pd.DataFrame = _Copied()  # type: ignore[assignment]
    effects: tuple[float, ...]
    options: Mapping[str, Any] = _Copied()  # type: ignore[assignment]
    alpha: float = 0.05
    target: float = 0.8

    def _groups(self):
        return self.replications.groupby(_KEYS, sort=False, dropna=False)

    def _design(self, schedule: str, outcome: str) -> pd.Series:
        d = self.designs
        return d[(d["schedule"] == schedule) & (d["outcome"] == outcome)].iloc[0]

    def power(self, effects: Sequence[float] | None = None) -> pd.DataFrame:
        """Rejection share of the planned test at each true effect (placebo and analytic)."""
        grid = np.asarray(self.effects if effects is None else effects, dtype=float)
        rows = []
        for (schedule, outcome, horizon, inference, term), reps in self._groups():
            lower, upper = reps["lower"].to_numpy(), reps["upper"].to_numpy()
            design = self._design(schedule, outcome)
            df = int(design["n_treated"] + design["n_control"] - 2)
            analytic = analytic_power(grid, float(design["analytic_se"]), df, self.alpha)
            for effect, approx in zip(grid, analytic):
                share = float(detected(effect, lower, upper).mean())
                rows.append((schedule, outcome, horizon, inference, term, float(effect), share,
                             float(np.sqrt(share * (1 - share) / len(reps))), float(approx), len(reps)))
        return pd.DataFrame(rows, columns=[*_KEYS, "effect", "power", "power_se", "analytic_power", "replications"])

    def tidy(self) -> pd.DataFrame:
        """The power curves: one row per schedule, outcome, inference and effect size."""
        return self.power()

    def mde(self) -> pd.DataFrame:
        """MDE at ``target`` power for increases and decreases, beside the analytic MDE."""
        from evalkit.planning.analytic import analytic_mde

        rows = []
        for (schedule, outcome, horizon, inference, term), reps in self._groups():
            lower, upper = reps["lower"].to_numpy(), reps["upper"].to_numpy()
            design = self._design(schedule, outcome)
            df = int(design["n_treated"] + design["n_control"] - 2)
            rows.append((schedule, outcome, horizon, inference, term, int(design["n_treated"]), int(design["n_control"]),
                         len(reps), minimum_detectable(lower, upper, self.target),
                         minimum_detectable(-upper, -lower, self.target),
                         analytic_mde(float(design["analytic_se"]), df, self.alpha, self.target),
                         float(design["icc"]), float(reps["estimate"].std(ddof=1)) if len(reps) > 1 else np.nan))
        return pd.DataFrame(rows, columns=[*_KEYS, "n_treated", "n_control", "replications", "mde",
                                           "mde_decrease", "analytic_mde", "icc", "placebo_sd"])

    def summary(self) -> Summary:
        """The MDE of every schedule, outcome, inference and term (does not print by itself)."""
        table = _one_term_dropped(self.mde())
        table = table.set_index([k for k in _KEYS if k in table.columns])
        facts = {
            "schedules": self.designs["schedule"].nunique(),
            "outcomes": self.designs["outcome"].nunique(),
            "replications": len(self.replications),
            "alpha": self.alpha,
            "power target": self.target,
        }
        notes = (
            f"mde: smallest effect detected in at least {self.target:.0%} of placebo rollouts (planned test at "
            f"{self.alpha:g}, two-sided); mde_decrease the same for a negative effect; analytic_mde: design effect "
            "from the intra-unit correlation icc, t with G-2 df; placebo_sd: spread of the placebo estimates.",
        )
        return Summary(title="Power of planned rollouts (placebo rollouts on the history)", facts=facts,
                       table=table, notes=notes)

    def to_markdown(self) -> str:
        """The MDE table and the power curves as Markdown tables."""
        mde = _one_term_dropped(self.mde())
        curves = self.power()
        rows = ["outcome", "term", "effect"] if curves["term"].nunique() > 1 else ["outcome", "effect"]
        curves = curves.pivot_table(index=rows, columns=["schedule", "inference"], values="power", sort=False)
        curves.columns = [f"{s} ({i})" for s, i in curves.columns]
        return ("### Minimum detectable effect at {:.0%} power\n\n".format(self.target)
                + _markdown(mde, floats={"mde": 4, "mde_decrease": 4, "analytic_mde": 4, "icc": 5, "placebo_sd": 4})
                + "\n\n### Power by effect size\n\n"
                + _markdown(curves.reset_index(), floats={c: 3 for c in curves.columns} | {"effect": 4}) + "\n")

    def plot(self, *, ax: Any = None) -> Any:
        """Power curves by effect size: placebo (solid) and analytic (dashed), one panel per outcome."""
        import matplotlib.pyplot as plt

        curves = self.power()
        outcomes = list(dict.fromkeys(curves["outcome"]))
        if ax is None:
            fig, axes = plt.subplots(1, len(outcomes), figsize=(5.5 * len(outcomes), 4), squeeze=False)
            axes = list(axes[0])
        else:
            fig, axes = ax.figure, [ax] * len(outcomes)
        for axis, outcome in zip(axes, outcomes):
            part = curves[curves["outcome"] == outcome]
            for (schedule, inference, term), line in part.groupby(["schedule", "inference", "term"], sort=False):
                label = f"{schedule} ({inference})" if term == "treated:post" else f"{schedule} {term} ({inference})"
                drawn = axis.plot(line["effect"], line["power"], marker="o", ms=3, label=label)
                axis.plot(line["effect"], line["analytic_power"], ls="--", color=drawn[0].get_color(), lw=1)
            axis.axhline(self.target, color="grey", lw=0.8, ls=":")
            axis.set_xlabel(f"true effect on {outcome}")
            axis.set_ylabel("power")
            axis.set_ylim(0, 1.02)
            axis.set_title(outcome)
        axes[0].legend(fontsize=8, title="solid: placebo, dashed: analytic", title_fontsize=8)
        fig.tight_layout()
        return fig

    def results_document(self, provenance: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The JSON results document (schema ``evalkit.results/1``, study ``power``)."""
        from evalkit.report.json_contract import SCHEMA_ID, clean, records

        if provenance is None:
            from evalkit import __version__

            provenance = {"evalkit_version": __version__, "created": None, "inputs": [],
                          "seed": self.options.get("seed"), "options": clean(dict(self.options))}
        provenance = {**provenance, "disclosure": {
            "enabled": False, "min_cell": 1,
            "note": "no counts of persons are shown: power, effects and numbers of units only"}}
        return {
            "schema": SCHEMA_ID,
            "study": "power",
            "title": "Power and minimum detectable effect of planned rollouts",
            "provenance": clean(dict(provenance)),
            "warnings": [],
            "designs": records(self.designs),
            "mde": records(self.mde()),
            "power": records(self.power()),
        }

    def __repr__(self) -> str:
        mde = self.mde()
        facts = {f"{r.schedule} {r.outcome} {r.inference}" + ("" if r.term == "treated:post" else f" {r.term}"): r.mde
                 for r in mde.itertuples()}
        return short_repr("PowerResult", facts)


def _one_term_dropped(frame: pd.DataFrame) -> pd.DataFrame:
    """The table without its ``term`` column when every row has the same term (the 2x2's ``treated:post``)."""
    return frame.drop(columns="term") if frame["term"].nunique() == 1 else frame


def _markdown(frame: pd.DataFrame, floats: Mapping[str, int]) -> str:
    def cell(column: str, value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            if not np.isfinite(value):
                return "not reached" if np.isposinf(value) else ""
            return f"{value:.{floats.get(column, 4)}f}"
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)

    columns = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(c, v) for c, v in zip(columns, row)) + " |")
    return "\n".join(lines)
