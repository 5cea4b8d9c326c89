"""The note's logit models of long-term NEET (statsmodels ``Logit`` and ``get_margeff``).

Model 1 (table 2): ``long_term_neet ~ dropout + tidlarb + allhelse + sosbakgr + grunnbelop
+ innvandrerb`` on the persons aged 15-29 of the four areas who live with a parent (the
household income is defined only for them).  The note gives models 2-4 only in its text:
models 1-2 include ``allhelse``, models 3-4 leave out the receivers of health benefits.
Our reading: model 2 adds ``barnevern`` (the one further variable the note defines),
model 3 is model 1 and model 4 is model 2, each without ``allhelse`` on the persons
without health benefits.

Coefficients, standard errors (inverse observed information), z, p and Wald intervals
come from statsmodels' ``Logit`` (McFadden's pseudo R-squared against the closed-form
null log-likelihood); average marginal effects from ``get_margeff(at="overall",
dummy=True)`` (the average discrete change of each 0/1 regressor, the usual choice for
dummies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.replications.neet.published import TERMS
from evalkit.results import EstimationResult, Summary
from evalkit.results.base import _Copied
from evalkit.results.display import NotebookDisplay, short_repr

#: Terms of each model.
MODEL_TERMS: dict[str, tuple[str, ...]] = {
    "model_1": TERMS,
    "model_2": (*TERMS, "barnevern_1"),
    "model_3": tuple(t for t in TERMS if t != "allhelse_1"),
    "model_4": (*(t for t in TERMS if t != "allhelse_1"), "barnevern_1"),
}
#: Models fitted on the persons without health benefits.
WITHOUT_HEALTH_BENEFITS = ("model_3", "model_4")


def design(frame: pd.DataFrame, terms: tuple[str, ...]) -> pd.DataFrame:
    """Dummy columns ``<variable>_<level>`` of ``terms`` and ``const``."""
    cols = {"const": np.ones(len(frame))}
    for term in terms:
        variable, level = term.rsplit("_", 1)
        cols[term] = (frame[variable].astype("Int64") == int(level)).to_numpy(dtype=float)
    return pd.DataFrame(cols, index=frame.index)


@dataclass(frozen=True)
class LogitResult(NotebookDisplay):
    """A fitted logit: estimates, odds ratios and average marginal effects.

    Attributes
    ----------
    estimates
        :class:`~evalkit.results.EstimationResult` of the coefficients (normal reference,
        ``cov_type="nonrobust"``, covariance from statsmodels).
    margins
        Average marginal effects by term: ``ame``, ``std_error``, ``statistic``,
        ``p_value``, ``conf_low``, ``conf_high`` (delta method, statsmodels).
    name
        Model name (``model_1`` ...).
    n_events
        Number of long-term NEET in the sample.
    """

    estimates: EstimationResult
    margins: pd.DataFrame = _Copied()  # type: ignore[assignment]
    name: str = ""
    n_events: int = 0

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per term: broom's columns, ``odds_ratio`` with its interval, the AME."""
        out = self.estimates.tidy(alpha)
        out.insert(0, "model", self.name)
        out["odds_ratio"] = np.exp(out["estimate"])
        out["odds_ratio_low"] = np.exp(out["conf_low"])
        out["odds_ratio_high"] = np.exp(out["conf_high"])
        ame = self.margins.reindex(out["term"])
        out["ame"] = ame["ame"].to_numpy()
        out["ame_std_error"] = ame["std_error"].to_numpy()
        return out

    def summary(self, alpha: float = 0.05) -> Summary:
        base = self.estimates.summary(alpha)
        table = base.table.assign(odds_ratio=np.exp(self.estimates.params), ame=self.margins["ame"])
        facts = {**base.facts, "Long-term NEET": self.n_events}
        return Summary(title=base.title, facts=facts, table=table, notes=base.notes)

    def __repr__(self) -> str:
        return short_repr("LogitResult", {"model": self.name, "nobs": self.estimates.nobs, "long_term_neet": self.n_events,
                                          "terms": len(self.estimates.params)})


