"""Randomization inference over rollout schedules: which units start in which wave.

A staggered rollout assigns each unit (county) a start period ``g`` (0 = never treated).
Under the sharp null of no effect on any unit in any period, the outcomes do not depend
on the schedule, so any statistic recomputed under every reassignment of the start
periods gives its exact null distribution (Fisher 1935; Imbens & Rubin 2015, ch. 5).
The reassignments keep the design: the same wave dates and the same number of units in
each wave (never-treated units form one more wave), within each stratum when ``strata``
is given (e.g. permute only within region).  When the schedule was not randomized, the
test asks whether the observed units' paths are unusual among all ways of filling the
waves, which needs the units to be exchangeable under the null (within strata), as in
Conley & Taber (2011) and MacKinnon & Webb (2020).

With ``m_s`` units in stratum ``s`` of which ``m_{s,k}`` start in wave ``k``, there are
``prod_s m_s! / prod_k m_{s,k}!`` assignments (``C(18, 6) = 18,564`` for 6 of 18 counties
in one wave, the rest never treated).  All are enumerated when there are at most
``max_assignments``; then the p-value is ``count / A`` with the observed assignment among
the ``A``.  Otherwise ``n_draws`` assignments are drawn uniformly (independently, with
replacement across draws) and the p-value is ``(1 + count) / (1 + n_draws)`` (the
observed assignment counted once, Phipson & Smyth 2010).  Ties follow the one tie rule of
:mod:`evalkit.inference.pvalues`; draws follow the one RNG rule of
:mod:`evalkit.inference.rng`.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference.pvalues import ALTERNATIVES, Alternative, resampling_p_value
from evalkit.inference.rng import RNG, as_generator
from evalkit.results.schedule_tests import ScheduleRandomizationTest

__all__ = [
    "MAX_SCHEDULE_ASSIGNMENTS",
    "n_schedule_assignments",
    "schedule_assignments",
    "schedule_randomization_test",
]

#: Default largest number of assignments that is enumerated rather than sampled
#: (``C(18, 6) = 18,564`` is enumerated).
MAX_SCHEDULE_ASSIGNMENTS = 20_000
_DEFAULT_DRAWS = 999


def _strata_codes(schedule: np.ndarray, strata: np.ndarray | None) -> np.ndarray:
    if strata is None:
        return np.zeros(schedule.shape[0], dtype=np.intp)
    codes, _ = pd.factorize(pd.Series(strata), sort=True)
    return codes.astype(np.intp)


def _waves(schedule: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct start values and each unit's wave code."""
    values, codes = np.unique(schedule, return_inverse=True)
    return values, codes.ravel().astype(np.intp)


def n_schedule_assignments(schedule: np.ndarray, strata: np.ndarray | None = None) -> int:
    """Number of distinct reassignments of ``schedule`` keeping the wave sizes (within strata).

    ``prod_s m_s! / prod_k m_{s,k}!`` with ``m_{s,k}`` the units of stratum ``s`` in wave
    ``k`` (an exact integer).
    """
    schedule = np.asarray(schedule)
    _, wave = _waves(schedule)
    stratum = _strata_codes(schedule, strata)
    total = 1
    for s in np.unique(stratum):
        counts = np.bincount(wave[stratum == s])
        total *= math.factorial(int(counts.sum())) // math.prod(math.factorial(int(c)) for c in counts)
    return total


def _arrangements(counts: tuple[int, ...]) -> np.ndarray:
    """Every assignment of ``len(counts)`` wave codes to ``sum(counts)`` slots with those counts.

    Lexicographic in the set of slots of wave 0, then recursively in the remaining waves.
    """
    m = sum(counts)
    if len(counts) == 1:
        return np.zeros((1, m), dtype=np.intp)
    rest = _arrangements(counts[1:]) + 1
    blocks = []
    for combo in itertools.combinations(range(m), counts[0]):
        first = np.zeros(m, dtype=bool)
        first[list(combo)] = True
        block = np.empty((rest.shape[0], m), dtype=np.intp)
        block[:, first] = 0
        block[:, ~first] = rest
        blocks.append(block)
    return np.concatenate(blocks)


