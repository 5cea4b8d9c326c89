"""The logit that generates long-term NEET, calibrated to the note on the simulated sample.

For a person with risk factors ``x`` (the terms of table 2), the probability of long-term
NEET is ``expit(eta)`` with

    eta = shift[area, gender, immigrant] + theta'x + omega immigrant*(grunnbelop = 0)
          + theta_ad allhelse*dropout + theta_at allhelse*tidlarb
          + AGE_UNDER_18 young + BARNEVERN barnevern + NOT_WITH_PARENTS (grunnbelop = 0),

with ``x`` the table 2 terms other than ``innvandrerb`` (which the shifts carry).
The interactions with ``allhelse`` let the model without health-benefit receivers (the
note's models 3-4) have other dropout and work-experience coefficients (1.34 and -1.22)
than model 1 (1.20 and -1.03).  Calibration runs on the cells of identical regressors of
the drawn sample (so a fit on the sample reproduces it at any scale):

- the 20 ``shift`` values make each area x gender x immigrant group's expected share of
  long-term NEET equal its target (:func:`group_targets`), by moving each shift by the
  gap between the target's and the current share's log-odds until it vanishes;
- ``theta``, ``omega`` (and the two interactions) solve ``b(theta) = published`` where ``b`` is the
  population logit projection of model 1 on the four areas' persons living with a
  parent (and of model 3 on those among them without health benefits), by Newton steps
  with a finite-difference Jacobian.

The projection is the maximum-likelihood logit of the expected outcome (statsmodels GLM,
binomial, with cell counts as frequency weights).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from evalkit.errors import EvalkitError
from evalkit.replications.neet.published import AREAS, NORWAY, TERMS, table_2, table_3, table_4
from evalkit.replications.neet.synthetic.population import ALL_AREAS, REST, Persons

#: Effect on eta of being under 18 (a two-year NEET spell is rare that young).
AGE_UNDER_18 = -1.5
#: Effect of a child-welfare measure (enters model 2, not model 1).
BARNEVERN = 0.5
#: Effect of not living with a parent (those persons are outside the logit sample).
NOT_WITH_PARENTS = -0.3

#: Model 3 (no health-benefit receivers) targets from the note's text.
SUBSAMPLE_TARGETS: dict[str, float] = {"dropout_1": 1.34, "tidlarb_1": -1.22}

_KEYS = ("area", "female", "immigrant", "young", "sosbakgr", "barnevern", "grunnbelop", "dropout", "tidlarb", "allhelse")


@dataclass(frozen=True)
class Cells:
    """Unique risk-factor profiles of the sample, their counts and each person's cell."""

    keys: pd.DataFrame
    count: np.ndarray
    of_person: np.ndarray


def cells_of(persons: Persons) -> Cells:
    """Group the persons into cells of identical regressors."""
    stacked = np.column_stack(
        [getattr(persons, k) if k != "young" else (persons.age < 18) for k in _KEYS]
    ).astype(np.int64)
    unique, inverse, count = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return Cells(keys=pd.DataFrame(unique, columns=list(_KEYS)), count=count, of_person=inverse.reshape(-1))


def model_1_design(keys: pd.DataFrame, *, with_allhelse: bool = True) -> np.ndarray:
    """Columns ``const`` and the table 2 terms (``allhelse_1`` optional)."""
    cols = [
        np.ones(len(keys)),
        keys["dropout"], keys["tidlarb"], keys["allhelse"],
        keys["sosbakgr"] == 2, keys["sosbakgr"] == 3,
        keys["grunnbelop"] == 2, keys["grunnbelop"] == 3,
        keys["immigrant"],
    ]
    if not with_allhelse:
        del cols[3]
    return np.column_stack(cols).astype(float)


