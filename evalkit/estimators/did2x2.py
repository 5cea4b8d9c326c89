"""The 2x2 difference-in-differences estimator as a linear regression.

``y = a + b1 post + b2 treated + b3 treated x post + covariates + dummies (+ fixed effects)``;
``b3`` is the effect (Angrist & Pischke 2009, ch. 5.2).  With covariates it is the
regression-adjusted DiD of the published FUI analysis (a linear probability model when
``y`` is 0/1).  Inference comes from the shared regression core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalkit.errors import DesignError
from evalkit.inference.covariance import CovType
from evalkit.regression import RegressionResult, feols
from evalkit.rows import drop_missing, numeric_column, positive_weights

__all__ = ["DiD2x2Result", "did2x2", "did2x2_formula", "treatment_cells"]


@dataclass(frozen=True, kw_only=True, repr=False)
class DiD2x2Result(RegressionResult):
    """Result of :func:`did2x2`: a regression result plus the effect and the four cells.

    Attributes
    ----------
    effect_term
        Name of the interaction term (``"<treated>:<post>"``).
    treated, post
        The 0/1 columns that define the groups and periods.
    cells
        Rows, weighted mean outcome and (with weights) weight sum per treated x post cell.
    """

    effect_term: str
    treated: str
    post: str
    cells: pd.DataFrame = field(compare=False)

    @property
    def effect(self) -> float:
        """The DiD estimate ``b3``."""
        return float(self.params[self.effect_term])

    @property
    def effect_se(self) -> float:
        """Standard error of ``b3``."""
        return float(self.std_errors[self.effect_term])

    @property
    def effect_pvalue(self) -> float:
        """Two-sided p-value of ``b3 = 0``."""
        return float(self.pvalues[self.effect_term])


def _as_binary(data: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as integers 0/1 (from numbers, booleans or a categorical of 0/1)."""
    values = data[col]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    bad = ~values.isin([0, 1])
    if bad.any():
        shown = sorted(map(str, pd.unique(values[bad])))[:5]
        raise DesignError(
            f"column {col!r} must be 0/1; {int(bad.sum())} rows have other values, e.g. {shown} "
            f"(first rows: {list(values.index[bad][:5])})"
        )
    return values.astype(int)


def treatment_cells(
    treated_values: np.ndarray,
    post_values: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    *,
    treated: str,
    post: str,
) -> pd.DataFrame:
    """Rows, weighted mean outcome and weight sum of each treated x post cell (0/1 arrays).

    Raises
    ------
    DesignError
        When a cell is empty (a 2x2 DiD needs all four).
    """
    w = None if weights is None else np.asarray(weights, dtype=float)
    rows = []
    for t in (0, 1):
        for p in (0, 1):
            m = (treated_values == t) & (post_values == p)
            n = int(m.sum())
            if n == 0:
                raise DesignError(
                    f"the cell {treated}={t}, {post}={p} is empty (after excluding rows with missing "
                    "values); a 2x2 DiD needs all four treated x post cells"
                )
            if w is None:  # the unweighted mean and weight: exactly those of unit weights
                mean, weight = float(y[m].mean()), float(n)
            else:
                mean, weight = float(np.average(y[m], weights=w[m])), float(w[m].sum())
            rows.append({treated: t, post: p, "nobs": n, "mean": mean, "weight": weight})
    return pd.DataFrame(rows)


def did2x2_formula(
    y: str,
    *,
    treated: str,
    post: str,
    main: Sequence[str],
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    absorb: Sequence[str] = (),
) -> str:
    """The formula :func:`did2x2` fits: ``y ~ main + treated:post + covariates + C(categorical) | absorb``.

    ``main`` are the main effects (``post``, ``treated``) that the fixed effects do not absorb.
    """
    rhs = [*map(_quote, main), f"{_quote(treated)}:{_quote(post)}", *map(_quote, covariates)]
    rhs += [f"C({_quote(c)})" for c in categorical]
    formula = f"{_quote(y)} ~ " + " + ".join(rhs)
    if absorb:
        formula += " | " + " + ".join(map(_quote, absorb))
    return formula


def _quote(col: str) -> str:
    return f"`{col}`"


