"""Reference numbers for evalkit's extended TWFE (``evalkit.estimators.etwfe``) on mpdta.

Two independent sources, frozen into ``tests/reference/etwfe.json``:

1. **R etwfe 0.6.2** (fixest, marginaleffects): the known outputs its own test suite checks,
   copied from ``inst/tinytest/test_etwfe.R`` (``fixest::coeftable`` of ``m1``: ``lemp ~ 0``,
   not-yet-treated; ``m3p``: Poisson ``emp ~ lpop``) and ``inst/tinytest/test_emfx.R``
   (``emfx`` of ``m3``: ``lemp ~ lpop`` simple / calendar / group / event; ``m3n``: never
   treated, ``window = c(2, 3)``; ``m3p``: Poisson event on the response and the link scale)
   of github.com/grantmcdermott/etwfe at commit 2b47cfd (CRAN 0.6.2).  The numbers are
   printed with 15 significant digits.  emfx computes the delta method with numerical
   derivatives (marginaleffects), so its SEs carry ~1e-7 relative error; fixest's Poisson
   fit stops at its IRLS tolerance, so its Poisson SEs differ ~1e-5 from the converged MLE.
2. **pyfixest** (version recorded in the JSON): the saturated regressions built here from
   the data with pandas (cells ``D_gt``, covariates demeaned within cohort and interacted)
   and fitted by ``pf.feols`` (cohort + year effects absorbed), ``pf.fepois`` and
   ``pf.feglm(family="logit")`` (cohort and year dummies), CR1 by county; average partial
   effects and their delta-method SEs with a central-difference Jacobian of the average
   effect in the coefficients (step 1e-6), independent of evalkit's analytic Jacobian.

Run: ``python tests/reference/make_etwfe.py`` (needs pyfixest; not a test dependency of
the numbers, only of this script).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

HERE = Path(__file__).parent
DATA = HERE.parent / "data" / "mpdta.csv"

# --- 1. R etwfe 0.6.2 (inst/tinytest/test_emfx.R, test_etwfe.R at 2b47cfd) -------------------
R_ETWFE = {
    "source": "R etwfe 0.6.2 (github.com/grantmcdermott/etwfe@2b47cfd inst/tinytest/test_etwfe.R, test_emfx.R)",
    "m1_coeftable": {  # lemp ~ 0, not yet treated: cells 2004:2004..2007, 2006:2006, 2006:2007, 2007:2007
        "estimate": [-0.0193723636759116, -0.0783190990620529, -0.136078114440309, -0.104707471576594,
                     0.00251386194191313, -0.0391927355917248, -0.0431060328087001],
        "std_error": [0.0223952764912568, 0.030506236091693, 0.0354768817979489, 0.0338947465597152,
                      0.0199448451562706, 0.0240232361043774, 0.0184422693090335],
    },
    "m3_simple": {"estimate": [-0.0506270331228907], "std_error": [0.0124972546529842]},
    "m3_calendar": {  # years 2004..2007
        "estimate": [-0.0212480022225509, -0.0818499992698648, -0.0442655912990223, -0.0524323095862384],
        "std_error": [0.0217240109737018, 0.0273693827216135, 0.0173733625406716, 0.015015825012757],
    },
    "m3_group": {  # cohorts 2004, 2006, 2007
        "estimate": [-0.0876269608795944, -0.0212783329358987, -0.0459545277368072],
        "std_error": [0.0230474099815232, 0.0185912208081438, 0.0179714452432232],
    },
    "m3_event": {  # event times 0..3
        "estimate": [-0.0332122037837542, -0.0573456479257483, -0.137870386660852, -0.10953945536511],
        "std_error": [0.0133659635774059, 0.0171496442892364, 0.0307883597041053, 0.0323152785480507],
    },
    "m3n_event_window": {  # never treated, window c(2, 3): event times -2, 0, 1, 2, 3 (-1 is the reference)
        "estimate": [0.0234649547538384, -0.0211467366918433, -0.0533558653415615, -0.141080104628566,
                     -0.107544274673025],
        "std_error": [0.0145314904277398, 0.0113935648352396, 0.0157744281621729, 0.0322891808795742,
                      0.0329231688783015],
    },
    "m3p_event": {  # Poisson emp ~ lpop, response scale, event times 0..3
        "estimate": [-25.3497484355494, 1.09175116997388, -75.1246321552693, -101.823979344829],
        "std_error": [15.8862762958862, 40.2952222352926, 23.1541376499351, 27.0877431076141],
    },
    "m3p_event_link": {
        "estimate": [-0.0325653634930092, -0.0675071046997911, -0.132971344933511, -0.117022779216096],
        "std_error": [0.0128503810792558, 0.0183966910997271, 0.0237253182969748, 0.0225005664705109],
    },
}


# --- 2. pyfixest ------------------------------------------------------------------------------
def design(df: pd.DataFrame, never: bool, controls: list[str]) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The saturated columns: cells, cells x demeaned controls, controls x cohort / year."""
    out = df.copy()
    g, t = out["first.treat"], out["year"]
    cells = []
    for gg in sorted(g[g > 0].unique()):
        for tt in sorted(t.unique()):
            on = (tt != gg - 1) if never else (tt >= gg)
            if on:
                name = f"c{gg}_{tt}"
                out[name] = ((g == gg) & (t == tt)).astype(float)
                cells.append(name)
    inter = []
    for x in controls:
        out[f"{x}_dm"] = out[x] - out.groupby("first.treat")[x].transform("mean")
        for c in cells:
            out[f"{c}_{x}"] = out[c] * out[f"{x}_dm"]
            inter.append(f"{c}_{x}")
    rest = []
    for x in controls:
        rest.append(x)
        for gg in sorted(g[g > 0].unique()):
            out[f"g{gg}_{x}"] = out[x] * (g == gg)
            rest.append(f"g{gg}_{x}")
        for tt in sorted(t.unique())[1:]:
            out[f"t{tt}_{x}"] = out[x] * (t == tt)
            rest.append(f"t{tt}_{x}")
    return out, cells + inter, rest


