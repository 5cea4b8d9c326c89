"""Tables 8.2 and 8.3: one linear probability model per outcome and horizon.

``y = a + b1*t2 + b2*south_west + b3*(t2 x south_west) + need category + female + age group
+ education + county unemployment (percent) + entry-month dummies``; ``b3`` is the FUI
effect (Angrist & Pischke 2009, ch. 5).  Those are the published covariates; a study
chooses others and fixed effects (``FuiSpec.covariates``, ``FuiSpec.fixed_effects``):
numeric columns enter linearly, others as dummies (``<column>_<level>``, the first level
the reference), and fixed effects are absorbed (a main effect constant within them, such
as ``south_west`` within counties, is then left out).  The categorical controls follow the design
(:class:`~evalkit.replications.fui.sample.FuiSpec`): one dummy per need category of the
target group, age group under the age limit and calendar month the windows cover, each
but the first level (the reference: standard category, under 20, below upper secondary
and the pre window's first month, March, in the published design).  Entrants with a missing covariate (education is missing for
some) are excluded listwise, as in the published analysis, and counted by reason: for
every model ``entrants = used + censored + no row + missing covariate``, where an entrant
missing one covariate is counted under that column and one missing several under
``excluded_missing_several_covariates``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DesignError
from evalkit.estimators.did2x2 import DiD2x2Result, did2x2_formula, treatment_cells
from evalkit.regression import fit_ols
from evalkit.regression.feols import result_from_fit
from evalkit.replications.fui.published import TERMS
from evalkit.replications.fui.sample import FuiSample, FuiSpec
from evalkit.results import Summary
from evalkit.results.display import NotebookDisplay, short_repr
from evalkit.rows import drop_missing

#: Education dummies (the reference is below upper secondary): published term -> (column, level).
EDUCATION_DUMMIES: dict[str, tuple[str, object]] = {
    "education_upper_secondary": ("education_level", "upper_secondary"),
    "education_higher": ("education_level", "higher"),
}


def dummy_terms(spec: FuiSpec) -> dict[str, tuple[str, object]]:
    """Dummy regressors of the design: term -> (column of the sample, level).

    ``category_<level>`` for the target group's need categories but the first,
    ``age_<group>`` for the spec's age bands but the first, the education
    dummies, and ``entry_month_<m>`` for the calendar months of the windows but the pre
    window's first (when ``spec.entry_month_dummies``).  For the published design these
    are the terms of tables 8.2-8.3 and ``entry_month_4`` .. ``entry_month_6``.
    """
    terms: dict[str, tuple[str, object]] = {}
    terms.update({f"category_{c}": ("nav_category", c) for c in spec.category_levels()[1:]})
    terms.update({f"age_{a}": ("age_group", a) for a in spec.age_levels()[1:]})
    terms.update(EDUCATION_DUMMIES)
    terms.update({f"entry_month_{m}": ("entry_calendar_month", m) for m in spec.entry_month_levels()[1:]})
    return terms


def model_terms(spec: FuiSpec) -> tuple[str, ...]:
    """The terms of the tables in the published row order, with the spec's age bands.

    :data:`~evalkit.replications.fui.published.TERMS` with the published age dummies
    (``age_20_24``, ``age_25_29``) replaced by those of the spec's bands but the first
    (``age_22_25``, ``age_26_29`` for bands 18-21, 22-25, 26-29).
    """
    ages = tuple(f"age_{a}" for a in spec.age_levels()[1:])
    first = next(i for i, t in enumerate(TERMS) if t.startswith("age_"))
    rest = tuple(t for t in TERMS if not t.startswith("age_"))
    return rest[:first] + ages + rest[first:]


#: did2x2's term names -> published term names.
PUBLISHED_NAMES = {
    "Intercept": "constant",
    "t2": "period_change",
    "south_west": "region_difference",
    "south_west:t2": "fui_effect",
}
#: Covariates entered through the named dummies of :func:`dummy_terms` (-> their terms' prefix).
NAMED_DUMMIES = {"nav_category": "category_", "age_group": "age_", "education_level": "education_"}


def required_columns(spec: FuiSpec) -> tuple[str, ...]:
    """Columns that must be known for an entrant to enter the regressions: the model's columns."""
    return (*spec.covariates, *spec.fixed_effects)


