"""``feols``: linear regression from a fixest-style formula and a data frame.

Thin layer over :func:`evalkit.regression.fit_ols`: it selects the rows, builds the model
matrix with formulaic, absorbs the fixed effects after ``|`` and labels the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.inference.covariance import COVARIANCE_ESTIMATORS, CovType
from evalkit.inference.cr2 import CR2Df, htz_test
from evalkit.inference.few_clusters import count_clusters, warn_few_clusters
from evalkit.regression.formula import parse_formula, readable_term, set_reference_levels
from evalkit.regression.ols import OLSFit, cr2_absorbed, fit_ols
from evalkit.results import WaldTest
from evalkit.results.base import EstimationResult
from evalkit.rows import drop_missing, numeric_column, positive_weights

__all__ = ["RegressionResult", "check_vcov", "feols", "result_from_fit", "warn_if_few_clusters"]

#: pyfixest's / fixest's covariance names and evalkit's spelling of each.
_PYFIXEST_VCOV = {"CRV1": "CR1", "hetero": "HC1", "HC1": "HC1", "HC2": None, "HC3": "HC3", "CRV3": "CR3", "iid": "iid"}


@dataclass(frozen=True, kw_only=True, repr=False)
class RegressionResult(EstimationResult):
    """Result of :func:`feols`: labelled estimates plus the fit, for new inference.

    Besides everything :class:`~evalkit.results.EstimationResult` offers, ``fit`` holds the
    arrays (:class:`~evalkit.regression.OLSFit`) and ``data`` the rows used, so that
    :meth:`vcov` can compute another covariance without refitting.  ``treated`` is the
    0/1 column the few-clusters check counts treated clusters in (``None``: not known).
    """

    fit: OLSFit
    data: pd.DataFrame = field(compare=False)
    formula: str = ""
    treated: str | None = None

    @property
    def _df(self) -> Any:
        """Per-term Satterthwaite df under CR2; otherwise ``df_resid``."""
        return self.df_resid if self.fit.df_terms is None else self.fit.df_terms

    @property
    def df_terms(self) -> pd.Series:
        """Degrees of freedom of each term's t-test: Satterthwaite under CR2, else ``df_resid``."""
        names = list(self.fit.names)
        if self.fit.df_terms is None:
            return pd.Series(float(self.fit.df_resid), index=names, name="df")
        return pd.Series(np.asarray(self.fit.df_terms, dtype=float), index=names, name="df")

    @property
    def resid(self) -> pd.Series:
        """Residuals of the rows used, indexed like the data."""
        return pd.Series(self.fit.resid, index=self.data.index, name="resid")

    def wald_test(self, terms: Sequence[str], *, null: Sequence[float] | None = None) -> WaldTest:
        """Joint test of ``terms = null`` (default 0) with this result's covariance.

        Under CR2 it is the approximate Hotelling T^2 test (HTZ) of Pustejovsky & Tipton
        (2018), :func:`evalkit.inference.cr2.htz_test` (R clubSandwich's ``Wald_test(...,
        test = "HTZ")``); otherwise ``W / q`` on ``F(q, df_resid)`` (``G - 1`` when clustered).

        Raises
        ------
        EvalkitError
            A term that is not in the result, or a ``null`` of another length.
        """
        from scipy import stats  # scipy.stats loads only when a p-value is drawn

        names = list(self.fit.names)
        missing = [t for t in terms if t not in names]
        if missing or not terms:
            raise EvalkitError(f"wald_test needs terms of the result; {missing or 'none'} given, terms are {names}")
        q = len(terms)
        r = np.zeros(q) if null is None else np.asarray(null, dtype=float).ravel()
        if r.size != q:
            raise EvalkitError(f"null has {r.size} values for {q} terms {list(terms)}")
        C = np.zeros((q, len(names)))
        C[np.arange(q), [names.index(t) for t in terms]] = 1.0
        label = ", ".join(f"{t} = {v:g}" for t, v in zip(terms, r))
        fit = self.fit
        if fit.cov_type == "CR2" and fit.cluster is not None:
            h = htz_test(fit.X, fit.resid, fit.bread, fit.cluster, fit.beta, C, null=r, weights=fit.weights,
                         absorbed=cr2_absorbed(fit))
            return WaldTest(statistic=h.statistic, df_num=q, p_value=h.p_value, null=f"{label} (CR2, HTZ)",
                            df_denom=h.df_denom)
        d = C @ fit.beta - r
        stat = float(d @ np.linalg.solve(C @ fit.cov @ C.T, d)) / q
        return WaldTest(statistic=stat, df_num=q, p_value=float(stats.f.sf(stat, q, fit.df_resid)),
                        null=f"{label} ({fit.cov_type})", df_denom=float(fit.df_resid))

    def vcov(
        self,
        cov_type: CovType,
        *,
        cluster: str | Sequence[str] | None = None,
        cr2_df: CR2Df = "bell-mccaffrey",
    ) -> "RegressionResult":
        """A NEW result with another covariance estimator (this one is unchanged).

        Parameters
        ----------
        cov_type
            ``"iid"``, ``"HC0"``, ``"HC1"``, ``"HC3"``, ``"CR1"``, ``"CR2"`` or ``"CR3"``.
        cluster
            One or two column names of the data to cluster on (two: ``"CR1"`` only); warns
            on few clusters as :func:`feols` does.
        cr2_df
            Degrees of freedom of CR2 t-tests: ``"bell-mccaffrey"`` or ``"imbens-kolesar"``.
        """
        cov_type = check_vcov(cov_type, cluster)
        labels = None
        if cluster is not None:
            labels = _cluster_labels(self.data, cluster)
            warn_if_few_clusters(self.data, cluster, labels, self.treated, stacklevel=2)
        return result_from_fit(
            self.fit.vcov(cov_type, labels, cr2_df=cr2_df),
            self.data,
            template=self,
        )