def dummies(out: pd.DataFrame) -> list[str]:
    names = []
    for col, prefix in (("first.treat", "G"), ("year", "T")):
        for v in sorted(out[col].unique())[1:]:
            out[f"{prefix}{v}"] = (out[col] == v).astype(float)
            names.append(f"{prefix}{v}")
    return names


def rows_of(out: pd.DataFrame, kind: str, never: bool, window: tuple[int, int] | None) -> dict[str, np.ndarray]:
    g, t = out["first.treat"].to_numpy(), out["year"].to_numpy()
    e = t - g
    treated = g > 0
    base = treated & ((t != g - 1) if never else (t >= g))
    if window is not None:
        base &= (e >= -window[0]) & (e <= window[1])
    post = base & (t >= g)
    if kind == "simple":
        return {"ATT": post}
    if kind == "event":
        rows = base if never else post
        return {int(v): rows & (e == v) for v in np.unique(e[rows])}
    key = g if kind == "group" else t
    return {int(v): post & (key == v) for v in np.unique(key[post])}


def ape(beta: np.ndarray, Z: np.ndarray, cellmask: np.ndarray, rows: np.ndarray, family: str, link: bool,
        w: np.ndarray) -> float:
    """Weighted average of F(z b) - F(z0 b) over rows, z0 = z with the cell columns zeroed."""
    Z1 = Z[rows]
    Z0 = Z1.copy()
    Z0[:, cellmask] = 0.0
    eta1, eta0 = Z1 @ beta, Z0 @ beta
    if family == "gaussian" or link:
        return float(np.average(eta1 - eta0, weights=w[rows]))
    F = np.exp if family == "poisson" else (lambda v: 1 / (1 + np.exp(-v)))
    return float(np.average(F(eta1) - F(eta0), weights=w[rows]))


def delta(beta, V, Z, cellmask, rows, family, link, w) -> tuple[float, float]:
    est = ape(beta, Z, cellmask, rows, family, link, w)
    J = np.zeros(len(beta))
    for j in range(len(beta)):
        h = 1e-6 * max(1.0, abs(beta[j]))
        up, dn = beta.copy(), beta.copy()
        up[j] += h
        dn[j] -= h
        J[j] = (ape(up, Z, cellmask, rows, family, link, w) - ape(dn, Z, cellmask, rows, family, link, w)) / (2 * h)
    return est, float(np.sqrt(J @ V @ J))


