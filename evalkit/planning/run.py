"""``evalkit.power(...)``: power and MDE of planned rollouts from the user's own history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.inference import as_generator
from evalkit.inference.rng import RNG
from evalkit.inference.weights import WeightType, check_weight_type
from evalkit.panel import StatusPanel
from evalkit.panel.months import month_label, parse_month
from evalkit.planning.analytic import VarianceComponents, analytic_mde, analytic_se, variance_components
from evalkit.planning.cells import OutcomeCells, each_entry_outcome, entry_rows, outcome_rows, unit_month_cells
from evalkit.planning.covariates import CovariateCells, covariate_cells
from evalkit.planning.design import PlannedRollout
from evalkit.planning.placebo import ESTIMATORS, INFERENCE, WindowSums, placebo_shifts, score_placebos
from evalkit.planning.result import PowerResult
from evalkit.progress import stage

__all__ = ["power"]

Schedules = PlannedRollout | str | Sequence[PlannedRollout | str] | Mapping[str, PlannedRollout | str]


def _schedules(schedules: Schedules) -> list[PlannedRollout]:
    if isinstance(schedules, (PlannedRollout, str)):
        schedules = [schedules]
    if isinstance(schedules, Mapping):
        items = [(name, s) for name, s in schedules.items()]
    else:
        items = [("", s) for s in schedules]
    if not items:
        raise EvalkitError("give at least one planned schedule, e.g. PlannedRollout.parse('2017-01:6,2017-07:rest')")
    out = []
    for name, s in items:
        if isinstance(s, str):
            s = PlannedRollout.parse(s, name=name)
        elif not isinstance(s, PlannedRollout):
            raise EvalkitError(f"a planned schedule must be a PlannedRollout or its text form, got {type(s).__name__}")
        elif name:
            s = replace(s, name=name)
        out.append(s)
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise EvalkitError(f"the planned schedules need distinct names, got {names}")
    return out


_NO_ANALYTIC = VarianceComponents(sigma2=float("nan"), tau2=float("nan"), icc=float("nan"), window_length=0,
                                  n_windows=0)


def _entry_cells(panel: StatusPanel, states: Sequence[str], horizons: Sequence[int], *, washout: int,
                 categories: Sequence[str] | None, max_age: int | None, unit: str,
                 covariates: Sequence[str]) -> tuple[list[OutcomeCells], list[CovariateCells | None]]:
    """Entry cohorts' outcomes at horizons (as :func:`~evalkit.planning.cells.entry_outcomes`), with covariates."""
    found = entry_rows(panel, states=states, horizons=horizons, washout=washout, categories=categories,
                       max_age=max_age, unit=unit)
    cells: list[OutcomeCells] = []
    models: list[CovariateCells | None] = []
    for label, h, rows, y, excluded in each_entry_outcome(found, states, horizons):
        w = np.ones(len(y))
        cells.append(unit_month_cells(label, h, rows[unit], rows["entry_month"], y, w, excluded))
        models.append(covariate_cells(cells[-1], rows, y, w, rows["entry_month"].to_numpy(), unit, covariates,
                                      stacklevel=4) if covariates else None)
    return cells, models


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise EvalkitError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def _strata(strata: str | Mapping[Any, Any] | pd.Series | None, data: Any, unit: str,
            units: tuple[str, ...]) -> np.ndarray | None:
    """One stratum label per unit of the cells, from a mapping ``unit -> stratum`` or a column of the frame."""
    if strata is None:
        return None
    if isinstance(strata, str):
        if not isinstance(data, pd.DataFrame):
            raise EvalkitError(f"strata={strata!r} names a column, which needs an outcome frame; for a panel give a "
                               "mapping unit -> stratum (e.g. county -> region)")
        if strata not in data.columns:
            raise EvalkitError(f"strata column {strata!r} is not in the outcome frame; its columns are "
                               f"{list(data.columns)[:12]}")
        labels = data.groupby(data[unit].astype("string"))[strata]
        varies = labels.nunique(dropna=False)
        if (varies > 1).any():
            bad = list(varies.index[varies > 1][:5])
            raise EvalkitError(f"strata column {strata!r} varies within {int((varies > 1).sum())} unit(s) of "
                               f"{unit!r} (e.g. {bad}); a stratum is one label per unit")
        mapping = labels.first().to_dict()
    elif isinstance(strata, (Mapping, pd.Series)):
        mapping = {str(k): v for k, v in dict(strata).items()}
    else:
        raise EvalkitError(f"strata must be a column name or a mapping unit -> stratum, got {type(strata).__name__}")
    missing = [u for u in units if u not in mapping or pd.isna(mapping[u])]
    if missing:
        raise EvalkitError(f"strata: {len(missing)} of {len(units)} units have no stratum (e.g. {missing[:5]}); "
                           "give every unit a label")
    return np.array([str(mapping[u]) for u in units], dtype=object)


