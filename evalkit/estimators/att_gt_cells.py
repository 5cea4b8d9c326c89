"""2x2 cell estimators of ATT(g,t): outcome regression, IPW and doubly robust.

Every ATT(g,t) of Callaway & Sant'Anna (2021) is a 2x2 difference-in-differences between
cohort ``g`` and a comparison group, between a base period and period ``t``.  The functions
here estimate one such cell and return the point estimate with its influence function
(one value per observation of the cell), so that standard errors, bootstraps and
aggregations need no refit.  They follow Sant'Anna & Zhao (2020), "Doubly robust
difference-in-differences estimators", J. Econometrics 219(1), as implemented by R's
DRDID package that R's ``did`` calls:

================  ======================================  ==========================
``est_method``    panel (two periods per unit)            repeated cross-sections
================  ======================================  ==========================
``"reg"``         outcome regression (Heckman et al.)     outcome regression
``"ipw"``         normalized (Hajek) IPW, Abadie (2005)   normalized IPW
``"dr"``          locally efficient DR, eq. (3.1)         locally efficient DR, eq. (3.4)
================  ======================================  ==========================

Pluggable signature (as R did's ``est_method`` function):

* panel: ``f(y1, y0, treated, covariates, weights) -> CellEstimate``
* repeated cross-sections: ``f(y, post, treated, covariates, weights) -> CellEstimate``

``covariates`` is an ``(n, k)`` design matrix whose first column is the intercept,
``treated`` a boolean array, ``weights`` positive sampling weights.  The influence function
is scaled so that ``sqrt(mean(inf**2) / n)`` is the standard error of ``att``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from evalkit.errors import DesignError

#: Propensity scores of comparison units above this value are trimmed (R DRDID's default).
PSCORE_TRIM = 0.995


@dataclass(frozen=True)
class CellEstimate:
    """Point estimate of one 2x2 cell and its influence function (one value per row)."""

    att: float
    inf: np.ndarray


PanelCellEstimator = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], CellEstimate]
RCSCellEstimator = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], CellEstimate]


# -- nuisance models --------------------------------------------------------------------
def _wols(x: np.ndarray, y: np.ndarray, w: np.ndarray, subset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted OLS of ``y`` on ``x`` within ``subset``: fitted values for all rows and the
    asymptotic linear representation of the coefficients (n x k, zero outside ``subset``)."""
    n = len(y)
    ws = w * subset
    xtx = (x * ws[:, None]).T @ x / n
    if np.linalg.cond(xtx) > 1 / np.finfo(float).eps:
        fact = f"covariates are collinear among the {int(subset.sum())} units of an outcome regression"
        raise DesignError(f"{fact}; drop covariates or use est_method='ipw'", reason=fact)
    xty = (x * ws[:, None]).T @ y / n
    beta = np.linalg.solve(xtx, xty)
    fitted = x @ beta
    lin_rep = (ws * (y - fitted))[:, None] * x @ np.linalg.inv(xtx)
    return fitted, lin_rep


