"""Randomization inference over which units are treated (Fisher; Conley & Taber 2011).

With few treated units (the FUI reform: 6 of 18 counties, one region) cluster-robust and
even bootstrap inference rest on thin ground.  Randomization inference asks instead: if
the programme had been given to another set of units of the same size, how often would the
statistic be at least as extreme as the one observed?  Under the sharp null of no effect
for any unit, and treating every set of ``N_1`` out of ``N`` units as equally likely to
have been chosen, the p-value is exact (Fisher 1935; Imbens & Rubin 2015, ch. 5).  When
assignment was not random, it is a permutation test of whether the treated units' change
is unusual among all units' changes, in the spirit of Conley & Taber (2011) and MacKinnon
& Webb (2020), which needs the units to be exchangeable under the null.

All ``C(N, N_1)`` assignments are enumerated when there are at most
:data:`MAX_ENUMERATION` of them (``C(18, 6) = 18,564``); otherwise assignments are drawn
at random and the p-value is ``(1 + #{as extreme}) / (1 + n_perm)`` (the observed
assignment counted once, which keeps the test valid).
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit.errors import DesignError, EvalkitError
from evalkit.inference.clusters import indicator
from evalkit.inference.pvalues import Alternative, invert_test, resampling_p_value
from evalkit.inference.rng import RNG, as_generator
from evalkit.results.hypothesis_tests import RandomizationTest
from evalkit.rows import drop_missing, numeric_column, positive_weights

if TYPE_CHECKING:
    from scipy import sparse

__all__ = [
    "MAX_ENUMERATION",
    "assignments",
    "did_randomization_test",
    "randomization_test",
]

#: Largest number of assignments that is enumerated rather than sampled.
MAX_ENUMERATION = 100_000
_DEFAULT_DRAWS = 9999


def assignments(
    n_units: int, n_treated: int, *, n_perm: int | None = None, rng: RNG = None
) -> tuple[np.ndarray, bool]:
    """Treatment assignments as a boolean (A, n_units) matrix, and whether they are all of them.

    All ``C(n_units, n_treated)`` in lexicographic order when there are at most ``n_perm``
    of them (``n_perm=None``: at most :data:`MAX_ENUMERATION`); otherwise ``n_perm``
    (default 9999) uniform random draws, each a set of ``n_treated`` distinct units, from
    ``rng`` (:func:`evalkit.inference.rng.as_generator`; ``None`` is a fixed seed).
    """
    if not 1 <= n_treated < n_units:
        raise DesignError(f"need at least one treated and one untreated unit, got {n_treated} of {n_units}")
    total = math.comb(n_units, n_treated)
    limit = MAX_ENUMERATION if n_perm is None else n_perm
    if n_perm is not None and (isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1):
        raise EvalkitError(f"n_perm must be a positive integer, got {n_perm!r}")
    if total <= limit:
        return _all_assignments(n_units, n_treated).copy(), True
    gen = as_generator(rng)
    draws = _DEFAULT_DRAWS if n_perm is None else n_perm
    order = np.argsort(gen.random((draws, n_units)), axis=1)[:, :n_treated]
    Z = np.zeros((draws, n_units), dtype=bool)
    np.put_along_axis(Z, order, True, axis=1)
    return Z, False


@functools.lru_cache(maxsize=8)
def _all_assignments(n_units: int, n_treated: int) -> np.ndarray:
    """Every assignment in lexicographic order, built once per process (read-only; callers copy)."""
    combinations = itertools.chain.from_iterable(itertools.combinations(range(n_units), n_treated))
    idx = np.fromiter(combinations, dtype=np.intp, count=math.comb(n_units, n_treated) * n_treated).reshape(-1, n_treated)
    Z = np.zeros((len(idx), n_units), dtype=bool)
    np.put_along_axis(Z, idx, True, axis=1)
    Z.setflags(write=False)
    return Z


def _units(data: pd.DataFrame, unit: str) -> tuple[np.ndarray, np.ndarray]:
    if unit not in data.columns:
        raise EvalkitError(f"unit column {unit!r} is not in the data")
    if data[unit].isna().any():
        raise EvalkitError(f"unit column {unit!r} has {int(data[unit].isna().sum())} missing values")
    codes, labels = pd.factorize(data[unit], sort=True)
    return codes, np.asarray(labels)


def _result(
    observed: float, dist: np.ndarray, exact: bool, n_units: int, n_treated: int, alternative: Alternative, term: str
) -> RandomizationTest:
    return RandomizationTest(
        statistic=float(observed),
        p_value=resampling_p_value(observed, dist, alternative, add_observed=not exact),
        distribution=dist,
        n_units=n_units,
        n_treated=n_treated,
        n_possible=math.comb(n_units, n_treated),
        exact=exact,
        alternative=alternative,
        term=term,
    )


def randomization_test(
    data: pd.DataFrame,
    estimator: Callable[[pd.DataFrame], float],
    *,
    unit: str,
    treated_units: Sequence[object],
    column: str = "treated",
    n_perm: int | None = None,
    rng: RNG = None,
    alternative: Alternative = "two-sided",
) -> RandomizationTest:
    """Randomization test of any statistic over which units are treated.

    For every assignment (a set of ``len(treated_units)`` units) ``data`` gets the 0/1
    column ``column`` (1 on the rows of the assigned units) and ``estimator`` recomputes
    the statistic.  The observed statistic uses ``treated_units``.

    Parameters
    ----------
    data
        Rows (persons, cells) with a ``unit`` column; not modified.
    estimator
        ``f(data_with_assignment) -> float``, e.g.
        ``lambda d: did2x2(d, "employed", treated="treated", post="t2").effect``.
    unit
        Column naming the unit of assignment (county).
    treated_units
        The units actually treated.
    column
        Name of the 0/1 assignment column written into the data passed to ``estimator``.
    n_perm
        Number of random assignments; by default all assignments when there are at most
        100,000, else 9999 random ones.  Enumeration is also used whenever
        ``C(N, N_1) <= n_perm``.
    rng
        Generator or seed for random assignments (``None``: a fixed default seed,
        :func:`evalkit.inference.rng.as_generator`).
    alternative
        ``"two-sided"`` (default), ``"greater"`` or ``"less"``.

    Raises
    ------
    EvalkitError
        Unknown unit column or treated units that are not in the data (named).

    References
    ----------
    Fisher (1935); Imbens & Rubin (2015), ch. 5; Conley & Taber (2011), REStat 93(1);
    MacKinnon & Webb (2020), J. Econometrics 218(2).
    """
    codes, labels = _units(data, unit)
    chosen = pd.Index(labels).get_indexer(pd.Index(list(treated_units)))
    if (chosen < 0).any():
        missing = [u for u, c in zip(treated_units, chosen) if c < 0]
        raise EvalkitError(f"treated units {missing} are not in column {unit!r}")
    if len(set(chosen)) != len(chosen):
        raise EvalkitError("treated_units has duplicates")
    observed_z = np.zeros(labels.size, dtype=bool)
    observed_z[chosen] = True

    def stat(z: np.ndarray) -> float:
        return float(estimator(data.assign(**{column: z[codes].astype(int)})))

    Z, exact = assignments(labels.size, len(chosen), n_perm=n_perm, rng=rng)
    dist = np.array([stat(z) for z in Z])
    return _result(stat(observed_z), dist, exact, labels.size, len(chosen), alternative, "statistic")


def _in_span(values: np.ndarray, dummies: np.ndarray, root: np.ndarray) -> bool:
    """Whether ``values`` lie in the span of the intercept and ``dummies`` (whitened by ``root``):
    a column absorbed by fixed effects."""
    if not dummies.shape[1]:
        return False
    basis = np.column_stack([np.ones(len(values)), dummies]) * root[:, None]
    target = values * root
    coef = np.linalg.lstsq(basis, target, rcond=None)[0]
    return bool(np.linalg.norm(target - basis @ coef) <= 1e-8 * max(np.linalg.norm(target), 1.0))


def _unit_sums(E: sparse.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Sums of ``values`` (n,) or (n, m) within units by the unit indicators ``E``, shape (U, m)."""
    return np.asarray(E @ np.asarray(values, dtype=float).reshape(len(values), -1))