#: Reasons an entrant is left out of a model, in the order of :func:`exclusions`'s columns.
OUTCOME_REASONS = ("excluded_outcome_censored", "excluded_outcome_no_row", "excluded_outcome_not_recorded")


def exclusions(sample: FuiSample, outcome: str, horizon: int) -> dict[str, int]:
    """Entrants used by one model and, by reason, those left out (the counts add up).

    ``entrants``, ``used``, ``excluded_outcome_censored`` (the outcome month lies past the
    panel's end), ``excluded_outcome_no_row`` (no row for the person in the outcome
    month), ``excluded_outcome_not_recorded`` (a row whose status is missing, e.g. an
    ``employed`` the user declared missing), ``excluded_missing_<column>`` for each column of
    :func:`required_columns` (the only
    covariate missing) and ``excluded_missing_several_covariates``.  An entrant without
    the outcome is counted under the outcome reason whatever its covariates.
    """
    return _exclusions(sample, outcome, horizon, _lacking(sample))


def _lacking(sample: FuiSample) -> np.ndarray:
    """Per entrant (row) and column of :func:`required_columns`: whether the value is missing."""
    return sample.frame[list(required_columns(sample.spec))].isna().to_numpy()


def _exclusions(sample: FuiSample, outcome: str, horizon: int, lacking: np.ndarray) -> dict[str, int]:
    """:func:`exclusions` with the missing covariates (:func:`_lacking`) found once for every model."""
    frame = sample.frame
    y = frame[f"{outcome}_{horizon}"]
    censored = (frame["entry_month"] + horizon > sample.entries.last_month).to_numpy()
    has_row = sample.outcomes.has_row[horizon].to_numpy()
    missing = y.isna().to_numpy()
    no_row = ~censored & ~has_row & missing
    not_recorded = has_row & missing
    required = required_columns(sample.spec)
    n_lacking = lacking.sum(axis=1)
    has_outcome = y.notna().to_numpy()
    counts = {
        "entrants": len(frame),
        "used": int((has_outcome & (n_lacking == 0)).sum()),
        "excluded_outcome_censored": int(censored.sum()),
        "excluded_outcome_no_row": int(no_row.sum()),
        "excluded_outcome_not_recorded": int(not_recorded.sum()),
    }
    for j, column in enumerate(required):
        counts[f"excluded_missing_{column}"] = int((has_outcome & (n_lacking == 1) & lacking[:, j]).sum())
    counts["excluded_missing_several_covariates"] = int((has_outcome & (n_lacking > 1)).sum())
    return counts