def _cluster_columns(cluster: str | Sequence[str]) -> list[str]:
    cols = [cluster] if isinstance(cluster, str) else list(cluster)
    if not 1 <= len(cols) <= 2:
        raise EvalkitError(f"cluster takes one or two columns, got {cols}")
    return cols


def check_vcov(vcov: object, cluster: str | Sequence[str] | None) -> CovType:
    """The covariance name, validated; pyfixest's spellings get a message with evalkit's.

    ``vcov=None`` means ``"CR1"`` with ``cluster``, else ``"iid"``.

    Raises
    ------
    EvalkitError
        For a dict such as ``{"CRV1": "sid"}`` or a pyfixest name such as ``"hetero"``
        (the message gives evalkit's spelling), or any other unknown name.
    """
    if vcov is None:
        return "CR1" if cluster is not None else "iid"
    if isinstance(vcov, Mapping):
        items = list(vcov.items())
        if len(items) == 1 and items[0][0] in ("CRV1", "CR1", "CRV3", "CR3"):
            name, col = items[0]
            raise EvalkitError(
                f"vcov={dict(vcov)!r} is pyfixest's spelling; evalkit's is vcov='CR{name[-1]}', cluster={col!r}"
            )
        raise EvalkitError(
            f"vcov must be one of {sorted(COVARIANCE_ESTIMATORS)} and clusters are given by cluster=, "
            f"got vcov={vcov!r}"
        )
    if vcov in COVARIANCE_ESTIMATORS:
        return vcov  # type: ignore[return-value]
    if isinstance(vcov, str) and vcov in _PYFIXEST_VCOV:
        ours = _PYFIXEST_VCOV[vcov]
        hint = (
            f"evalkit's spelling is vcov={ours!r}" + (", cluster=<column>" if ours in ("CR1", "CR3") else "")
            if ours
            else "evalkit does not compute it"
        )
        raise EvalkitError(f"vcov={vcov!r} is pyfixest's name; {hint} (valid: {sorted(COVARIANCE_ESTIMATORS)})")
    raise EvalkitError(f"unknown vcov {vcov!r}; valid ones are {sorted(COVARIANCE_ESTIMATORS)}")