def _check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise EvalkitError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def schedule_assignments(
    schedule: np.ndarray,
    strata: np.ndarray | None = None,
    *,
    max_assignments: int = MAX_SCHEDULE_ASSIGNMENTS,
    n_draws: int = _DEFAULT_DRAWS,
    rng: RNG = None,
) -> tuple[np.ndarray, bool]:
    """Reassignments of a schedule, as an (A, n_units) array of start values, and whether exact.

    Parameters
    ----------
    schedule
        Start value per unit (n_units,); equal values form a wave.
    strata
        Stratum label per unit (n_units,) or ``None``; units are permuted only within
        their stratum.
    max_assignments
        Enumerate all :func:`n_schedule_assignments` assignments when there are at most
        this many (every row distinct, the observed schedule among them).
    n_draws
        Otherwise draw this many uniform random assignments (a random permutation of the
        start values within every stratum), from ``rng``
        (:func:`evalkit.inference.rng.as_generator`).

    Returns
    -------
    (numpy.ndarray, bool)
        The assignments (same dtype as ``schedule``) and ``True`` when they are all of them.
    """
    schedule = np.asarray(schedule)
    if schedule.ndim != 1:
        raise EvalkitError(f"schedule must be one start value per unit, got shape {schedule.shape}")
    if strata is not None and np.asarray(strata).shape != schedule.shape:
        raise EvalkitError(f"strata has shape {np.asarray(strata).shape}, expected {schedule.shape} like the schedule")
    max_assignments = _check_count(max_assignments, "max_assignments")
    n_draws = _check_count(n_draws, "n_draws")
    values, wave = _waves(schedule)
    stratum = _strata_codes(schedule, strata)
    members = [np.flatnonzero(stratum == s) for s in np.unique(stratum)]
    total = n_schedule_assignments(schedule, strata)
    if total <= max_assignments:
        blocks = []
        for idx in members:
            present = np.flatnonzero(np.bincount(wave[idx], minlength=values.size))
            counts = tuple(int(np.sum(wave[idx] == k)) for k in present)
            blocks.append(present[_arrangements(counts)])
        grids = np.meshgrid(*[np.arange(b.shape[0]) for b in blocks], indexing="ij")
        codes = np.empty((total, schedule.size), dtype=np.intp)
        for idx, block, grid in zip(members, blocks, grids):
            codes[:, idx] = block[grid.ravel()]
        return values[codes], True
    gen = as_generator(rng)
    codes = np.empty((n_draws, schedule.size), dtype=np.intp)
    for idx in members:
        codes[:, idx] = gen.permuted(np.tile(wave[idx], (n_draws, 1)), axis=1)
    return values[codes], False


def _per_unit(data: pd.DataFrame, column: str, unit: str, codes: np.ndarray, role: str) -> np.ndarray:
    """The one value of ``column`` per unit; errors name the units where it varies."""
    if column not in data.columns:
        raise EvalkitError(f"{role} column {column!r} is not in the data (columns: {list(data.columns)[:10]})")
    col = data[column]
    missing = col.isna()
    if missing.any():
        raise EvalkitError(
            f"{role} column {column!r} has {int(missing.sum())} missing values (first rows: "
            f"{list(data.index[missing][:5])})" + ("; code never-treated units as 0 (or inf)" if role == "group" else "")
        )
    varies = col.groupby(codes).nunique()
    if (varies > 1).any():
        bad = data[unit].to_numpy()[np.isin(codes, varies.index[varies > 1])]
        units = list(pd.unique(bad))
        raise EvalkitError(
            f"{role} column {column!r} varies within {len(units)} unit(s) of {unit!r} (e.g. {units[:5]}); "
            "a schedule assigns one value per unit"
        )
    _, first = np.unique(codes, return_index=True)
    return col.to_numpy()[first]