def _null_loglike(y: np.ndarray) -> float:
    """Log-likelihood of the constant-only logit, ``n (m log m + (1 - m) log(1 - m))``.

    In closed form (statsmodels' ``llnull`` refits the null model numerically, which costs
    more than the model itself on a large sample).
    """
    m = float(np.mean(y))
    return len(y) * (m * np.log(m) + (1 - m) * np.log(1 - m))


def fit_logit(frame: pd.DataFrame, name: str, *, alpha: float = 0.05) -> LogitResult:
    """Fit one of :data:`MODEL_TERMS` on ``frame`` (the logit sample, see :func:`logit_sample`)."""
    import statsmodels.api as sm

    if name not in MODEL_TERMS:
        raise EvalkitError(f"unknown model {name!r}; the models are {list(MODEL_TERMS)}")
    rows = frame if name not in WITHOUT_HEALTH_BENEFITS else frame[frame["allhelse"] == 0]
    X = design(rows, MODEL_TERMS[name])
    y = rows["long_term_neet"].astype(float).to_numpy()
    empty = [t for t in MODEL_TERMS[name] if X[t].nunique() < 2]
    if empty:
        raise EvalkitError(f"{name}: terms {empty} do not vary in the {len(rows)} persons of the sample")
    if y.min() == y.max():
        raise EvalkitError(f"{name}: long_term_neet is {int(y[0])} for all {len(rows)} persons of the sample")
    fit = sm.Logit(y, X).fit(disp=0, method="newton", maxiter=100)
    if not fit.mle_retvals.get("converged", False):
        raise EvalkitError(f"{name}: the logit did not converge (separation in the sample?)")
    marg = fit.get_margeff(at="overall", method="dydx", dummy=True)
    ci = marg.conf_int(alpha)
    terms = list(X.columns[1:])
    margins = pd.DataFrame(
        {
            "ame": marg.margeff, "std_error": marg.margeff_se, "statistic": marg.tvalues,
            "p_value": marg.pvalues, "conf_low": ci[:, 0], "conf_high": ci[:, 1],
        },
        index=pd.Index(terms, name="term"),
    )
    params = pd.Series(fit.params, index=X.columns)
    se = pd.Series(fit.bse, index=X.columns)
    cov = pd.DataFrame(fit.cov_params(), index=X.columns, columns=X.columns)
    estimates = EstimationResult(
        params=params, std_errors=se, cov=cov, nobs=int(fit.nobs), cov_type="nonrobust",
        model_name=f"Logit of long-term NEET, {name.replace('_', ' ')}",
        extra={"log_likelihood": float(fit.llf), "pseudo_r2": 1.0 - float(fit.llf) / _null_loglike(y)},
    )
    return LogitResult(estimates=estimates, margins=margins, name=name, n_events=int(y.sum()))


def logit_sample(variables: pd.DataFrame, areas: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Persons of ``areas`` who live with a parent and whose long-term status is known.

    Returns the sample and the counts of the persons left out, by reason.
    """
    in_area = variables["area"].isin(areas).to_numpy()
    if not in_area.any():
        present = sorted(variables["area"].unique())[:10]
        raise EvalkitError(f"no person lives in the areas {list(areas)}; the data's areas are {present}")
    no_parent = in_area & variables["grunnbelop"].isna().to_numpy()
    unknown = in_area & ~no_parent & variables["long_term_neet"].isna().to_numpy()
    keep = in_area & ~no_parent & ~unknown
    counts = {
        "outside_areas": int((~in_area).sum()),
        "not_living_with_a_parent": int(no_parent.sum()),
        "long_term_status_missing": int(unknown.sum()),
    }
    sample = variables.loc[keep].copy()
    sample["long_term_neet"] = sample["long_term_neet"].astype(bool)
    return sample, counts