def warn_if_few_clusters(
    data: pd.DataFrame,
    cluster: str | Sequence[str],
    labels: np.ndarray,
    treated: str | None,
    *,
    stacklevel: int = 2,
) -> None:
    """Run :func:`~evalkit.inference.warn_few_clusters` on each clustering column of ``data``.

    ``labels`` are the integer codes from the clustering columns (one column each);
    ``treated`` a 0/1 column whose treated and untreated clusters are counted too.
    """
    mask = None if treated is None else data[treated].to_numpy() == 1
    for j, col in enumerate(_cluster_columns(cluster)):
        G, g1, g0 = count_clusters(labels[:, j], mask)
        warn_few_clusters(G, n_treated=g1, n_control=g0, column=col, stacklevel=stacklevel + 1)


def _cluster_labels(data: pd.DataFrame, cluster: str | Sequence[str]) -> np.ndarray:
    cols = _cluster_columns(cluster)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise EvalkitError(f"cluster columns {missing} are not in the data")
    return np.column_stack([pd.factorize(data[c])[0] for c in cols])


def result_from_fit(
    fit: OLSFit,
    data: pd.DataFrame,
    *,
    template: RegressionResult | None = None,
    model_name: str = "OLS",
    formula: str = "",
    extra: Mapping[str, Any] | None = None,
) -> RegressionResult:
    """Label an :class:`OLSFit`; with ``template``, a copy of it with the new fit's inference.

    The facts in ``extra`` (r2, adjusted r2, within r2, residual df, fixed effects) are
    recomputed from ``fit``; a template's other facts are kept.
    """
    names = pd.Index(fit.names)  # one index for every labelled array (made from strings, it is not cheap)
    params = pd.Series(fit.beta, index=names, name="estimate")
    facts: dict[str, Any] = dict(template.extra if template is not None else (extra or {}))
    facts.update(
        {
            "r2": fit.r2,
            "adj_r2": 1 - (1 - fit.r2) * (fit.nobs - 1) / (fit.nobs - fit.df_k),
            "df_model": fit.df_k,
            "df_resid": fit.df_resid,
        }
    )
    if fit.fe is not None:
        facts["r2_within"] = fit.r2_within
    if fit.df_terms is not None:
        facts["df_method"] = f"Satterthwaite ({fit.cr2_df})"
    else:
        facts.pop("df_method", None)
    n_clusters = fit.n_clusters
    inference = {
        "params": params,
        "std_errors": pd.Series(fit.std_errors, index=names, name="std_error"),
        "cov": pd.DataFrame(fit.cov, index=names, columns=names),
        "nobs": fit.nobs,
        "cov_type": fit.cov_type,
        "df_resid": fit.df_resid,
        "n_clusters": None if n_clusters is None else (n_clusters[0] if len(n_clusters) == 1 else n_clusters),
        "extra": facts,
        "fit": fit,
    }
    if template is not None:
        return replace(template, **inference)
    return RegressionResult(model_name=model_name, data=data, formula=formula, **inference)