def schedule_randomization_test(
    data: pd.DataFrame,
    statistic: Callable[[pd.DataFrame], float],
    *,
    unit: str,
    group: str,
    strata: str | None = None,
    max_assignments: int = MAX_SCHEDULE_ASSIGNMENTS,
    n_draws: int = _DEFAULT_DRAWS,
    rng: RNG = None,
    alternative: Alternative = "two-sided",
    term: str = "statistic",
) -> ScheduleRandomizationTest:
    """Randomization test of any statistic over which units start in which wave.

    For every reassignment of the units' start periods (same wave dates, same number of
    units per wave, within ``strata``) ``data`` gets the reassigned ``group`` column and
    ``statistic`` recomputes the statistic; see the module docstring for the design and
    the p-value.

    Parameters
    ----------
    data
        Rows (unit x period, persons) with columns ``unit`` and ``group``; not modified.
    statistic
        ``f(data_with_reassigned_group) -> float``, e.g.
        ``lambda d: att_gt(d, "y", time="t", group="g", unit="county").aggregate("simple").params.iloc[0]``.
        Called once per assignment and once for the observed schedule.
    unit
        Unit of assignment (county).
    group
        First treated period per row, constant within a unit; never-treated units coded 0
        or ``inf`` (as in :func:`evalkit.staggered.build_design`).  When both codes occur,
        never-treated units are written as 0.  Integer columns stay integer.
    strata
        Column constant within units; start periods are permuted only within its levels
        (e.g. region).  ``None``: across all units.
    max_assignments
        Enumerate all assignments when there are at most this many (default 20,000, so
        ``C(18, 6) = 18,564`` is exact); the statistic is computed for each.
    n_draws
        Number of random assignments otherwise (default 999).
    rng
        Generator or seed of the random assignments (``None``: a fixed default seed,
        :func:`evalkit.inference.rng.as_generator`).
    alternative
        ``"two-sided"`` (default, ``|T_a| >= |T|``), ``"greater"`` or ``"less"``.
    term
        Label of the statistic in ``tidy()`` and ``summary()``.

    Returns
    -------
    ScheduleRandomizationTest
        ``statistic``, ``p_value``, the read-only ``distribution``, ``n_assignments``,
        ``n_possible``, ``exact``, ``waves``; ``conf_int()`` is NaN (an arbitrary
        statistic is not inverted).

    Raises
    ------
    EvalkitError
        Missing columns, missing values, ``group`` or ``strata`` varying within a unit
        (units named), a non-numeric ``group``, bad counts or ``alternative``, a
        statistic that is not a finite number under the observed schedule.
    DesignError
        A schedule with a single possible assignment (one wave in every stratum), or a
        statistic that is not finite under some reassignment (count and an example).

    References
    ----------
    Fisher (1935); Imbens & Rubin (2015), ch. 5; Conley & Taber (2011), REStat 93(1);
    MacKinnon & Webb (2020), J. Econometrics 218(2); Phipson & Smyth (2010), SAGMB 9(1).
    """
    if alternative not in ALTERNATIVES:
        raise EvalkitError(f"alternative must be 'two-sided', 'greater' or 'less', got {alternative!r}")
    if unit not in data.columns:
        raise EvalkitError(f"unit column {unit!r} is not in the data (columns: {list(data.columns)[:10]})")
    if data[unit].isna().any():
        missing = data[unit].isna()
        raise EvalkitError(
            f"unit column {unit!r} has {int(missing.sum())} missing values (first rows: {list(data.index[missing][:5])})"
        )
    if group in data.columns and (
        not pd.api.types.is_numeric_dtype(data[group]) or pd.api.types.is_bool_dtype(data[group])
    ):
        raise EvalkitError(
            f"group column {group!r} must hold numeric first treated periods (0 or inf = never treated), "
            f"got dtype {data[group].dtype} (e.g. {list(data[group].head(3))})"
        )
    codes, labels = pd.factorize(data[unit], sort=True)
    start = _per_unit(data, group, unit, codes, "group").astype(float)
    layers = None if strata is None else _per_unit(data, strata, unit, codes, "strata")
    never = (start == 0) | np.isposinf(start)
    never_code = 0.0 if never.any() and len(set(start[never])) > 1 else (start[never][0] if never.any() else 0.0)
    start = np.where(never, never_code, start)
    n_possible = n_schedule_assignments(start, layers)
    if n_possible == 1:
        raise DesignError(
            f"the schedule in {group!r} has a single possible assignment: "
            + (f"every stratum of {strata!r} has units in one wave only" if strata else "all units are in one wave")
            + "; a randomization test needs at least two waves (never treated counts as one)"
        )
    Z, exact = schedule_assignments(start, layers, max_assignments=max_assignments, n_draws=n_draws, rng=rng)

    dtype = data[group].dtype if pd.api.types.is_integer_dtype(data[group]) else np.dtype(float)

    def evaluate(per_unit: np.ndarray) -> float:
        value = statistic(data.assign(**{group: pd.array(per_unit[codes], dtype=dtype)}))
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise EvalkitError(f"statistic must return a number, got {type(value).__name__}: {value!r}") from exc

    observed = evaluate(start)
    if not np.isfinite(observed):
        raise EvalkitError(f"statistic returned {observed} for the observed schedule in {group!r}")
    dist = np.array([evaluate(z) for z in Z])
    bad = ~np.isfinite(dist)
    if bad.any():
        first = Z[np.flatnonzero(bad)[0]]
        example = {labels[u]: first[u] for u in range(min(len(labels), 6))}
        raise DesignError(
            f"statistic is not finite under {int(bad.sum())} of {len(dist)} reassignments of {group!r} "
            f"(first, unit -> start: {example}{', ...' if len(labels) > 6 else ''}); "
            "a randomization test needs the statistic under every assignment"
        )
    waves = tuple((float(v), int(np.sum(start == v))) for v in np.unique(start))
    return ScheduleRandomizationTest(
        statistic=observed,
        p_value=resampling_p_value(observed, dist, alternative, add_observed=not exact),
        distribution=dist,
        waves=waves,
        n_units=int(labels.size),
        n_possible=n_possible,
        exact=exact,
        alternative=alternative,
        strata=strata,
        n_strata=1 if layers is None else int(pd.Series(layers).nunique()),
        term=term,
    )