def did2x2(
    data: pd.DataFrame,
    y: str,
    *,
    treated: str,
    post: str,
    covariates: Sequence[str] = (),
    categorical: Sequence[str] = (),
    absorb: Sequence[str] = (),
    weights: str | None = None,
    vcov: CovType | None = None,
    cluster: str | Sequence[str] | None = None,
    reference: Mapping[str, object] | None = None,
) -> DiD2x2Result:
    """2x2 difference-in-differences by least squares.

    Fits ``y = a + b1 post + b2 treated + b3 treated x post + covariates + dummies``
    (+ absorbed fixed effects); ``b3`` estimates the average effect on the treated under
    parallel trends and no anticipation.

    Parameters
    ----------
    data
        One row per observation (person, cell, ...); not modified.
    y
        Outcome column.
    treated, post
        0/1 columns: treated group, post period.  The terms are named after them, the
        effect ``"<treated>:<post>"``.
    covariates
        Numeric columns entered linearly.
    categorical
        Columns entered as dummies (treatment coding, terms like ``age_group: 20-24``).
    absorb
        Columns whose fixed effects are absorbed.  A main effect (``treated`` or ``post``)
        that is constant within one of them is left out, since the fixed effects contain it.
    weights
        Column of positive analytic weights.
    vcov
        ``"iid"``, ``"HC0"``, ``"HC1"``, ``"HC3"``, ``"CR1"``, ``"CR2"`` (t-tests with
        Bell-McCaffrey df per term) or ``"CR3"``; default ``"CR1"`` when ``cluster`` is
        given, else ``"iid"``.
    cluster
        One or two columns to cluster on.  With fewer than 30 clusters or fewer than 6
        treated (or control) clusters a :class:`~evalkit.errors.FewClustersWarning` is
        issued; one cluster is a :class:`~evalkit.errors.DesignError`
        (:mod:`evalkit.inference.few_clusters`).
    reference
        Reference levels of ``categorical`` columns, e.g. ``{"age_group": "under 20"}``.

    Raises
    ------
    DesignError
        ``treated``/``post`` not 0/1 (numbers, booleans or a categorical of 0/1 are
        accepted), an empty treated x post cell (named), an outcome that is constant in
        the sample, collinear regressors, one cluster.
    """
    cluster_cols = [] if cluster is None else ([cluster] if isinstance(cluster, str) else list(cluster))
    used = list(
        dict.fromkeys([y, treated, post, *covariates, *categorical, *absorb, *cluster_cols, *([weights] if weights else [])])
    )
    sample = drop_missing(data, used)
    sample = sample.assign(**{treated: _as_binary(sample, treated), post: _as_binary(sample, post)})
    outcome = numeric_column(sample, y, "outcome")
    for col in covariates:
        numeric_column(sample, col, "covariate", "give text columns as categorical=")
    if weights is not None:
        positive_weights(sample, weights)
    cells = treatment_cells(
        sample[treated].to_numpy(), sample[post].to_numpy(), outcome,
        None if weights is None else sample[weights].to_numpy(dtype=float), treated=treated, post=post,
    )
    if np.unique(outcome).size == 1:
        raise DesignError(
            f"outcome {y!r} is constant ({outcome[0]:g}) in all {len(sample)} rows used; "
            "a difference-in-differences of a constant is 0 with no sampling variation"
        )

    def absorbed(col: str) -> bool:
        return any(sample.groupby(fe, sort=False)[col].nunique().max() == 1 for fe in absorb)

    main = [c for c in (post, treated) if not absorbed(c)]
    formula = did2x2_formula(y, treated=treated, post=post, main=main, covariates=covariates,
                             categorical=categorical, absorb=absorb)
    fitted = feols(formula, sample, vcov=vcov, cluster=cluster, weights=weights, reference=reference, treated=treated)
    extra = {**fitted.extra, "effect": f"{treated}:{post}"}
    return DiD2x2Result(
        **{f: getattr(fitted, f) for f in ("params", "std_errors", "nobs", "cov_type", "cov", "df_resid", "n_clusters", "fit", "data")},
        model_name=f"2x2 DiD: {y}",
        formula=formula,
        extra=extra,
        effect_term=f"{treated}:{post}",
        treated=treated,
        post=post,
        cells=cells,
    )