def feols(
    formula: str,
    data: pd.DataFrame,
    *,
    vcov: CovType | None = None,
    cluster: str | Sequence[str] | None = None,
    weights: str | None = None,
    reference: Mapping[str, object] | None = None,
    drop_singletons: bool = True,
    treated: str | None = None,
    cr2_df: CR2Df = "bell-mccaffrey",
) -> RegressionResult:
    """OLS/WLS with absorbed fixed effects from a fixest-style formula.

    Parameters
    ----------
    formula
        ``"y ~ x1 + C(group) | fe1 + fe2"``; the part after ``|`` is absorbed
        (see :mod:`evalkit.regression.formula`).  With fixed effects there is no intercept.
    data
        One row per observation.  It is not modified.
    vcov
        Covariance estimator: ``"iid"``, ``"HC0"``, ``"HC1"``, ``"HC3"``, ``"CR1"``,
        ``"CR2"`` (Bell-McCaffrey, :mod:`evalkit.inference.cr2`) or ``"CR3"``.  Default: ``"CR1"`` when ``cluster`` is given, otherwise ``"iid"``.  pyfixest's
        spellings (``{"CRV1": "county"}``, ``"hetero"``) raise an error giving evalkit's.
    cluster
        One or two columns to cluster on (two: Cameron-Gelbach-Miller two-way clustering).
        One cluster is an error; few clusters give a
        :class:`~evalkit.errors.FewClustersWarning` (:mod:`evalkit.inference.few_clusters`).
    weights
        Column of positive analytic weights (weighted least squares).
    reference
        Reference levels of categorical columns, e.g. ``{"age_group": "under 20"}``;
        alternatively write ``C(age_group, levels=["under 20", ...])`` in the formula (the
        first level is the reference).  By default the first level in sort order (or of a
        pandas categorical) is the reference.
    drop_singletons
        Drop fixed-effect singletons with a warning (fixest's default); see :func:`fit_ols`.
    treated
        A 0/1 column marking treated rows: the few-clusters check then also counts the
        clusters with treated and with untreated rows (MacKinnon & Webb 2017).
    cr2_df
        Degrees of freedom of ``vcov="CR2"`` t-tests and intervals, per coefficient:
        ``"bell-mccaffrey"`` (Satterthwaite under working independence, default) or
        ``"imbens-kolesar"`` (under a random cluster effect).

    Returns
    -------
    RegressionResult
        Terms named readably (``age_group: 20-24``); ``glance()`` gives r2, adjusted r2,
        within r2 (with fixed effects) and degrees of freedom.

    Notes
    -----
    Rows with a missing value in any used column (formula, fixed effects, weights, cluster)
    are excluded with an :class:`~evalkit.errors.ExcludedRowsWarning` that counts them per
    column.  p-values use ``t(n - df_k)`` for iid/HC, ``t(G - 1)`` for CR1/CR3 and a
    ``t`` with Satterthwaite degrees of freedom per term for CR2 (``result.df_terms``).
    """
    from formulaic import model_matrix  # formulaic loads only when a formula is fitted

    parsed = parse_formula(formula)
    cov_type = check_vcov(vcov, cluster)
    cluster_cols = [] if cluster is None else _cluster_columns(cluster)
    used = list(dict.fromkeys([*parsed.columns, *cluster_cols, *([weights] if weights else []), *([treated] if treated else [])]))
    sample = drop_missing(data, used)
    if parsed.outcome in sample.columns:
        numeric_column(sample, parsed.outcome, "outcome")
    w = None if weights is None else positive_weights(sample, weights)
    if reference:
        sample = set_reference_levels(sample, reference)
    for col in parsed.columns:
        if isinstance(sample[col].dtype, pd.CategoricalDtype):
            sample = sample.assign(**{col: sample[col].cat.remove_unused_categories()})
    try:
        mm = model_matrix(parsed.formula, sample, na_action="ignore")
    except Exception as exc:  # formulaic raises many types; report them as bad input
        raise EvalkitError(f"cannot build the model matrix of {parsed.formula!r}: {exc}") from exc
    rhs = mm.rhs
    if parsed.fixed_effects and "Intercept" in rhs.columns:
        rhs = rhs.drop(columns="Intercept")
    names = [readable_term(c) for c in rhs.columns]
    if len(set(names)) < len(names):
        names = list(rhs.columns)
    fe = None
    if parsed.fixed_effects:
        fe = np.column_stack(
            [pd.MultiIndex.from_frame(sample[list(cols)].astype(str)).factorize()[0] for cols in parsed.fixed_effects]
        )
    labels = None
    if cluster is not None:
        labels = _cluster_labels(sample, cluster)
        warn_if_few_clusters(sample, cluster, labels, treated, stacklevel=2)
    fit = fit_ols(
        mm.lhs.to_numpy(dtype=float).ravel(),
        rhs.to_numpy(dtype=float),
        weights=w,
        fe=fe,
        cluster=labels,
        cov_type=cov_type,
        names=names,
        drop_singletons=drop_singletons,
        cr2_df=cr2_df,
    )
    fes = " + ".join("^".join(cols) for cols in parsed.fixed_effects)
    extra = {"outcome": parsed.outcome}
    if fes:
        extra["fixed_effects"] = fes
    result = result_from_fit(
        fit, sample.loc[fit.sample], model_name=f"OLS: {parsed.outcome}", formula=formula, extra=extra
    )
    return replace(result, treated=treated) if treated is not None else result
