"""Cumulative incidence of the first exit to work or to education (competing risks).

After entering NAV a young person leaves for work or for education, whichever comes
first; the other exit is then a competing event, and follow-up is right-censored at the
panel's end.  The Kaplan-Meier complement of one exit type, treating the other as
censoring, overstates its probability; the Aalen-Johansen estimator does not.
:func:`first_exit_times` derives (duration, event) for every entry from the status panel in
the panel's engine, :func:`aalen_johansen` estimates the cumulative incidence function (CIF)
of each exit from any (duration, event) data, and :func:`cumulative_incidence` does both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.cohorts.entries import Entries
from evalkit.errors import EvalkitError, PanelValidationError
from evalkit.outcomes.states import EXIT_STATES
from evalkit.panel.load import StatusPanel
from evalkit.results.base import Summary, _Copied
from evalkit.results.display import NotebookDisplay

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CumulativeIncidenceResult",
    "aalen_johansen",
    "cumulative_incidence",
    "first_exit_times",
]


# -- estimator ---------------------------------------------------------------------------
def _aalen_johansen(
    times: np.ndarray, durations: np.ndarray, events: np.ndarray, n_events: int
) -> dict[str, np.ndarray]:
    """Aalen-Johansen CIFs and their delta-method variance for one group.

    ``times`` are the sorted distinct durations (with 0); ``events`` hold codes 0..K.
    Returns arrays over ``times``: at-risk, counts, survival and, per event, CIF and variance.
    """
    pos = np.searchsorted(times, durations)
    m = len(times)
    removed = np.bincount(pos, minlength=m).astype(float)
    d_k = np.stack([np.bincount(pos[events == k], minlength=m) for k in range(1, n_events + 1)]).astype(float)
    d = d_k.sum(axis=0)
    n = removed[::-1].cumsum()[::-1]  # at risk at t: duration >= t
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(n > 0, d / n, 0.0)
        surv = np.cumprod(1.0 - hazard)
        surv_lag = np.concatenate([[1.0], surv[:-1]])
        # clipped against rounding (a cumulative sum can exceed 1 by an ulp)
        cif = np.clip(np.cumsum(np.where(n > 0, surv_lag * d_k / n, 0.0), axis=1), 0.0, 1.0)
        # Greenwood-type terms; a = d / (n (n - d)) is set to 0 where everyone at risk exits
        # (n == d), where its weight (F(t) - F(t_i))^2 is 0.
        a = np.where((n > d) & (d > 0), d / (n * (n - d)), 0.0)
        b = np.where(n > 0, surv_lag**2 * d_k * (n - d_k) / n**3, 0.0)
        c = np.where(n > 0, surv_lag * d_k / n**2, 0.0)
    var = (
        cif**2 * np.cumsum(a)
        - 2 * cif * np.cumsum(a * cif, axis=1)
        + np.cumsum(a * cif**2, axis=1)
        + np.cumsum(b, axis=1)
        - 2 * (cif * np.cumsum(c, axis=1) - np.cumsum(c * cif, axis=1))
    )
    return {
        "n_at_risk": n,
        "n_events_k": d_k,
        "n_events": d,
        "n_censored": removed - d,
        "survival": surv,
        "cif": cif,
        "variance": np.maximum(var, 0.0),
    }


def _loglog_bounds(
    estimate: np.ndarray, std_error: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence bounds from the log(-log F) transform (delta method), inside (0, 1).

    Where F is 0 or 1 or the standard error is 0 both bounds equal the estimate.
    """
    z = stats.norm.isf(alpha / 2)
    ok = (estimate > 0) & (estimate < 1) & (std_error > 0)
    f = np.where(ok, estimate, 0.5)
    se_t = np.where(ok, std_error, 0.0) / (f * np.abs(np.log(f)))
    centre = np.log(-np.log(f))
    lower = np.exp(-np.exp(centre - z * se_t))
    upper = np.exp(-np.exp(centre + z * se_t))
    lower, upper = np.minimum(lower, upper), np.maximum(lower, upper)
    return np.where(ok, lower, estimate), np.where(ok, upper, estimate)