@dataclass(frozen=True)
class FuiRegressions(NotebookDisplay):
    """Fitted models ``(outcome, horizon) -> result`` and how many entrants each used.

    ``sample_sizes`` has one row per model: ``outcome``, ``horizon`` and the counts of
    :func:`exclusions` (entrants = used + every ``excluded_*`` column).  ``terms`` are the
    rows of the tables (:func:`model_terms`).
    """

    models: dict[tuple[str, int], DiD2x2Result]
    sample_sizes: pd.DataFrame
    cov_type: str
    covariates: tuple[str, ...]
    fixed_effects: tuple[str, ...] = ()
    terms: tuple[str, ...] = TERMS

    def summary(self) -> Summary:
        """The FUI effect of every model (:meth:`effects`); it does not print by itself."""
        facts = {"models": len(self.models), "covariance": self.cov_type, "covariates": len(self.covariates)}
        return Summary(title="FUI 2x2 regressions", facts=facts, table=self.effects().set_index(["outcome", "horizon"]))

    def __repr__(self) -> str:
        return short_repr("FuiRegressions", {"models": len(self.models), "cov_type": self.cov_type})

    def table(self, outcome: str) -> dict[str, dict[str, dict[str, float]]]:
        """``term -> horizon -> {coef, se, p}`` in the published JSON layout."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        horizons = sorted(h for o, h in self.models if o == outcome)
        records = {h: self._records(outcome, h) for h in horizons}
        for term in self.terms:
            row = {
                str(h): {"coef": float(r[term]["estimate"]), "se": float(r[term]["std_error"]),
                         "p": float(r[term]["p_value"])}
                for h, r in records.items()
                if term in r
            }
            if row:
                out[term] = row
        return out

    def _tidy_frame(self, outcome: str, horizon: int) -> pd.DataFrame:
        """The cached frame of :meth:`tidy` (not to be modified)."""
        cache = self.__dict__.setdefault("_tidy_cache", {})
        if (outcome, horizon) not in cache:
            frame = self.models[(outcome, horizon)].tidy()
            frame["term"] = pd.array([PUBLISHED_NAMES.get(t, t) for t in frame["term"]], dtype=frame["term"].dtype)
            cache[(outcome, horizon)] = frame.set_index("term")
        return cache[(outcome, horizon)]

    def _records(self, outcome: str, horizon: int) -> dict[str, dict[str, float]]:
        """``term -> column -> value`` of :meth:`tidy` (made once per model, from the model's tidy columns)."""
        cache = self.__dict__.setdefault("_records_cache", {})
        if (outcome, horizon) not in cache:
            frame = self.models[(outcome, horizon)].tidy()
            columns = [c for c in frame.columns if c != "term"]
            rows = zip(*(frame[c].tolist() for c in columns))
            cache[(outcome, horizon)] = {
                PUBLISHED_NAMES.get(t, t): dict(zip(columns, row)) for t, row in zip(frame["term"].tolist(), rows)
            }
        return cache[(outcome, horizon)]

    def tidy(self, outcome: str, horizon: int) -> pd.DataFrame:
        """One model's tidy frame indexed by the published term names (made once per model; a copy)."""
        return self._tidy_frame(outcome, horizon).copy()

    def effects(self) -> pd.DataFrame:
        """The FUI effect of every model: outcome, horizon, estimate, SE, p, CI, n."""
        columns = ("estimate", "std_error", "p_value", "conf_low", "conf_high")
        rows = []
        for (outcome, h), res in self.models.items():
            effect = self._records(outcome, h)["fui_effect"]
            rows.append({"outcome": outcome, "horizon": h, **{c: effect[c] for c in columns}, "nobs": res.nobs})
        return pd.DataFrame(rows)


def design_frame(sample: FuiSample, *, control_for_category: bool = True) -> pd.DataFrame:
    """Numeric regressors: ``t2``, ``south_west`` and the covariates of the spec.

    The dummy covariates come first (in the spec's order; the need category, age group
    and education with the published term names of :func:`dummy_terms`, any other text or
    categorical column as ``<column>_<level>``), then the numeric ones, then the
    entry-month dummies: for the published model the order of tables 8.2-8.3.
    """
    frame = sample.frame
    design = {"t2": frame["t2"].astype(float), "south_west": frame["south_west"].astype(float)}
    terms = dummy_terms(sample.spec)
    covariates = [c for c in sample.spec.covariates if control_for_category or c != "nav_category"]
    numeric = [c for c in covariates if c not in NAMED_DUMMIES and _is_numeric(frame[c])]
    for column in (c for c in covariates if c not in numeric):
        if column in NAMED_DUMMIES:
            named = {t: lv for t, lv in terms.items() if lv[0] == column and t.startswith(NAMED_DUMMIES[column])}
        else:
            named = {f"{column}_{level}": (column, level) for level in _levels(frame[column])[1:]}
        for term, (col, level) in named.items():
            design[term] = (frame[col] == level).astype(float).where(frame[col].notna())
    for column in numeric:
        design[column] = frame[column].astype(float)
    for term, (column, level) in terms.items():
        if term.startswith("entry_month_"):
            design[term] = (frame[column] == level).astype(float)
    return pd.DataFrame(design, index=frame.index)


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(values) or (
        pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype)
    )


