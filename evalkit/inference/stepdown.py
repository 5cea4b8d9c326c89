"""Step-down multiple-testing corrections that use the tests' own resampling draws.

A family of ``m`` tests (e.g. 2 outcomes x 4 horizons of the FUI evaluation) whose
statistics were resampled with the SAME draws (the same wild-bootstrap weights for every
regression, or the same enumerated assignments for every randomization test) carries
their joint null distribution: draw ``b`` gives the vector ``T*_b`` of all ``m``
statistics at once.  The step-down corrections use it to control the family-wise error
rate (FWER) without assuming the tests independent, and with few clusters as well as
the single tests are.

Write ``e(T)`` for how extreme a statistic is (``|T|`` two-sided, ``T`` for
``"greater"``, ``-T`` for ``"less"``) and order the tests from the most to the least
significant, ``(1), ..., (m)``.

* **Romano-Wolf (maxT)**, for studentized statistics (t-statistics of a wild bootstrap):
  ``p~_(s) = #{b : max_{r >= s} e(T*_{b,(r)}) >= e(T_(s))} / B`` (Romano & Wolf 2005,
  Algorithm 4.1 in the form of Romano & Wolf 2016), the ``(r)`` ordered by ``e(T)``.
* **Westfall-Young (minP)**, for statistics on any scale (randomization tests):
  each draw's statistic is turned into its own p-value ``p*_{b,j}`` against column
  ``j`` of the draws, and ``p~_(s) = #{b : min_{r >= s} p*_{b,(r)} <= p_(s)} / B``
  (Westfall & Young 1993, Algorithm 2.8), the ``(r)`` ordered by their p-values.

Then monotonicity is enforced, ``p_adj_(s) = max_{r <= s} p~_(r)``: an adjusted
p-value is never below the test's own p-value nor below that of a more significant
test.  Rejecting every test with ``p_adj <= alpha`` controls the FWER at ``alpha``
under subset pivotality (asymptotically for the bootstrap; exactly for randomization
tests over a common set of assignments under the sharp null of no effect on any outcome).

Counting follows the one tie rule of :mod:`evalkit.inference.pvalues`.  Draws that make
a whole reference set (enumerated sign vectors or assignments, bootstrap draws) give
``count / B``; random assignments add the observed one (``add_observed=True``), i.e.
the observed statistics join the draws as one more row, which gives
``(1 + count) / (1 + B)`` for the single tests as :func:`resampling_p_value` does.

Shared draws are checked, never assumed: wild-bootstrap tests must carry the same
``draws_key`` (a digest of the weight matrix and of the cluster labels; the same integer
``rng`` seed, ``n_boot``, ``weight_type`` and clusters give the same weights), and
randomization tests must be exact enumerations of the same assignments.

References
----------
Romano, J. P. & Wolf, M. (2005). Stepwise multiple testing as formalized data snooping.
*Econometrica* 73(4), 1237-1282.  Romano, J. P. & Wolf, M. (2016). Efficient computation of
adjusted p-values for resampling-based stepdown multiple testing. *Statistics & Probability
Letters* 113, 38-40.  Westfall, P. H. & Young, S. S. (1993). *Resampling-Based Multiple
Testing*. Wiley.  Clarke, D., Romano, J. P. & Wolf, M. (2020). The Romano-Wolf multiple-
hypothesis correction in Stata. *Stata Journal* 20(4), 812-843.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from evalkit.errors import EvalkitError
from evalkit.inference.pvalues import ALTERNATIVES, TIE_RTOL, Alternative
from evalkit.results.hypothesis_tests import HypothesisTest, InvalidTest, RandomizationTest, WildBootstrapTest
from evalkit.results.multiple_testing import StepdownResult
from evalkit.results.schedule_tests import ScheduleRandomizationTest

__all__ = ["romano_wolf", "romano_wolf_arrays", "westfall_young", "westfall_young_arrays"]

Method = Literal["romano-wolf", "westfall-young"]
Tests = Mapping[str, HypothesisTest] | Sequence[HypothesisTest]


def _extremeness(values: np.ndarray, alternative: str) -> np.ndarray:
    """``|T|``, ``T`` or ``-T``: larger is more extreme."""
    if alternative == "two-sided":
        return np.abs(values)
    return values if alternative == "greater" else -values


def _as_arrays(
    statistics: object, draws: object, alternative: Alternative | Sequence[str], names: Sequence[str] | None
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Validated names, statistics (m,), draws (B, m) and extremeness of both."""
    stats = np.asarray(statistics, dtype=float)
    if stats.ndim != 1 or stats.size < 1:
        raise EvalkitError(f"statistics must be a vector of the m observed statistics, got shape {stats.shape}")
    m = stats.size
    D = np.asarray(draws, dtype=float)
    if D.ndim != 2 or D.shape[1] != m:
        raise EvalkitError(
            f"draws must be a (B, m) matrix with one column per test (m = {m}), got shape {D.shape}; "
            "row b holds every test's statistic under the same draw b"
        )
    if D.shape[0] < 1:
        raise EvalkitError("draws has no rows")
    bad = np.flatnonzero(~np.isfinite(stats))
    terms = tuple(names) if names is not None else tuple(f"test{j}" for j in range(m))
    if len(terms) != m:
        raise EvalkitError(f"{len(terms)} names given for {m} statistics")
    if len(set(terms)) != m:
        raise EvalkitError(f"names must be distinct, got {list(terms)}")
    if bad.size:
        raise EvalkitError(f"statistics of {[terms[j] for j in bad]} are not finite ({stats[bad].tolist()})")
    alts = [alternative] * m if isinstance(alternative, str) else list(alternative)
    if len(alts) != m or any(a not in ALTERNATIVES for a in alts):
        raise EvalkitError(f"alternative must be one of {ALTERNATIVES} (or one per test), got {alternative!r}")
    E = np.array([_extremeness(stats[j : j + 1], a)[0] for j, a in enumerate(alts)])
    ED = np.column_stack([_extremeness(D[:, j], a) for j, a in enumerate(alts)])
    return terms, stats, E, ED