@dataclass(frozen=True, eq=False)
class _UnitDesign:
    """What :func:`did_randomization_test` needs of a design whatever the outcome.

    ``H`` (whitened) enters through its orthonormal basis ``Qh``; ``E`` are the unit
    indicators, ``A_E = E' Qh`` and ``A_P = (E x post)' Qh`` (whitened), ``w_unit`` and
    ``w_post`` the weight per unit and per unit in the post period, and ``G11``, ``G12``,
    ``G22`` the U x U matrices of ``Q' M_H Q``.  The quadratic forms of the enumerated
    assignments are kept once computed (``_forms``).
    """

    Qh: np.ndarray
    E: sparse.csr_matrix
    A_E: np.ndarray
    A_P: np.ndarray
    w_unit: np.ndarray
    w_post: np.ndarray
    G11: np.ndarray
    G12: np.ndarray
    G22: np.ndarray
    _forms: dict[int, tuple[np.ndarray, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, H: np.ndarray, codes: np.ndarray, U: int, w: np.ndarray, p: np.ndarray) -> "_UnitDesign":
        """The design of the whitened ``H``, unit codes, weights ``w`` and 0/1 ``post`` ``p``.

        Raises
        ------
        DesignError
            When the columns of ``H`` are collinear.
        """
        Qh, R = np.linalg.qr(H)
        if np.any(np.abs(np.diag(R)) <= 1e-10 * np.abs(R).max()):
            raise DesignError("the intercept, post, covariates and dummies are collinear; remove one of them")
        root = np.sqrt(w)
        E = indicator(codes, U)  # the unit indicators, built once for every sum over units
        A_E = _unit_sums(E, Qh * root[:, None])  # E' Qh with E the (whitened) unit indicators
        A_P = _unit_sums(E, Qh * (root * p)[:, None])
        w_unit = _unit_sums(E, w)[:, 0]
        w_post = _unit_sums(E, w * p)[:, 0]
        return cls(
            Qh=Qh, E=E, A_E=A_E, A_P=A_P, w_unit=w_unit, w_post=w_post,
            G11=np.diag(w_unit) - A_E @ A_E.T, G12=np.diag(w_post) - A_E @ A_P.T, G22=np.diag(w_post) - A_P @ A_P.T,
        )

    def unit_sums(self, values: np.ndarray) -> np.ndarray:
        """Sums of ``values`` (n,) or (n, m) within units, shape (U, m)."""
        return _unit_sums(self.E, values)

    def quadratic_forms(self, Z: np.ndarray) -> tuple[np.ndarray, ...]:
        """What ``b3`` needs of the assignments ``Z`` whatever the outcome: ``Z`` as floats,
        ``z' G11 z``, ``z' G12 z``, whether ``D`` is absorbed, and the determinant.

        Raises
        ------
        DesignError
            When some assignment makes the treatment columns collinear with ``H``.
        """
        Zf = Z.astype(float)
        # z' G z per assignment: one matrix product, then a row-wise dot (einsum over
        # "au,uv,av" loops in C without BLAS, several times slower for 18,564 assignments)
        s11, s12, s22 = (np.einsum("au,au->a", Zf @ G, Zf) for G in (self.G11, self.G12, self.G22))
        # D in the span of H (absorbed by unit or coarser fixed effects): b3 of D x post alone
        absorbed = s11 <= 1e-10 * (Zf @ self.w_unit)
        det = np.where(absorbed, s22, s11 * s22 - s12**2)
        singular = det <= 1e-12 * np.where(absorbed, Zf @ self.w_post, np.maximum(s11 * s22, np.finfo(float).tiny))
        if singular.any():
            raise DesignError(
                f"{int(singular.sum())} of {Z.shape[0]} assignments make the treatment columns collinear "
                "with post, the covariates or the dummies (e.g. a treated group with no pre- or post-period rows)"
            )
        return Zf, s11, s12, absorbed, det

    def enumerated_forms(self, n_treated: int) -> tuple[np.ndarray, ...]:
        """:meth:`quadratic_forms` of every assignment of ``n_treated`` units (:func:`assignments`), kept."""
        if n_treated not in self._forms:
            self._forms[n_treated] = self.quadratic_forms(_all_assignments(self.w_unit.size, n_treated))
        return self._forms[n_treated]


#: Designs of the latest calls of :func:`did_randomization_test` with the inputs they were built from.
_DESIGNS: list[tuple[tuple[np.ndarray, ...], _UnitDesign]] = []
#: How many designs are kept: models that differ only in the outcome (the FUI outcomes at
#: one horizon) share one; each holds two n x k arrays, so few are.
_DESIGNS_KEPT = 2
#: Only designs whose ``H`` takes at most this many bytes are kept (a design holds about four
#: arrays of ``H``'s size): the FUI's (30,000 entrants) are; one of a register-sized sample,
#: which would hold gigabytes after the call returned, is not.
_KEPT_H_BYTES = 16 * 2**20
_DESIGNS_LOCK = threading.Lock()


def _unit_design(H: np.ndarray, codes: np.ndarray, U: int, w: np.ndarray, p: np.ndarray) -> _UnitDesign:
    """:meth:`_UnitDesign.build`, or the same design kept from a recent call with equal inputs.

    Inputs are equal when they have the same shapes, types and bytes, so a kept design is
    the one these inputs build, bit for bit.  A design larger than :data:`_KEPT_H_BYTES` is
    built and not kept.
    """
    if H.nbytes > _KEPT_H_BYTES:
        return _UnitDesign.build(H, codes, U, w, p)
    inputs = (H, codes, np.array(U), w.copy(), p)  # the weights may be a view of the caller's data
    with _DESIGNS_LOCK:
        design = next((d for kept, d in _DESIGNS if all(map(_same_bytes, inputs, kept))), None)
    if design is None:
        design = _UnitDesign.build(H, codes, U, w, p)
    with _DESIGNS_LOCK:  # the latest design last; the oldest forgotten
        _DESIGNS[:] = [*(e for e in _DESIGNS if e[1] is not design), (inputs, design)][-_DESIGNS_KEPT:]
    return design


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays have the same shape, type and bytes (``-0.0`` is not ``0.0``)."""
    return (a.shape == b.shape and a.dtype == b.dtype
            and np.array_equal(np.ascontiguousarray(a).reshape(-1).view(np.uint8),
                               np.ascontiguousarray(b).reshape(-1).view(np.uint8)))


def did_randomization_test(
    data: pd.DataFrame,
    y: str,
    *,
    unit: str,
    treated: str,
    post: str,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    weights: str | None = None,
    n_perm: int | None = None,
    rng: RNG = None,
    alternative: Alternative = "two-sided",
    alpha: float = 0.05,
    ci: bool = True,
) -> RandomizationTest:
    """Randomization test of the 2x2 DiD coefficient over which units are treated, fast.

    The statistic is ``b3`` of ``y = a + b1 post + b2 D + b3 D x post + covariates +
    dummies`` (weighted least squares with ``weights``), the estimate of
    :func:`~evalkit.estimators.did2x2` with the same columns.  ``D`` is re-assigned at the
    unit level.

    Nothing is refitted per assignment.  With ``H = [1, post, covariates, dummies]``,
    which no assignment changes, Frisch-Waugh-Lovell gives ``(b2, b3)`` from
    ``Q' M_H Q`` and ``Q' M_H y`` with ``Q = [D, D x post]``; since ``D = E z`` (``E`` the
    unit indicators, ``z`` the assignment), these are ``z' G z`` and ``z' a`` for U x U
    matrices ``G`` and U-vectors ``a`` computed once in one pass over the data.  Each
    assignment then costs O(U^2) and gives the same ``b3`` as a refit up to rounding
    (about 1e-12 relative).  What does not depend on the outcome (``H``'s basis, ``G``
    and ``z' G z`` of the enumerated assignments) is kept for the next calls with the same
    rows, unit, covariates and weights, e.g. another outcome of the same entrants.

    Fixed effects among ``categorical`` may absorb a main effect (Frisch-Waugh-Lovell):
    when ``post`` lies in the span of the intercept and the dummies (entry-month effects)
    it is left out of ``H``; when an assignment's ``D`` lies in the span of ``H`` (unit
    or coarser effects, such as county or region effects), ``b3`` is the coefficient of
    ``D x post`` alone, ``z' b / z' G22 z``.  Either way ``b3`` is the coefficient of
    ``D x post`` in the regression on ``D x post``, ``D`` and ``H``, the estimate of
    :func:`~evalkit.estimators.did2x2` with the same columns absorbed.

    The confidence interval inverts the test under a constant additive effect ``tau``
    (Imbens & Rubin 2015, ch. 5.7): the null ``tau`` removes ``tau * D x post`` from the
    outcome, and since ``b3`` is linear in the outcome, every assignment's statistic is
    ``b3_a(y) - tau b3_a(d)`` with ``d`` the observed ``D x post``.  The interval is
    ``{tau: p(tau) > alpha}``, found by doubling and bisection as for the wild bootstrap;
    an end is infinite when no ``tau`` on that side is rejected (too few assignments).

    Parameters
    ----------
    data
        One row per observation; rows with missing values in used columns are excluded
        with an :class:`~evalkit.errors.ExcludedRowsWarning`.
    y
        Outcome column.
    unit
        Unit of assignment (county); ``treated`` must be constant within it.
    treated, post
        0/1 columns; the treated units are those with ``treated == 1``.
    covariates, categorical
        Numeric columns entered linearly and columns entered as dummies.
    weights
        Column of positive analytic weights.
    n_perm, rng, alternative
        As in :func:`randomization_test`.
    alpha
        One minus the coverage of the confidence interval.
    ci
        Compute the confidence interval (``conf_int()``); otherwise it is NaN.

    Raises
    ------
    DesignError
        ``treated`` or ``post`` not 0/1, ``treated`` varying within a unit (rows named),
        collinear regressors under some assignment.
    """
    used = list(dict.fromkeys([y, unit, treated, post, *covariates, *categorical, *([weights] if weights else [])]))
    sample = drop_missing(data, used)
    for col in (treated, post):
        bad = ~sample[col].isin([0, 1])
        if bad.any():
            raise DesignError(f"column {col!r} must be 0/1; {int(bad.sum())} rows are not (first: {list(sample.index[bad][:5])})")
        sample = sample.assign(**{col: sample[col].astype(int)})
    varies = sample.groupby(unit)[treated].nunique()
    if (varies > 1).any():
        raise DesignError(
            f"column {treated!r} varies within units of {unit!r}: {list(varies.index[varies > 1][:5])}; "
            "randomization over units needs one treatment status per unit"
        )
    codes, labels = _units(sample, unit)
    U = labels.size
    observed_z = sample.groupby(codes)[treated].first().to_numpy() == 1

    outcome = numeric_column(sample, y, "outcome")
    covariate_values = [numeric_column(sample, c, "covariate", "give text columns as categorical=") for c in covariates]
    w = np.ones(len(sample)) if weights is None else positive_weights(sample, weights)
    root = np.sqrt(w)
    p = sample[post].to_numpy(dtype=float)
    dummies = (pd.get_dummies(sample[list(categorical)].astype(str), drop_first=True, dtype=float).to_numpy()
               if categorical else np.empty((len(sample), 0)))
    parts = [np.ones(len(sample)), *([] if _in_span(p, dummies, root) else [p]), *covariate_values, *dummies.T]
    H = np.column_stack(parts) * root[:, None]
    design = _unit_design(H, codes, U, w, p)

    def moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``E' M_H v`` and ``(E x post)' M_H v`` (whitened) for an outcome ``v``."""
        qv = design.Qh.T @ (values * root)
        return (design.unit_sums(w * values)[:, 0] - design.A_E @ qv,
                design.unit_sums(w * p * values)[:, 0] - design.A_P @ qv)

    def effects(forms: tuple[np.ndarray, ...], a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``b3`` of every assignment of :meth:`_UnitDesign.quadratic_forms` for the moments ``a, b`` of an outcome."""
        Zf, s11, s12, absorbed, det = forms
        ya, yb = Zf @ a, Zf @ b
        return np.where(absorbed, yb, s11 * yb - s12 * ya) / det

    if not 0 < alpha < 1:
        raise EvalkitError(f"alpha must lie in (0, 1), got {alpha}")
    n_treated = int(observed_z.sum())
    Z, exact = assignments(U, n_treated, n_perm=n_perm, rng=rng)
    forms = design.enumerated_forms(n_treated) if exact else design.quadratic_forms(Z)
    observed_forms = design.quadratic_forms(observed_z[None, :])
    ay, by = moments(outcome)
    dist = effects(forms, ay, by)
    observed = float(effects(observed_forms, ay, by)[0])
    result = _result(observed, dist, exact, U, n_treated, alternative, f"{treated}:{post}")
    if not ci:
        return result
    ad, bd = moments(observed_z[codes] * p)
    shift_dist = effects(forms, ad, bd)
    shift_observed = float(effects(observed_forms, ad, bd)[0])  # 1 up to rounding

    def p_value(tau: float) -> float:
        return resampling_p_value(observed - tau * shift_observed, dist - tau * shift_dist, alternative, add_observed=not exact)

    step = float(np.std(dist)) or max(abs(observed), 1.0)
    bounds = (invert_test(p_value, observed, -step, alpha), invert_test(p_value, observed, step, alpha))
    return replace(result, interval=bounds, alpha=alpha)
