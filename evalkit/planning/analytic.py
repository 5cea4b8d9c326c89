"""The analytic approximation: design effect from the estimated intra-unit correlation.

Model of the outcome of person ``i`` in unit ``u`` and entry window ``w``:
``y = a_u + l_w + nu_uw + e``, with unit x window shocks ``nu`` (variance ``tau^2``)
independent of each other and of the individual noise ``e`` (variance ``sigma^2``).  The
intra-unit correlation is ``rho = tau^2 / (tau^2 + sigma^2)``.  A cell mean of ``m``
persons has variance ``tau^2 + sigma^2 / m = (tau^2 + sigma^2) (1 + (m - 1) rho) / m``:
the design effect ``1 + (m - 1) rho`` (Kish 1965).  The 2x2 DiD with ``G_1`` treated and
``G_0`` comparison units of ``m`` persons per window then has

    Var(b3) = (tau^2 + sigma^2) (1 + (m - 1) rho) / m * 2 (1 / G_1 + 1 / G_0),

and with a t distribution of ``G_1 + G_0 - 2`` degrees of freedom the minimum detectable
effect at power ``1 - kappa`` is ``(t_{1-alpha/2} + t_{1-kappa}) SE`` (Bloom 1995).

``sigma^2`` is the pooled within-cell variance of the history (for cell rows of a share,
whose persons are not known, the Bernoulli variance ``p (1 - p)`` of the pooled share); ``tau^2`` the ANOVA moment
estimate from the unit x window interaction of cell means over consecutive,
non-overlapping windows of the post window's length (``E[MS_uw] = tau^2 + sigma^2
mean(1/m_uw)``), truncated at 0.  The approximation assumes the shocks of the two windows
independent once unit and window effects are removed: serial correlation of the shocks,
which the placebo rollouts keep, is what it leaves out (Bertrand, Duflo & Mullainathan
2004).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evalkit.errors import DesignError
from evalkit.panel.months import month_label
from evalkit.planning.cells import OutcomeCells

__all__ = ["VarianceComponents", "analytic_mde", "analytic_power", "analytic_se", "variance_components"]


@dataclass(frozen=True)
class VarianceComponents:
    """``sigma2`` (within cells), ``tau2`` (unit x window shocks), ``icc`` and the windows used."""

    sigma2: float
    tau2: float
    icc: float
    window_length: int
    n_windows: int


def variance_components(cells: OutcomeCells, window_length: int) -> VarianceComponents:
    """Estimate the within-cell variance and the unit x window shock variance of the history.

    Raises
    ------
    DesignError
        When the history holds fewer than two complete windows (every unit observed).
    """
    first, last = cells.observed_months()
    starts = range(first, last - window_length + 2, window_length)
    sums = [cells.window((s, s + window_length - 1)) for s in starts]
    complete = [(n, s, q) for n, s, q in sums if (n > 0).all()]
    if len(complete) < 2:
        raise DesignError(
            f"outcome {cells.label!r}: the analytic approximation needs at least two windows of {window_length} "
            f"months in which every unit has observations; {month_label(first)}..{month_label(last)} has {len(complete)}"
        )
    n = np.column_stack([c[0] for c in complete])
    s = np.column_stack([c[1] for c in complete])
    q = np.column_stack([c[2] for c in complete])
    means = s / n
    if np.isnan(q).any():
        share = float(s.sum() / n.sum())
        if not 0 <= means.min() and means.max() <= 1:
            raise DesignError(f"outcome {cells.label!r}: the analytic approximation needs the persons' values, or "
                              "cell rows of a share in [0, 1] (Bernoulli variance); give one row per person")
        sigma2 = share * (1 - share)
    else:
        dof = (n - 1).sum()
        sigma2 = float((q - s * s / n).sum() / dof) if dof > 0 else 0.0
    resid = means - means.mean(axis=1, keepdims=True) - means.mean(axis=0, keepdims=True) + means.mean()
    U, W = means.shape
    interaction = float((resid**2).sum() / ((U - 1) * (W - 1)))
    tau2 = max(0.0, interaction - sigma2 * float(np.mean(1.0 / n)))
    total = tau2 + sigma2
    return VarianceComponents(sigma2=sigma2, tau2=tau2, icc=tau2 / total if total > 0 else 0.0,
                              window_length=window_length, n_windows=W)


def analytic_se(vc: VarianceComponents, cell_size: float, n_treated: int, n_control: int) -> float:
    """Standard error of the 2x2 DiD under the design-effect model (module docstring)."""
    deff = 1.0 + (cell_size - 1.0) * vc.icc
    return float(np.sqrt((vc.tau2 + vc.sigma2) * deff / cell_size * 2.0 * (1.0 / n_treated + 1.0 / n_control)))


def analytic_power(effects: np.ndarray, se: float, df: int, alpha: float) -> np.ndarray:
    """Two-sided power of a t-test with ``df`` degrees of freedom at the given true effects."""
    from scipy import stats

    crit = stats.t.ppf(1 - alpha / 2, df)
    ratio = np.asarray(effects, dtype=float) / se
    return stats.t.cdf(ratio - crit, df) + stats.t.cdf(-ratio - crit, df)


def analytic_mde(se: float, df: int, alpha: float, target: float) -> float:
    """``(t_{1-alpha/2} + t_{target}) SE`` with ``df`` degrees of freedom (Bloom 1995)."""
    from scipy import stats

    return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(target, df)) * se)