def _levels(values: pd.Series) -> list:
    """The levels of a categorical covariate present in the sample: category order, else sorted."""
    present = values.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [c for c in values.cat.categories if (present == c).any()]
    return sorted(present.unique().tolist(), key=str)


def fit_fui_regressions(
    sample: FuiSample,
    *,
    vcov: Literal["iid", "HC1", "HC3", "CR1"] = "iid",
    cluster: str | None = None,
    control_for_category: bool = True,
) -> FuiRegressions:
    """Fit the model of the sample's spec (the published one by default) for every outcome and horizon.

    Each model equals :func:`~evalkit.estimators.did2x2` of its rows with the design's
    covariates and fixed effects (``y ~ t2 + south_west + south_west:t2 + covariates |
    fixed effects``), at the cost of the least squares alone: the regressors are built
    once per sample (:func:`design_frame`), since only the outcome and the rows with it
    change between outcomes and horizons, and each model is solved by
    :func:`~evalkit.regression.fit_ols` on its rows, without a formula.

    Parameters
    ----------
    sample
        The analysis sample (:func:`~evalkit.replications.fui.sample.prepare_sample`).
    vcov
        Covariance: ``"iid"`` (the published, conventional SEs), ``"HC1"``, ``"HC3"`` or
        ``"CR1"`` with ``cluster`` (e.g. ``"county"``).
    control_for_category
        Include the need category at entry.  The category is assigned after entry under
        the new regime and can itself be moved by the reform (a "bad control"); set False
        for the estimate without it.
    """
    design = design_frame(sample, control_for_category=control_for_category)
    covariates = [c for c in design.columns if c not in ("t2", "south_west")]
    fixed_effects = sample.spec.fixed_effects
    lacking = _lacking(sample)
    known = pd.Series(~lacking.any(axis=1), index=sample.frame.index)
    base = design.assign(county=sample.frame["county"].astype(str))
    for column in (*fixed_effects, *([cluster] if cluster else [])):
        if column != "county":
            base[column] = sample.frame[column].astype(str)
    base = base.assign(t2=base["t2"].astype(int), south_west=base["south_west"].astype(int))
    used = list(dict.fromkeys(["t2", "south_west", *covariates, *fixed_effects, *([cluster] if cluster else [])]))
    complete = base[used].notna().all(axis=1).to_numpy()
    t2, south_west = base["t2"].to_numpy(), base["south_west"].to_numpy()
    # every regressor a model can have, one row each (_did2x2_rows picks the model's)
    regressors = np.vstack([np.ones(len(base)), t2, south_west, base[covariates].to_numpy(dtype=float).T,
                            t2 * south_west], dtype=float)
    models = {}
    sizes = []
    # the rows of a model and their regressors, by the rows: models of one horizon, and
    # usually of all, use the same entrants (bytes of the mask -> frame, regressors)
    selected: dict[bytes, tuple[pd.DataFrame, np.ndarray]] = {}
    for outcome in sample.spec.outcomes:
        for h in sample.spec.horizons:
            y = sample.frame[f"{outcome}_{h}"]
            use = known & y.notna()
            if y[use].nunique() < 2:
                raise DesignError(
                    f"outcome {outcome!r} at horizon {h} has no variation among the {int(use.sum())} "
                    f"entrants with known outcome and covariates (all {y[use].unique().tolist()}); "
                    "a linear probability model cannot be fitted"
                )
            rows = use.to_numpy()
            if (rows & ~complete).any():  # a model column missing beyond the required ones: counted, then dropped
                drop_missing(base[rows].assign(y=y[rows]), ["y", *used], stacklevel=2)
                rows = rows & complete
            key = rows.tobytes()
            if key not in selected:
                selected[key] = base[rows], np.compress(rows, regressors, axis=1)
            data, values = selected[key]
            res = _did2x2_rows(data.assign(y=y[rows]), values, covariates, fixed_effects)
            models[(outcome, h)] = res if vcov == "iid" and cluster is None else res.vcov(vcov, cluster=cluster)
            sizes.append({"outcome": outcome, "horizon": h, **_exclusions(sample, outcome, h, lacking)})
    return FuiRegressions(
        models=models, sample_sizes=pd.DataFrame(sizes), cov_type=vcov, covariates=tuple(covariates),
        fixed_effects=tuple(fixed_effects), terms=model_terms(sample.spec),
    )