def _group_frame(by: Any, n: int) -> pd.DataFrame | None:
    if by is None:
        return None
    if isinstance(by, pd.DataFrame):
        frame = by.reset_index(drop=True)
    elif isinstance(by, pd.Series):
        frame = by.reset_index(drop=True).to_frame(name=by.name if by.name is not None else "group")
    else:
        frame = pd.DataFrame({"group": np.asarray(by)})
    if len(frame) != n:
        raise EvalkitError(f"by has {len(frame)} rows but durations has {n}")
    return frame


def aalen_johansen(
    durations: Sequence[float] | np.ndarray | pd.Series,
    events: Sequence[int] | np.ndarray | pd.Series,
    *,
    event_names: Sequence[str],
    by: pd.Series | pd.DataFrame | Sequence[Any] | None = None,
    alpha: float = 0.05,
) -> "CumulativeIncidenceResult":
    r"""Aalen-Johansen cumulative incidence of competing events under right censoring.

    With distinct times :math:`t_1 < t_2 < \dots`, :math:`n_i` at risk (duration
    :math:`\ge t_i`), :math:`d_{ki}` events of type :math:`k` and :math:`d_i = \sum_k d_{ki}`
    at :math:`t_i`, the all-cause Kaplan-Meier survival is
    :math:`S(t_i) = \prod_{j \le i}(1 - d_j / n_j)` and the cumulative incidence of event
    :math:`k` is

    .. math::  F_k(t) = \sum_{t_i \le t} S(t_{i-1})\, d_{ki} / n_i

    (Aalen & Johansen 1978; Putter, Fiocco & Geskus 2007), so that
    :math:`\sum_k F_k(t) + S(t) = 1`.  Tied times are handled exactly: all events at
    :math:`t_i` share the risk set :math:`n_i`, and an entry censored at :math:`t_i` is
    at risk at :math:`t_i` (censoring after events, as in lifelines).  The variance is the
    Greenwood-type delta-method estimator (Marubini & Valsecchi 1995; Collett 2015, p.
    411; the ``AalenJohansenFitter`` of lifelines and SAS PROC LIFETEST)

    .. math::

        \widehat{\mathrm{Var}} F_k(t) = \sum_{t_i \le t} [F_k(t) - F_k(t_i)]^2
            \frac{d_i}{n_i (n_i - d_i)}
          + \sum_{t_i \le t} S(t_{i-1})^2 \frac{d_{ki} (n_i - d_{ki})}{n_i^3}
          - 2 \sum_{t_i \le t} [F_k(t) - F_k(t_i)] S(t_{i-1}) \frac{d_{ki}}{n_i^2},

    and confidence intervals use the :math:`\log(-\log F)` transform, as lifelines does.

    Parameters
    ----------
    durations
        Non-negative follow-up time of each entry (months since entry).
    events
        Integer code per entry: 0 = censored, ``k`` = ``event_names[k - 1]``.
    event_names
        Names of the competing events, e.g. :data:`~evalkit.outcomes.states.EXIT_STATES`.
    by
        Optional group labels aligned with ``durations`` (Series, DataFrame of several
        columns, or array); one curve per group.  Missing labels form their own group.
    alpha
        One minus the coverage of the pointwise intervals.

    Returns
    -------
    CumulativeIncidenceResult
    """
    if not 0 < alpha < 1:
        raise EvalkitError(f"alpha must lie in (0, 1), got {alpha}")
    names = tuple(str(e) for e in event_names)
    if not names or len(set(names)) != len(names):
        raise EvalkitError(f"event_names must be distinct and non-empty, got {names}")
    t = pd.to_numeric(pd.Series(np.asarray(durations)), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise EvalkitError(
            f"durations must be finite and non-negative; {int(bad.sum())} are not, e.g. "
            f"positions {list(np.flatnonzero(bad)[:5])}"
        )
    e_raw = pd.to_numeric(pd.Series(np.asarray(events)), errors="coerce").to_numpy(dtype=float)
    if len(e_raw) != len(t):
        raise EvalkitError(f"events has {len(e_raw)} entries but durations has {len(t)}")
    bad = ~np.isin(e_raw, np.arange(len(names) + 1))
    if bad.any():
        raise EvalkitError(
            f"events must be integer codes 0 (censored) to {len(names)} ({', '.join(names)}); "
            f"{int(bad.sum())} are not, e.g. positions {list(np.flatnonzero(bad)[:5])} "
            f"with values {list(e_raw[bad][:5])}"
        )
    e = e_raw.astype(np.int64)
    groups = _group_frame(by, len(t))
    if groups is None:
        codes = np.zeros(len(t), dtype=np.int64)
        labels = None
    else:
        grouper = groups.groupby(list(groups.columns), dropna=False, sort=True, observed=True)
        codes = grouper.ngroup().to_numpy()
        labels = grouper.size().index.to_frame(index=False)
        labels.columns = list(groups.columns)

    cif_parts: list[pd.DataFrame] = []
    surv_parts: list[pd.DataFrame] = []
    for g in range(1 if labels is None else len(labels)):
        mask = codes == g
        times = np.union1d([0.0], t[mask])
        res = _aalen_johansen(times, t[mask], e[mask], len(names))
        head = {} if labels is None else {c: labels[c].iloc[[g] * len(times)].to_numpy() for c in labels}
        surv_parts.append(pd.DataFrame({
            **head, "time": times, "n_at_risk": res["n_at_risk"], "n_events": res["n_events"],
            "n_censored": res["n_censored"], "survival": res["survival"],
        }))
        for k, name in enumerate(names):
            cif_parts.append(pd.DataFrame({
                **head, "event": name, "time": times, "n_at_risk": res["n_at_risk"],
                "n_events": res["n_events_k"][k], "n_censored": res["n_censored"],
                "estimate": res["cif"][k], "std_error": np.sqrt(res["variance"][k]),
            }))
    by_cols = () if labels is None else tuple(labels.columns)
    table = pd.concat(cif_parts, ignore_index=True)
    survival = pd.concat(surv_parts, ignore_index=True)
    for frame in (table, survival):
        if np.all(t % 1 == 0):  # whole months: keep integer times
            frame["time"] = frame["time"].astype(np.int64)
        for col in ("n_at_risk", "n_events", "n_censored"):
            frame[col] = frame[col].astype(np.int64)
    return CumulativeIncidenceResult(
        table=table, survival=survival, event_names=names, by=by_cols, alpha=alpha, nobs=len(t)
    )


# -- result ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CumulativeIncidenceResult(NotebookDisplay):
    """Aalen-Johansen cumulative incidence curves, one per event (and group).

    Attributes
    ----------
    table
        One row per group x event x time: grouping columns, ``event``, ``time``,
        ``n_at_risk``, ``n_events`` (of this event), ``n_censored``, ``estimate`` (the CIF)
        and ``std_error``.  Times are 0 and every distinct duration of the group.
    survival
        One row per group x time: ``n_at_risk``, ``n_events`` (all causes), ``n_censored``
        and ``survival`` (no exit yet); per time the CIFs plus survival sum to one.
    event_names
        The competing events.
    by
        Grouping column names (empty for one overall curve).
    alpha
        Default one minus coverage of the pointwise intervals.
    nobs
        Number of entries.
    """

    table: pd.DataFrame = _Copied()  # type: ignore[assignment]
    survival: pd.DataFrame = _Copied()  # type: ignore[assignment]
    event_names: tuple[str, ...]
    by: tuple[str, ...]
    alpha: float
    nobs: int

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """The curves with pointwise ``conf_low`` / ``conf_high`` (log(-log) transform)."""
        level = self.alpha if alpha is None else alpha
        if not 0 < level < 1:
            raise EvalkitError(f"alpha must lie in (0, 1), got {level}")
        out = self.table
        low, high = _loglog_bounds(out["estimate"].to_numpy(), out["std_error"].to_numpy(), level)
        out["conf_low"] = low
        out["conf_high"] = high
        return out

    def at(self, times: Sequence[float], alpha: float | None = None) -> pd.DataFrame:
        """The curves evaluated at ``times`` (step functions: the last time <= t).

        Rows for a time past a group's last observed time carry the last value and
        ``n_at_risk`` 0.
        """
        tidy = self.tidy(alpha)
        query = np.sort(np.asarray(times))
        if not np.issubdtype(query.dtype, np.number):
            raise EvalkitError("times must be numbers (months since entry)")
        keys = [*self.by, "event"]
        rows = []
        for key, curve in tidy.groupby(keys, sort=False, dropna=False):
            pos = np.searchsorted(curve["time"].to_numpy(), query, side="right") - 1
            picked = curve.iloc[np.maximum(pos, 0)].copy()
            picked["time"] = query
            past = query > curve["time"].iloc[-1]
            picked.loc[past, ["n_at_risk", "n_events", "n_censored"]] = 0
            rows.append(picked)
        return pd.concat(rows, ignore_index=True)

    def glance(self) -> pd.DataFrame:
        """One row of facts: entries, events of each type, censored entries."""
        totals = self.table.groupby("event", sort=False)["n_events"].sum()
        row: dict[str, Any] = {"model": "Aalen-Johansen", "nobs": self.nobs}
        row.update({f"n_{name}": int(totals[name]) for name in self.event_names})
        row["n_censored"] = int(self.survival["n_censored"].sum())
        return pd.DataFrame([row])

    def summary(self, times: Sequence[float] = (1, 3, 6, 9), alpha: float | None = None) -> Summary:
        """Printable summary with the CIFs at ``times`` (months)."""
        at = self.at(times, alpha)
        table = at.set_index([*self.by, "event", "time"])[["estimate", "std_error", "conf_low", "conf_high"]]
        facts = self.glance().iloc[0].to_dict()
        notes = (
            "Cumulative incidence of the first exit by type (Aalen-Johansen); "
            "pointwise log(-log) intervals.",
        )
        return Summary(title="Cumulative incidence (competing risks)", facts=facts, table=table, notes=notes)

    def plot(self, ax: "Axes | None" = None, *, ci: bool = True, alpha: float | None = None) -> "Figure":
        """Step plot of every CIF (one line per group x event) with pointwise bands."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4.5))
        else:
            fig = ax.figure
        for key, curve in self.tidy(alpha).groupby([*self.by, "event"], sort=False, dropna=False):
            label = ", ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            (line,) = ax.step(curve["time"], curve["estimate"], where="post", label=label)
            if ci:
                ax.fill_between(
                    curve["time"], curve["conf_low"], curve["conf_high"],
                    step="post", alpha=0.2, color=line.get_color(), linewidth=0,
                )
        ax.set_xlabel("months since entry")
        ax.set_ylabel("cumulative incidence")
        ax.set_ylim(0, 1)
        ax.legend(title=", ".join([*self.by, "event"]))
        return fig

    def __repr__(self) -> str:
        groups = self.table.groupby(list(self.by)).ngroups if self.by else 1
        return (
            f"<CumulativeIncidenceResult events={list(self.event_names)}, groups={groups}, "
            f"nobs={self.nobs}>"
        )


# -- durations from the panel ------------------------------------------------------------
def first_exits_sql(max_months: int | None) -> str:
    """Portable SQL: per entry, the contiguous follow-up and the first month of each exit.

    The panel rows after the entry month are numbered (``r = 1, 2, ...``); the row of the
    ``k``-th month after entry belongs to the contiguous follow-up while ``k = r`` (no month
    without a row so far).  Per entry (``entry_row``): the last such ``k``, the first with
    ``employed = 1``, the first with ``in_education = 1``, and the rows with a missing status.
    """
    cap = "" if max_months is None else f"\n     AND p.month <= e.entry_month + {int(max_months)}"
    return f"""
    WITH follow AS (
        SELECT e.entry_row, p.month - e.entry_month AS k, p.employed, p.in_education,
               ROW_NUMBER() OVER (PARTITION BY e.entry_row ORDER BY p.month) AS r
        FROM entries AS e
        JOIN panel AS p
          ON p.person_id = e.person_id
         AND p.month > e.entry_month{cap}
    )
    SELECT entry_row,
           max(CASE WHEN k = r THEN k END) AS last_seen,
           min(CASE WHEN k = r AND employed = 1 THEN k END) AS first_employed,
           min(CASE WHEN k = r AND in_education = 1 THEN k END) AS first_in_education,
           count(CASE WHEN k = r AND (employed IS NULL OR in_education IS NULL) THEN 1 END) AS n_unknown
    FROM follow
    GROUP BY entry_row
    """


def first_exit_times(
    panel: StatusPanel,
    entries: Entries,
    *,
    tie: str = "employed",
    max_months: int | None = None,
) -> pd.DataFrame:
    """Months from entry to the first month employed or in education, with censoring.

    For each entry the months after the entry month (1, 2, ...) are scanned in the
    person's panel rows, in the panel's engine (a stored panel is never loaded).  The first
    month with ``employed == 1`` is an exit to ``employed``, the first with
    ``in_education == 1`` an exit to ``in_education``; the status in the entry month itself
    is ignored.  If both hold in the first such month, ``tie`` decides (default
    ``"employed"``, the priority of :func:`~evalkit.outcomes.state_of_month`).  Without an
    exit the entry is censored at its last observed month: the panel's end, the person's
    last row, or the month before the first gap in the person's rows (a month without a
    row has unknown status), or ``max_months`` if given.

    Parameters
    ----------
    panel
        The validated status panel the entries came from.
    entries
        Output of :func:`~evalkit.cohorts.find_entries`.
    tie
        Exit assigned when work and education start in the same month: one of
        :data:`~evalkit.outcomes.states.EXIT_STATES`.
    max_months
        Administrative censoring: follow-up stops after this many months.

    Returns
    -------
    pandas.DataFrame
        ``entries.frame`` (same index) with ``duration`` (months) and ``event`` (0 censored,
        ``k`` the exit ``EXIT_STATES[k - 1]``: 1 employed, 2 in education).  Entries with no
        row after the entry month get duration 0, censored.

    Raises
    ------
    PanelValidationError
        If ``employed`` or ``in_education`` is missing in a month of some entry's follow-up.
    """
    if tie not in EXIT_STATES:
        raise EvalkitError(f"tie must be one of {list(EXIT_STATES)}, got {tie!r}")
    if max_months is not None and (isinstance(max_months, bool) or not isinstance(max_months, (int, np.integer))
                                   or max_months < 1):
        raise EvalkitError(f"max_months must be a positive whole number of months, got {max_months!r}")
    frame = entries.frame
    keys = pd.DataFrame({
        "entry_row": np.arange(len(frame)),
        "person_id": frame["person_id"].to_numpy(),
        "entry_month": frame["entry_month"].to_numpy(),
    })
    found = panel.query(first_exits_sql(max_months), {"entries": keys})
    found = found.set_index("entry_row").reindex(range(len(frame)))
    unknown = found["n_unknown"].fillna(0).to_numpy() > 0
    if unknown.any():
        persons = list(frame["person_id"].iloc[np.flatnonzero(unknown)[:5]])
        raise PanelValidationError(
            f"'employed' or 'in_education' is missing in {int(found['n_unknown'].sum())} month(s) of "
            f"the follow-up of {int(unknown.sum())} entr(ies), e.g. persons {persons}; every month "
            "after entry needs both statuses (0 or 1)"
        )
    employed = found["first_employed"].to_numpy(dtype=float, na_value=np.nan)
    education = found["first_in_education"].to_numpy(dtype=float, na_value=np.nan)
    exit_month = np.fmin(employed, education)
    exited = ~np.isnan(exit_month)
    both = exited & (employed == education)
    code = np.where(both, EXIT_STATES.index(tie) + 1, np.where(employed == exit_month, 1, 2))
    last_seen = found["last_seen"].to_numpy(dtype=float, na_value=np.nan)
    duration = np.where(exited, exit_month, np.nan_to_num(last_seen, nan=0.0)).astype(np.int64)
    event = np.where(exited, code, 0).astype(np.int64)
    return frame.assign(duration=duration, event=event)


def cumulative_incidence(
    panel: StatusPanel,
    entries: Entries,
    *,
    by: str | Sequence[str] | None = None,
    tie: str = "employed",
    max_months: int | None = None,
    alpha: float = 0.05,
) -> CumulativeIncidenceResult:
    """Cumulative incidence of the first exit to employment or education after entry.

    :func:`first_exit_times` (in the panel's engine) followed by :func:`aalen_johansen` with
    the events :data:`~evalkit.outcomes.states.EXIT_STATES`.

    Parameters
    ----------
    panel, entries, tie, max_months
        As in :func:`first_exit_times`.
    by
        Column(s) of ``entries.frame`` (``region``, ``window``, ``female``, ...): one set of
        curves per group.
    alpha
        One minus the coverage of the pointwise intervals.

    Returns
    -------
    CumulativeIncidenceResult
    """
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    absent = [c for c in by_cols if c not in entries.frame.columns]
    if absent:
        raise EvalkitError(
            f"grouping column(s) {absent} are not in the entries; they have {list(entries.frame.columns)}"
        )
    exits = first_exit_times(panel, entries, tie=tie, max_months=max_months)
    return aalen_johansen(
        exits["duration"], exits["event"], event_names=EXIT_STATES,
        by=exits[by_cols] if by_cols else None, alpha=alpha,
    )