def pyfixest_case(df: pd.DataFrame, y: str, family: str, never: bool, controls: list[str],
                  kinds: list[str], window: tuple[int, int] | None = None, link: bool = False,
                  weights: str | None = None) -> dict:
    out, cellcols, rest = design(df, never, controls)
    w = np.ones(len(out)) if weights is None else out[weights].to_numpy(dtype=float)
    if family == "gaussian":
        fit = pf.feols(f"{y} ~ {' + '.join(cellcols + rest)} | cohort + year", data=out,
                       vcov={"CRV1": "countyreal"}, fixef_tol=1e-12, weights=weights)
        names = cellcols + rest
    else:
        fe = dummies(out)
        names = cellcols + rest + fe
        rhs = " + ".join(names)
        if family == "poisson":
            fit = pf.fepois(f"{y} ~ {rhs}", data=out, vcov={"CRV1": "countyreal"}, iwls_tol=1e-12, weights=weights)
        else:
            fit = pf.feglm(f"{y} ~ {rhs}", data=out, family="logit", vcov={"CRV1": "countyreal"}, iwls_tol=1e-12,
                           iwls_maxiter=100)
        names = ["Intercept"] + names
        out["Intercept"] = 1.0
    coef = fit.coef()
    beta = coef.loc[names].to_numpy()
    V = pd.DataFrame(fit._vcov, index=coef.index, columns=coef.index).loc[names, names].to_numpy()
    Z = out[names].to_numpy(dtype=float)
    cellmask = np.isin(names, cellcols)
    res: dict = {"cells": {"estimate": coef.loc[cellcols].tolist(), "std_error": fit.se().loc[cellcols].tolist()}}
    for kind in kinds:
        keys, est, se = [], [], []
        for key, rows in rows_of(out, kind, never, window).items():
            a, s = delta(beta, V, Z, cellmask, rows, family, link, w)
            keys.append(key)
            est.append(a)
            se.append(s)
        res[kind] = {"keys": keys, "estimate": est, "std_error": se}
    return res


def main() -> None:
    df = pd.read_csv(DATA)
    df["cohort"] = df["first.treat"]
    df["w"] = 1.0 + (df["countyreal"] % 7) / 3.0  # a weight per county (1 .. 3)
    df["emp"] = np.exp(df["lemp"])
    # a 0/1 outcome for the logit: employment above the county's own 2003-2007 mean
    df["high"] = (df["lemp"] > df.groupby("countyreal")["lemp"].transform("mean")).astype(float)
    all_kinds = ["simple", "group", "calendar", "event"]
    out = {
        "r_etwfe": R_ETWFE,
        "pyfixest_version": pf.__version__,
        "pyfixest": {
            "linear_notyet_lpop": pyfixest_case(df, "lemp", "gaussian", False, ["lpop"], all_kinds),
            "linear_never_lpop": pyfixest_case(df, "lemp", "gaussian", True, ["lpop"], all_kinds),
            "poisson_notyet_lpop": pyfixest_case(df, "emp", "poisson", False, ["lpop"], all_kinds),
            "poisson_never_lpop_window": pyfixest_case(df, "emp", "poisson", True, ["lpop"], ["simple", "event"],
                                                       window=(2, 3)),
            "poisson_notyet_lpop_link": pyfixest_case(df, "emp", "poisson", False, ["lpop"], ["event"], link=True),
            "logit_notyet_lpop": pyfixest_case(df, "high", "logit", False, ["lpop"], all_kinds),
            "logit_never": pyfixest_case(df, "high", "logit", True, [], ["simple", "event"]),
            # analytic (prior) weights: the regression and the averages over rows are weighted
            "linear_notyet_lpop_weighted": pyfixest_case(df, "lemp", "gaussian", False, ["lpop"], all_kinds,
                                                         weights="w"),
            "poisson_never_weighted": pyfixest_case(df, "emp", "poisson", True, [], ["simple", "event"],
                                                    weights="w"),
        },
    }
    (HERE / "etwfe.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