def _did2x2_rows(
    data: pd.DataFrame, regressors: np.ndarray, covariates: list[str], fixed_effects: tuple[str, ...]
) -> DiD2x2Result:
    """:func:`~evalkit.estimators.did2x2` of ``y`` on ``data`` (iid), from its regressor values.

    ``data`` holds ``y``, the 0/1 ``t2`` and ``south_west``, the covariates and the
    fixed-effect columns, without missing values.  ``regressors`` has one row per regressor
    a model can have and one column per row of ``data``: the intercept, ``t2``,
    ``south_west``, the covariates, then the interaction.  The model's regressors are
    those of the formula of :func:`~evalkit.estimators.did2x2.did2x2_formula` in
    formulaic's order: the intercept (without fixed effects), the main effects the fixed
    effects do not absorb, the covariates, then the interaction.
    """
    treated, post = data["south_west"].to_numpy(), data["t2"].to_numpy()
    y = data["y"].to_numpy(dtype=float)
    cells = treatment_cells(treated, post, y, None, treated="south_west", post="t2")

    def absorbed(col: str) -> bool:
        return any(data.groupby(fe, sort=False)[col].nunique().max() == 1 for fe in fixed_effects)

    main = [c for c in ("t2", "south_west") if not absorbed(c)]
    names = [*main, *covariates, "south_west:t2"]
    picked = [1 + ("t2", "south_west").index(c) for c in main] + list(range(3, len(regressors)))
    if not fixed_effects:
        names.insert(0, "Intercept")
        picked.insert(0, 0)
    # column-major, as formulaic's frame gives it: the same sums in the same order as did2x2's fit
    X = (regressors if len(picked) == len(regressors) else regressors[picked]).T
    fe = None
    if fixed_effects:
        fe = np.column_stack([pd.factorize(data[c])[0] for c in fixed_effects])
    fit = fit_ols(y, X, fe=fe, cov_type="iid", names=names)
    extra: dict = {"outcome": "y"}
    if fixed_effects:
        extra["fixed_effects"] = " + ".join(fixed_effects)
    formula = did2x2_formula("y", treated="south_west", post="t2", main=main, covariates=covariates,
                             absorb=fixed_effects)
    fitted = result_from_fit(fit, data if fit.sample.all() else data.loc[fit.sample], formula=formula, extra=extra)
    return DiD2x2Result(
        **{f: getattr(fitted, f) for f in ("params", "std_errors", "nobs", "cov_type", "cov", "df_resid", "n_clusters", "fit", "data")},
        model_name="2x2 DiD: y",
        formula=formula,
        extra={**fitted.extra, "effect": "south_west:t2"},
        effect_term="south_west:t2",
        treated="south_west",
        post="t2",
        cells=cells,
    )


def with_covariance(
    regressions: FuiRegressions, vcov: Literal["iid", "HC1", "HC3", "CR1"], *, cluster: str | None = None
) -> FuiRegressions:
    """The same fitted models with another covariance estimator, without refitting.

    Equals :func:`fit_fui_regressions` of the same sample with ``vcov`` and ``cluster``
    (the coefficients, design and rows do not depend on the covariance), at the cost of
    the covariance alone (:meth:`~evalkit.regression.RegressionResult.vcov`).  ``cluster``
    must be a column the models were fitted with: ``county`` always is.

    Raises
    ------
    DesignError
        When ``cluster`` is not among the models' columns.
    """
    for res in regressions.models.values():
        if cluster is not None and cluster not in res.data:
            raise DesignError(
                f"cannot cluster the fitted FUI models by {cluster!r}: their data have {list(res.data.columns)}; "
                f"fit them with fit_fui_regressions(sample, vcov={vcov!r}, cluster={cluster!r})"
            )
        break
    models = {key: res.vcov(vcov, cluster=cluster) for key, res in regressions.models.items()}
    return replace(regressions, models=models, cov_type=vcov)