def _logit(x: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logit of ``d`` on ``x`` by Newton-Raphson: fitted probabilities (capped at
    ``1 - 1e-6`` as DRDID does) and the asymptotic linear representation (n x k)."""
    n, k = x.shape
    beta = np.zeros(k)
    share = np.average(d, weights=w)
    beta[0] = np.log(share / (1 - share))
    if k == 1 and np.all(x == 1):
        # intercept only: the MLE is the weighted share, no iterations needed
        p = np.full(n, min(share, 1 - 1e-6))
        hess = np.sum(w) * share * (1 - share)
        return p, (w * (d - p))[:, None] * (n / hess)
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ beta)))
        hess = (x * (w * p * (1 - p))[:, None]).T @ x
        step = np.linalg.solve(hess, x.T @ (w * (d - p)))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    p = 1 / (1 + np.exp(-(x @ beta)))
    hess = (x * (w * p * (1 - p))[:, None]).T @ x
    p = np.minimum(p, 1 - 1e-6)
    lin_rep = (w * (d - p))[:, None] * x @ np.linalg.inv(hess) * n
    return p, lin_rep


def _check(treated: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = treated.astype(float)
    if d.sum() == 0 or d.sum() == len(d):
        raise DesignError("a 2x2 cell needs both treated and comparison observations")
    return d, weights / weights.mean()


# -- panel ----------------------------------------------------------------------------
def reg_panel(y1: np.ndarray, y0: np.ndarray, treated: np.ndarray, covariates: np.ndarray, weights: np.ndarray) -> CellEstimate:
    """Outcome-regression DiD for panel data (Sant'Anna & Zhao 2020, eq. 2.2)."""
    d, w = _check(treated, weights)
    dy = y1 - y0
    fit, lin = _wols(covariates, dy, w, d == 0)
    wt = w * d
    eta_t = np.mean(wt * dy) / wt.mean()
    eta_c = np.mean(wt * fit) / wt.mean()
    inf_t = (wt * dy - wt * eta_t) / wt.mean()
    inf_c = (wt * fit - wt * eta_c + lin @ np.mean(wt[:, None] * covariates, axis=0)) / wt.mean()
    return CellEstimate(eta_t - eta_c, inf_t - inf_c)


def ipw_panel(y1: np.ndarray, y0: np.ndarray, treated: np.ndarray, covariates: np.ndarray, weights: np.ndarray) -> CellEstimate:
    """Normalized (Hajek) IPW DiD for panel data (Abadie 2005; Sant'Anna & Zhao 2020, eq. 2.4)."""
    d, w = _check(treated, weights)
    dy = y1 - y0
    ps, lin_ps = _logit(covariates, d, w)
    keep = np.where(d == 1, True, ps < PSCORE_TRIM)
    wt = keep * w * d
    wc = keep * w * ps * (1 - d) / (1 - ps)
    eta_t = np.mean(wt * dy) / wt.mean()
    eta_c = np.mean(wc * dy) / wc.mean()
    inf_t = (wt * dy - wt * eta_t) / wt.mean()
    m2 = np.mean((wc * (dy - eta_c))[:, None] * covariates, axis=0)
    inf_c = (wc * dy - wc * eta_c + lin_ps @ m2) / wc.mean()
    return CellEstimate(eta_t - eta_c, inf_t - inf_c)


def dr_panel(y1: np.ndarray, y0: np.ndarray, treated: np.ndarray, covariates: np.ndarray, weights: np.ndarray) -> CellEstimate:
    """Locally efficient doubly robust DiD for panel data (Sant'Anna & Zhao 2020, eq. 3.1),
    with a logit propensity score and a linear outcome model for the comparison group."""
    d, w = _check(treated, weights)
    dy = y1 - y0
    ps, lin_ps = _logit(covariates, d, w)
    fit, lin_or = _wols(covariates, dy, w, d == 0)
    keep = np.where(d == 1, True, ps < PSCORE_TRIM)
    wt = keep * w * d
    wc = keep * w * ps * (1 - d) / (1 - ps)
    resid = dy - fit
    eta_t = np.mean(wt * resid) / wt.mean()
    eta_c = np.mean(wc * resid) / wc.mean()
    inf_t = (wt * resid - wt * eta_t - lin_or @ np.mean(wt[:, None] * covariates, axis=0)) / wt.mean()
    m2 = np.mean((wc * (resid - eta_c))[:, None] * covariates, axis=0)
    m3 = np.mean(wc[:, None] * covariates, axis=0)
    inf_c = (wc * resid - wc * eta_c + lin_ps @ m2 - lin_or @ m3) / wc.mean()
    return CellEstimate(eta_t - eta_c, inf_t - inf_c)


# -- repeated cross-sections ------------------------------------------------------------
def _hajek(wgt: np.ndarray, v: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted mean of ``v`` with weights ``wgt`` and its influence function."""
    mean = np.mean(wgt * v) / wgt.mean()
    return mean, wgt * (v - mean) / wgt.mean()


def reg_rcs(y: np.ndarray, post: np.ndarray, treated: np.ndarray, covariates: np.ndarray, weights: np.ndarray) -> CellEstimate:
    """Outcome-regression DiD for repeated cross-sections (Sant'Anna & Zhao 2020, eq. 2.3)."""
    d, w = _check(treated, weights)
    p = post.astype(float)
    fit0, lin0 = _wols(covariates, y, w, (d == 0) & (p == 0))
    fit1, lin1 = _wols(covariates, y, w, (d == 0) & (p == 1))
    a_post, inf_post = _hajek(w * d * p, y)
    a_pre, inf_pre = _hajek(w * d * (1 - p), y)
    wd = w * d
    eta_c, inf_c1 = _hajek(wd, fit1 - fit0)
    m1 = np.mean(wd[:, None] * covariates, axis=0) / wd.mean()
    inf_c = inf_c1 + (lin1 - lin0) @ m1
    return CellEstimate(a_post - a_pre - eta_c, inf_post - inf_pre - inf_c)


def ipw_rcs(y: np.ndarray, post: np.ndarray, treated: np.ndarray, covariates: np.ndarray, weights: np.ndarray) -> CellEstimate:
    """Normalized (Hajek) IPW DiD for repeated cross-sections (Sant'Anna & Zhao 2020, eq. 2.5)."""
    d, w = _check(treated, weights)
    p = post.astype(float)
    ps, lin_ps = _logit(covariates, d, w)
    keep = np.where(d == 1, True, ps < PSCORE_TRIM)
    odds = keep * w * ps * (1 - d) / (1 - ps)
    t1, i_t1 = _hajek(keep * w * d * p, y)
    t0, i_t0 = _hajek(keep * w * d * (1 - p), y)
    c1, i_c1 = _hajek(odds * p, y)
    c0, i_c0 = _hajek(odds * (1 - p), y)
    m_post = np.mean((odds * p * (y - c1))[:, None] * covariates, axis=0) / np.mean(odds * p)
    m_pre = np.mean((odds * (1 - p) * (y - c0))[:, None] * covariates, axis=0) / np.mean(odds * (1 - p))
    inf_c = i_c1 - i_c0 + lin_ps @ (m_post - m_pre)
    return CellEstimate((t1 - t0) - (c1 - c0), (i_t1 - i_t0) - inf_c)


def dr_rcs(y: np.ndarray, post: np.ndarray, treated: np.ndarray, covariates: np.ndarray, weights: np.ndarray) -> CellEstimate:
    """Locally efficient doubly robust DiD for repeated cross-sections (Sant'Anna & Zhao
    2020, eq. 3.4; R DRDID's ``drdid_rc``, the default of R did for ``panel = FALSE``)."""
    d, w = _check(treated, weights)
    p = post.astype(float)
    x = covariates
    ps, lin_ps = _logit(x, d, w)
    keep = np.where(d == 1, True, ps < PSCORE_TRIM)
    fc0, lc0 = _wols(x, y, w, (d == 0) & (p == 0))
    fc1, lc1 = _wols(x, y, w, (d == 0) & (p == 1))
    ft0, lt0 = _wols(x, y, w, (d == 1) & (p == 0))
    ft1, lt1 = _wols(x, y, w, (d == 1) & (p == 1))
    fc = p * fc1 + (1 - p) * fc0
    odds = keep * w * ps * (1 - d) / (1 - ps)
    wt1, wt0 = keep * w * d * p, keep * w * d * (1 - p)
    wc1, wc0 = odds * p, odds * (1 - p)
    wd = keep * w * d
    r = y - fc
    t1, i_t1 = _hajek(wt1, r)
    t0, i_t0 = _hajek(wt0, r)
    c1, i_c1 = _hajek(wc1, r)
    c0, i_c0 = _hajek(wc0, r)
    d1, i_d1 = _hajek(wd, ft1 - fc1)
    dt1, i_dt1 = _hajek(wt1, ft1 - fc1)
    d0, i_d0 = _hajek(wd, ft0 - fc0)
    dt0, i_dt0 = _hajek(wt0, ft0 - fc0)
    att = (t1 - t0) - (c1 - c0) + (d1 - dt1) - (d0 - dt0)

    def colmean(v: np.ndarray) -> np.ndarray:
        return np.mean(v[:, None] * x, axis=0)

    # As R DRDID::drdid_rc (and so R did), the estimation effect of the pre-period control
    # regression enters the treated and comparison parts with the sign of the post-period
    # one.  These terms cancel asymptotically when the propensity score balances the
    # covariates, so the standard error is valid either way; keeping R's form makes the
    # numbers identical to R did.
    inf_treat = i_t1 - i_t0 - lc1 @ (colmean(wt1) / wt1.mean()) - lc0 @ (colmean(wt0) / wt0.mean())
    m_ps = colmean(wc1 * (r - c1)) / wc1.mean() - colmean(wc0 * (r - c0)) / wc0.mean()
    inf_cont = i_c1 - i_c0 + lin_ps @ m_ps - lc1 @ (colmean(wc1) / wc1.mean()) - lc0 @ (colmean(wc0) / wc0.mean())
    inf_eff = (i_d1 - i_dt1) - (i_d0 - i_dt0)
    mom1 = colmean(wd / wd.mean() - wt1 / wt1.mean())
    mom0 = colmean(wd / wd.mean() - wt0 / wt0.mean())
    inf_or = (lt1 - lc1) @ mom1 - (lt0 - lc0) @ mom0
    return CellEstimate(att, inf_treat - inf_cont + inf_eff + inf_or)


PANEL_ESTIMATORS: dict[str, PanelCellEstimator] = {"reg": reg_panel, "ipw": ipw_panel, "dr": dr_panel}
RCS_ESTIMATORS: dict[str, RCSCellEstimator] = {"reg": reg_rcs, "ipw": ipw_rcs, "dr": dr_rcs}