def _with_observed(E: np.ndarray, ED: np.ndarray, add_observed: bool) -> np.ndarray:
    return np.vstack([E[None, :], ED]) if add_observed else ED


def _hits(ED: np.ndarray, E: np.ndarray) -> np.ndarray:
    """``ED[b, j]`` at least as extreme as ``E[j]`` by the tie rule (NaN never counts)."""
    return ED >= E - TIE_RTOL * np.abs(E)


def _maxt(E: np.ndarray, ED: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw and Romano-Wolf step-down p-values (``ED`` is the whole reference set)."""
    B = ED.shape[0]
    raw = _hits(ED, E).sum(axis=0) / B
    order = np.argsort(-E, kind="stable")
    # column s: max over the tests ordered s..m-1 (NaN draws ignored)
    tail_max = np.fmax.accumulate(ED[:, order][:, ::-1], axis=1)[:, ::-1]
    step = _hits(tail_max, E[order]).sum(axis=0) / B
    adjusted = np.empty_like(step)
    adjusted[order] = np.maximum.accumulate(step)
    return raw, adjusted


def _column_counts(col: np.ndarray) -> np.ndarray:
    """For each entry, how many entries of ``col`` are at least as extreme (tie rule); NaN -> size."""
    valid = np.sort(col[np.isfinite(col)])
    thresholds = col - TIE_RTOL * np.abs(col)
    counts = valid.size - np.searchsorted(valid, thresholds, side="left")
    return np.where(np.isfinite(col), counts, col.size)


def _minp(E: np.ndarray, ED: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw and Westfall-Young step-down p-values from integer counts (exact comparisons)."""
    B = ED.shape[0]
    observed = _hits(ED, E).sum(axis=0)  # count behind each raw p-value
    per_draw = np.column_stack([_column_counts(ED[:, j]) for j in range(ED.shape[1])])  # p*_{b,j} * B
    order = np.lexsort((-E, observed))  # smallest p first; ties by extremeness
    tail_min = np.minimum.accumulate(per_draw[:, order][:, ::-1], axis=1)[:, ::-1]
    step = (tail_min <= observed[order]).sum(axis=0) / B
    adjusted = np.empty(step.shape)
    adjusted[order] = np.maximum.accumulate(step)
    return observed / B, adjusted


def _stepdown(
    method: Method,
    statistics: object,
    draws: object,
    *,
    names: Sequence[str] | None,
    alternative: Alternative | Sequence[str],
    add_observed: bool,
    source: str,
) -> StepdownResult:
    terms, stats, E, ED = _as_arrays(statistics, draws, alternative, names)
    n_draws = ED.shape[0]
    ref = _with_observed(E, ED, add_observed)
    raw, adjusted = (_maxt if method == "romano-wolf" else _minp)(E, ref)
    return StepdownResult(
        method=method,
        terms=terms,
        statistics=stats,
        p_value=raw,
        p_value_adjusted=adjusted,
        n_draws=n_draws,
        source=source,
    )


def romano_wolf_arrays(
    statistics: np.ndarray,
    draws: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    alternative: Alternative | Sequence[str] = "two-sided",
    add_observed: bool = False,
) -> StepdownResult:
    """Romano-Wolf step-down adjusted p-values from observed statistics and shared draws.

    Parameters
    ----------
    statistics
        The ``m`` observed studentized statistics (t-statistics).
    draws
        ``(B, m)``: row ``b`` holds all ``m`` statistics under the same draw ``b``,
        centred at the null (e.g. restricted wild-bootstrap t-statistics).
    names
        Test names (default ``test0, test1, ...``).
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"``, or one per test.
    add_observed
        ``True`` for random permutations: the observed statistics count as one more draw.

    Returns
    -------
    StepdownResult
        ``p_value`` (each test alone) and ``p_value_adjusted`` (FWER).
    """
    return _stepdown(
        "romano-wolf", statistics, draws, names=names, alternative=alternative, add_observed=add_observed, source="draws"
    )


def westfall_young_arrays(
    statistics: np.ndarray,
    draws: np.ndarray,
    *,
    names: Sequence[str] | None = None,
    alternative: Alternative | Sequence[str] = "two-sided",
    add_observed: bool = False,
) -> StepdownResult:
    """Westfall-Young (minP) step-down adjusted p-values from statistics and shared draws.

    Parameters are those of :func:`romano_wolf_arrays`; the statistics may be on any
    scale (each test's draws are turned into p-values against its own column).
    """
    return _stepdown(
        "westfall-young",
        statistics,
        draws,
        names=names,
        alternative=alternative,
        add_observed=add_observed,
        source="draws",
    )


def _named(tests: Tests) -> tuple[list[str], list[HypothesisTest]]:
    if isinstance(tests, Mapping):
        names, items = [str(k) for k in tests], list(tests.values())
    elif isinstance(tests, Sequence) and not isinstance(tests, str):
        items = list(tests)
        names = [str(getattr(t, "term", f"test{j}")) for j, t in enumerate(items)]
        if len(set(names)) < len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise EvalkitError(
                f"tests share the term names {dup}; pass a dict of test name -> test "
                "(e.g. {'employed, 6 months': test, ...}) to name them"
            )
    else:
        raise EvalkitError(f"tests must be a dict of name -> test or a list of tests, got {type(tests).__name__}")
    if len(items) < 1:
        raise EvalkitError("no tests given")
    for name, t in zip(names, items):
        if isinstance(t, InvalidTest):
            raise EvalkitError(f"test {name!r} is invalid ({t.reason}); leave it out of the family")
    return names, items


def _wild_family(names: list[str], items: list[HypothesisTest]) -> tuple[np.ndarray, np.ndarray, str]:
    keys = {getattr(t, "draws_key", "") for t in items}
    if "" in keys or len(keys) > 1:
        groups: dict[str, list[str]] = {}
        for n, t in zip(names, items):
            groups.setdefault(getattr(t, "draws_key", "") or "(none)", []).append(n)
        raise EvalkitError(
            "these wild bootstrap tests do not share their weight draws, so their joint distribution is "
            f"unknown: {len(groups)} different sets of draws ({'; '.join(', '.join(v) for v in groups.values())}). "
            "Run every wild_cluster_bootstrap with the same integer rng seed, n_boot and weight_type, "
            "clustered on the same column (cluster='county') with the same clusters"
        )
    stats = np.array([t.statistic for t in items], dtype=float)  # type: ignore[attr-defined]
    draws = np.column_stack([t.draws for t in items])  # type: ignore[attr-defined]
    t0 = items[0]
    source = f"wild cluster bootstrap, {t0.weight_type} weights, {t0.n_clusters} clusters"  # type: ignore[attr-defined]
    return stats, draws, source


def _randomization_family(names: list[str], items: list[HypothesisTest]) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    sampled = [n for n, t in zip(names, items) if not t.exact]  # type: ignore[attr-defined]
    if sampled:
        raise EvalkitError(
            f"randomization tests {sampled} drew random assignments, which they do not record, so evalkit cannot "
            "check that the tests share them; enumerate the assignments (exact tests), or pass the observed "
            "statistics and one matrix of statistics under the same assignments to westfall_young_arrays "
            "(add_observed=True)"
        )

    def design(t: HypothesisTest) -> tuple[object, ...]:
        if isinstance(t, ScheduleRandomizationTest):
            return ("schedule", t.waves, t.strata, t.n_strata, t.n_units, t.n_possible)
        return ("units", t.n_units, t.n_treated, t.n_possible)  # type: ignore[attr-defined]

    designs = {design(t) for t in items}
    if len(designs) > 1:
        raise EvalkitError(
            "these randomization tests enumerate different assignments (different units, treated counts, waves "
            f"or strata: {sorted(map(str, designs))}), so they share no draws"
        )
    stats = np.array([t.statistic for t in items], dtype=float)
    draws = np.column_stack([t.distribution for t in items])  # type: ignore[attr-defined]
    alts = [t.alternative for t in items]  # type: ignore[attr-defined]
    return stats, draws, alts, f"all {draws.shape[0]} assignments enumerated"


def _from_tests(method: Method, tests: Tests) -> StepdownResult:
    names, items = _named(tests)
    wild = [isinstance(t, WildBootstrapTest) for t in items]
    rand = [isinstance(t, (RandomizationTest, ScheduleRandomizationTest)) for t in items]
    if all(wild):
        stats, draws, source = _wild_family(names, items)
        alts: Alternative | list[str] = "two-sided"
    elif all(rand):
        if method == "romano-wolf":
            raise EvalkitError(
                "romano_wolf compares studentized statistics across tests, and randomization tests' statistics "
                "are on their own scales; use westfall_young (step-down on p-values) for randomization tests"
            )
        stats, draws, alts, source = _randomization_family(names, items)
    else:
        kinds = sorted({type(t).__name__ for t in items})
        raise EvalkitError(
            f"a family must consist of tests from one resampling scheme with shared draws; got {kinds}. "
            "Use wild bootstrap tests (WildBootstrapTest) or randomization tests, not a mix"
        )
    return _stepdown(method, stats, draws, names=names, alternative=alts, add_observed=False, source=source)


def romano_wolf(tests: Tests) -> StepdownResult:
    """Romano-Wolf step-down adjusted p-values of wild bootstrap tests sharing their draws.

    Parameters
    ----------
    tests
        :class:`~evalkit.results.WildBootstrapTest` results, as a dict of name -> test
        (needed when several test the same term, e.g. one regression per outcome and
        horizon) or a list.  Each must come from
        :func:`~evalkit.inference.wild_cluster_bootstrap` with the same integer ``rng``
        seed, ``n_boot`` and ``weight_type``, clustered on the same clusters: then the
        weights are identical and the ``draws`` of all tests form the joint null
        distribution.  Checked through their ``draws_key``.

    Returns
    -------
    StepdownResult
        ``p_value`` equals each test's own ``p_value``; ``p_value_adjusted`` controls the
        family-wise error rate.

    Raises
    ------
    EvalkitError
        Tests that do not share draws, randomization tests (use :func:`westfall_young`),
        invalid tests or duplicate names.
    """
    return _from_tests("romano-wolf", tests)


def westfall_young(tests: Tests) -> StepdownResult:
    """Westfall-Young (minP) step-down adjusted p-values of tests sharing their draws.

    Parameters
    ----------
    tests
        Wild bootstrap tests sharing their weights (as for :func:`romano_wolf`), or exact
        randomization tests (:class:`~evalkit.results.RandomizationTest`,
        :class:`~evalkit.results.ScheduleRandomizationTest`) over the same units and the
        same treated counts, waves and strata, whose enumerated assignments come in one
        order.  Each randomization test keeps its ``alternative``.  As a dict of name ->
        test, or a list.

    Returns
    -------
    StepdownResult

    Raises
    ------
    EvalkitError
        Tests that do not share draws (sampled randomization tests record no
        assignments: use :func:`westfall_young_arrays`), a mix of kinds, invalid tests or
        duplicate names.
    """
    return _from_tests("westfall-young", tests)