def _effect_grid(effects: Sequence[float] | None, largest: float) -> tuple[float, ...]:
    if effects is None:
        top = float(np.ceil(largest * 1.5 * 1000) / 1000) if np.isfinite(largest) and largest > 0 else 0.1
        return tuple(float(e) for e in np.round(np.linspace(0.0, top, 16), 6))
    grid = np.asarray(list(effects), dtype=float)
    if grid.size == 0 or not np.isfinite(grid).all():
        raise EvalkitError(f"effects must be finite numbers, got {list(effects)}")
    return tuple(float(e) for e in grid)


def power(
    data: pd.DataFrame | StatusPanel | OutcomeCells | Sequence[OutcomeCells],
    schedules: Schedules,
    *,
    outcomes: str | Sequence[str] = ("employed",),
    horizons: Sequence[int] = (6,),
    unit: str = "county",
    period: str = "entry_month",
    count: str | None = None,
    washout: int = 12,
    categories: Sequence[str] | None = None,
    max_age: int | None = None,
    before: object = None,
    inference: str | Sequence[str] = ("wild",),
    effects: Sequence[float] | None = None,
    alpha: float = 0.05,
    target: float = 0.8,
    n_assignments: int = 20,
    shift_step: int = 1,
    n_boot: int = 999,
    weight_type: WeightType = "webb",
    n_perm: int | None = None,
    rng: RNG = None,
    estimator: str = "2x2",
    strata: str | Mapping[Any, Any] | pd.Series | None = None,
    covariates: str | Sequence[str] = (),
) -> PowerResult:
    """Power and minimum detectable effect of planned rollouts, from placebo rollouts on history.

    The planned 2x2 (each schedule's windows and wave sizes, :class:`PlannedRollout`) is
    moved onto historical months (every ``shift_step`` months at which it fits the
    history before ``before``), its waves are filled with randomly drawn units
    (``n_assignments`` per shift, all assignments when there are no more), and each
    placebo rollout is scored with the planned few-cluster inference; an effect is
    detected in a replication when the planned test rejects "no effect" once it is added
    to the treated units' post-window outcomes (:mod:`evalkit.planning.placebo`).  Power is
    the share of replications that detect it: real between-unit variance and real serial
    correlation set it, with no model of the data assumed.  Beside it: the analytic
    approximation from the estimated intra-unit correlation (:mod:`evalkit.planning.analytic`).

    Parameters
    ----------
    data
        A :class:`~evalkit.panel.StatusPanel` (entry cohorts after ``washout`` and their
        ``outcomes`` states at ``horizons`` months, as in the FUI evaluation), any outcome
        frame with one row per person or cell (columns ``unit``, ``period``, the
        ``outcomes`` and, for cells, ``count``), or :class:`~evalkit.planning.OutcomeCells`.
    schedules
        One planned schedule or several candidates: :class:`PlannedRollout` objects, their
        text form (``"2017-01:6,2017-07:rest"``), or a mapping ``name -> schedule``.
    outcomes
        Panel: monthly states (``employed``, ``in_education``, ...); frame: outcome columns.
    horizons
        Panel only: months after the entry month.
    unit, period, count
        Frame only (``unit`` also names the panel's unit column): the unit of assignment,
        the month of each row and the cell count column (``None``: one row, one person).
    washout, categories, max_age
        Panel only: who is a new user (:func:`~evalkit.cohorts.find_entries`).
    before
        The first month of the reform (``"2017-01"``): only earlier months are history.
        ``None``: every month of the data.
    inference
        ``"wild"`` (restricted wild cluster bootstrap by unit) and/or ``"randomization"``
        (over which units are treated).
    effects
        True effects of the power curves (default: 16 values from 0 to 1.5 times the
        largest analytic MDE).
    alpha, target
        Level of the planned two-sided test; the power of the MDE.
    n_assignments
        Unit assignments per placebo shift.
    shift_step
        Months between placebo shifts.
    n_boot, weight_type
        Wild bootstrap draws and weights (Webb by default).
    n_perm
        Randomization inference: all assignments up to 100,000 (default), else this many.
    rng
        Seed or Generator of the assignments and bootstrap weights (the one RNG rule).
    estimator
        The planned estimator: ``"2x2"`` (the DiD of the pre and post entry windows,
        term ``treated:post``) or ``"event_study"`` (two-stage DiD of every month of the
        schedule's :meth:`~PlannedRollout.event_span`, units treated from their wave's start;
        terms ``event_time::e`` for ``e >= 0`` and their average ``ATT``; wild bootstrap
        only; :mod:`evalkit.planning.event_study`).
    strata
        Fill the planned waves within strata (e.g. regions): a mapping ``unit -> stratum``
        or, for an outcome frame, a column constant within units.  The wave sizes are spread
        over the strata in proportion to their sizes (:meth:`PlannedRollout.starts`), the
        placebo assignments are drawn (or, when there are at most ``n_assignments``, all
        enumerated) within strata, and the randomization test permutes within strata.
    covariates
        Controls of the planned 2x2 (wild bootstrap only): columns of the outcome frame, or
        of the panel's entries (``age``, ``female``, ``education_level``, ``nav_category``);
        numeric ones as they are, text ones as level indicators.  Unit x month covariates
        such as the county unemployment rate are columns of the outcome frame
        (:mod:`evalkit.planning.covariates`).  The analytic approximation stays the one
        without covariates.

    Returns
    -------
    PowerResult
        ``tidy()`` (power curves), ``mde()``, ``summary()``, ``to_markdown()``, ``plot()``,
        ``results_document()``.

    Raises
    ------
    EvalkitError
        Bad options (named), unknown columns, a history shorter than the design,
        schedules that need more units than the data have.
    """
    plans = _schedules(schedules)
    methods = [inference] if isinstance(inference, str) else list(inference)
    if not methods or any(m not in INFERENCE for m in methods) or len(set(methods)) != len(methods):
        raise EvalkitError(f"inference must be distinct names among {list(INFERENCE)}, got {methods}")
    check_weight_type(weight_type)
    if estimator not in ESTIMATORS:
        raise EvalkitError(f"estimator must be one of {list(ESTIMATORS)}, got {estimator!r}")
    if estimator == "event_study" and methods != ["wild"]:
        raise EvalkitError(f"the event study is scored with the wild cluster bootstrap only (inference='wild'), "
                           f"got {methods}")
    for value, name in ((alpha, "alpha"), (target, "target")):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise EvalkitError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    n_assignments, shift_step, n_boot = (_count(v, n) for v, n in
                                         ((n_assignments, "n_assignments"), (shift_step, "shift_step"),
                                          (n_boot, "n_boot")))
    try:
        cut = None if before is None else parse_month(before)
    except ValueError as err:
        raise EvalkitError(f"before: cannot read {before!r} as a month; expected e.g. '2017-01'") from err
    names = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    if covariates and estimator != "2x2" or covariates and methods != ["wild"]:
        raise EvalkitError(f"covariates {covariates} enter the planned 2x2 scored by the wild cluster bootstrap "
                           f"(estimator='2x2', inference='wild'), got estimator={estimator!r}, inference={methods}")
    with_covariates: list[CovariateCells | None]
    if isinstance(data, OutcomeCells) or (isinstance(data, (list, tuple)) and data
                                          and all(isinstance(c, OutcomeCells) for c in data)):
        if covariates:
            raise EvalkitError(f"covariates {covariates} need the outcome's rows (a panel or an outcome frame), "
                               "not OutcomeCells")
        cells = [data] if isinstance(data, OutcomeCells) else list(data)
        with_covariates = [None] * len(cells)
    elif isinstance(data, StatusPanel):
        stage("finding entry cohorts and their outcomes")
        cells, with_covariates = _entry_cells(data, names, horizons, washout=washout, categories=categories,
                                              max_age=max_age, unit=unit, covariates=covariates)
    elif isinstance(data, pd.DataFrame):
        cells, with_covariates = [], []
        for name in names:
            kept, y, w, months, excluded = outcome_rows(data, name, unit=unit, period=period, count=count)
            cells.append(unit_month_cells(name, None, kept[unit], months, y, w, excluded, persons=count is None))
            with_covariates.append(covariate_cells(cells[-1], kept, y, w, months.to_numpy(), unit, covariates)
                                   if covariates else None)
    else:
        raise EvalkitError(f"data must be a StatusPanel, an outcome DataFrame or OutcomeCells, got {type(data).__name__}")
    if cut is not None:
        cells = [c.before(cut) for c in cells]
        with_covariates = [None if c is None else c.before(cut) for c in with_covariates]

    gen = as_generator(rng)
    replications, designs = [], []
    for plan in plans:
        for c, covariate_model in zip(cells, with_covariates):
            unit_strata = _strata(strata, data, unit, c.units)
            n_treated, n_control = plan.sizes(c.n_units)
            span = plan.event_span(c.n_units) if estimator == "event_study" else None
            shifts = placebo_shifts(c, plan, step=shift_step, span=span)
            stage(f"scoring {len(shifts)} placebo shifts of {plan.name!r} on {c.label} ({', '.join(methods)})")
            reps = score_placebos(c, plan, inference=methods, n_assignments=n_assignments, shift_step=shift_step,
                                  n_boot=n_boot, weight_type=weight_type, n_perm=n_perm, alpha=alpha, rng=gen,
                                  estimator=estimator, strata=unit_strata, covariates=covariate_model)
            reps.insert(0, "horizon", c.horizon)
            reps.insert(0, "outcome", c.label)
            reps.insert(0, "schedule", plan.name)
            replications.append(reps)
            if span is None:
                sizes = [WindowSums.of(c, *plan.shifted(k)) for k in shifts]
                cell_size = float(np.mean([(s.n_pre.mean() + s.n_post.mean()) / 2 for s in sizes]))
                vc = variance_components(c, plan.post[1] - plan.post[0] + 1)
                se = analytic_se(vc, cell_size, n_treated, n_control)
            else:  # the analytic approximation is the 2x2's; the event study reports the placebo power only
                n_treated = sum(n for (start, _), n in zip(plan.waves, plan.wave_sizes(c.n_units)) if start <= span[1])
                n_control = c.n_units - n_treated
                cell_size = float(np.mean([c.window((m + k, m + k))[0].mean() for k in shifts
                                           for m in range(span[0], span[1] + 1)]))
                vc, se = _NO_ANALYTIC, float("nan")
            designs.append({
                "schedule": plan.name, "text": plan.text, "estimator": estimator,
                "covariates": ", ".join(covariate_model.names) if covariate_model is not None else "", "outcome": c.label,
                "horizon": c.horizon,
                "n_treated": n_treated, "n_control": n_control, "shifts": len(shifts),
                "first_shift_pre": month_label(plan.shifted(shifts[0])[0][0]),
                "last_shift_pre": month_label(plan.shifted(shifts[-1])[0][0]),
                "cell_size": cell_size, "excluded_rows": c.excluded, "sigma2": vc.sigma2, "tau2": vc.tau2,
                "icc": vc.icc, "analytic_se": se,
                "analytic_mde": analytic_mde(se, n_treated + n_control - 2, alpha, target),
            })
    frame = pd.concat(replications, ignore_index=True)
    design_frame = pd.DataFrame(designs)
    largest = float(design_frame["analytic_mde"].max())
    if not np.isfinite(largest):  # the event study: no analytic MDE; 2.8 placebo SDs is near the MDE at 80 %
        largest = 2.8 * float(frame.groupby(["schedule", "outcome", "term"])["estimate"].std().max())
    grid = _effect_grid(effects, largest)
    options: dict[str, Any] = {
        "inference": methods, "alpha": alpha, "target": target, "n_assignments": n_assignments,
        "shift_step": shift_step, "n_boot": n_boot, "weight_type": weight_type, "n_perm": n_perm,
        "before": None if cut is None else month_label(cut), "estimator": estimator,
        "strata": strata if isinstance(strata, str) or strata is None else "mapping", "seed": rng if isinstance(rng, int) else None,
    }
    return PowerResult(replications=frame, designs=design_frame, effects=grid, alpha=float(alpha),
                       target=float(target), options=options)