def group_targets(keys: pd.DataFrame, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group code of each cell (area x gender x immigrant) and each group's target share.

    Within an area, ``target = LTN(immigrant status) * LTN(gender) / LTN(area)`` (tables 3
    and 4, independence of gender and immigrant status); the rest of Norway gets what the
    Norway row leaves after the four areas, with the sample's group sizes.
    """
    t3, t4 = table_3(), table_4()
    group = (keys["area"] * 4 + keys["female"] * 2 + keys["immigrant"]).to_numpy()
    sizes = np.bincount(group, weights=count, minlength=4 * len(ALL_AREAS))

    def share(area: str, female: int, immigrant: int) -> float:
        by_imm = t4.loc[area, "long_term_neet_immigrants" if immigrant else "long_term_neet_rest_of_population"]
        by_gender = t3.loc[area, "long_term_neet_women" if female else "long_term_neet_men"]
        return by_imm * by_gender / t3.loc[area, "long_term_neet"] / 100

    target = np.zeros(4 * len(ALL_AREAS))
    rest = ALL_AREAS.index(REST)
    for f in (0, 1):
        for i in (0, 1):
            inside = 0.0
            for a, area in enumerate(AREAS):
                target[a * 4 + f * 2 + i] = share(area, f, i)
                inside += share(area, f, i) * sizes[a * 4 + f * 2 + i]
            country = sizes[f * 2 + i :: 4].sum()
            g = rest * 4 + f * 2 + i
            target[g] = (share(NORWAY, f, i) * country - inside) / sizes[g] if sizes[g] else 0.0
    if np.any((target <= 0) | (target >= 1)):
        raise EvalkitError("the published shares imply an impossible long-term NEET share in a group")
    return group, target


def _fit(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    import statsmodels.api as sm

    return sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-12).params


@dataclass(frozen=True)
class Calibration:
    """The data-generating logit: per-cell probability and its coefficients."""

    p: np.ndarray
    theta: pd.Series
    shift: np.ndarray
    targets: pd.Series


def calibrate(cells: Cells, coefficients: Mapping[str, float] | None = None, *, n_iter: int = 30) -> Calibration:
    """Calibrate the generating logit to the table 2 (or given) coefficients.

    Parameters
    ----------
    cells
        The sample's cells.
    coefficients
        Model 1 coefficients to reproduce (term -> value, the table 2 terms); ``None``
        takes table 2 and also the note's model 3 dropout and work-experience values.
    """
    keys, count = cells.keys, cells.count.astype(float)
    if coefficients is None:
        target1 = table_2()["coef"].astype(float)
        sub = pd.Series(SUBSAMPLE_TARGETS)
    else:
        unknown = sorted(set(coefficients) - set(TERMS))
        if unknown:
            raise EvalkitError(f"coefficients has unknown terms {unknown}; expected some of {list(TERMS)}")
        target1 = table_2()["coef"].astype(float).copy()
        target1.update(pd.Series(dict(coefficients), dtype=float))
        sub = pd.Series(dtype=float)
    X1 = model_1_design(keys)
    X3 = model_1_design(keys, with_allhelse=False)
    in_logit = ((keys["area"] < len(AREAS)) & (keys["grunnbelop"] > 0)).to_numpy()
    sub_rows = in_logit & (keys["allhelse"] == 0).to_numpy()
    group, target_share = group_targets(keys, count)
    fixed = (
        AGE_UNDER_18 * keys["young"] + BARNEVERN * keys["barnevern"] + NOT_WITH_PARENTS * (keys["grunnbelop"] == 0)
    ).to_numpy(float)
    # innvandrerb is constant within the groups, so the shifts carry its effect; the pooled
    # model-1 coefficient is then set by the immigrant effect outside the logit sample
    # (persons not living with a parent), which takes its place among the unknowns.
    D = X1[:, 1:].copy()
    D[:, TERMS.index("innvandrerb_1")] *= (keys["grunnbelop"] == 0).to_numpy()
    inter = np.column_stack([keys["allhelse"] * keys["dropout"], keys["allhelse"] * keys["tidlarb"]]).astype(float)
    n_free = len(TERMS) + (2 if len(sub) else 0)
    logit_target = np.log(target_share / (1 - target_share))
    shift = logit_target.copy()
    group_n = np.bincount(group, weights=count)

    def probabilities(phi: np.ndarray) -> np.ndarray:
        nonlocal shift
        eta0 = D @ phi[: len(TERMS)] + fixed
        if len(sub):
            eta0 = eta0 + inter @ phi[len(TERMS) :]
        for _ in range(500):
            p = expit(shift[group] + eta0)
            mean = np.bincount(group, weights=count * p) / group_n
            step = logit_target - np.log(mean / (1 - mean))
            shift = shift + step
            if np.max(np.abs(step)) < 1e-12:
                break
        return expit(shift[group] + eta0)

    def residual(phi: np.ndarray) -> np.ndarray:
        p = probabilities(phi)
        b1 = _fit(X1[in_logit], p[in_logit], count[in_logit])[1:]
        out = [b1 - target1.to_numpy()]
        if len(sub):
            b3 = _fit(X3[sub_rows], p[sub_rows], count[sub_rows])
            out.append(b3[1:3] - sub.to_numpy())
        return np.concatenate(out)

    phi = np.concatenate([target1.to_numpy(), np.zeros(n_free - len(TERMS))])
    phi[TERMS.index("innvandrerb_1")] = 0.0
    r = residual(phi)
    jac = np.empty((n_free, n_free))
    for k in range(n_free):
        step = np.zeros(n_free)
        step[k] = 1e-4
        jac[:, k] = (residual(phi + step) - r) / 1e-4
    for _ in range(n_iter):
        if np.max(np.abs(r)) < 1e-9:
            break
        phi = phi - np.linalg.solve(jac, r)
        r = residual(phi)
    if np.max(np.abs(r)) > 1e-6:
        raise EvalkitError(
            f"the long-term NEET logit could not be calibrated (largest gap {np.max(np.abs(r)):.2g}); "
            "the coefficients may be too extreme for the simulated population"
        )
    names = [t if t != "innvandrerb_1" else "innvandrerb_1_not_with_parents" for t in TERMS]
    names += ["allhelse_x_dropout", "allhelse_x_tidlarb"] if len(sub) else []
    targets = pd.concat([target1, sub.rename(lambda t: f"model_3:{t}")])
    return Calibration(p=probabilities(phi), theta=pd.Series(phi, index=names), shift=shift.copy(), targets=targets)
