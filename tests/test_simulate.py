"""Tests of evalkit.simulate: the synthetic FUI register panel and its calibration.

The analysis population and regressions are rebuilt here with pandas and statsmodels from
the panel alone, following the pipeline contract (entries after a 12-month washout, windows
March-June 2016/2017, outcomes k months after entry, OLS of tables 8.2/8.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from evalkit.errors import EvalkitError
from evalkit.replications.fui.synthetic import FuiEffects, read_unemployment, simulate_fui_panel, write_panel
from evalkit.simulate.rounding import stratified_ones
from evalkit.replications.fui.published import GROUPS
from evalkit.replications.fui.synthetic.published import HORIZONS, published_coefficients, table_8_1

TARGET = ("standard", "situational", "specially_adapted")
OUTCOMES = {"employment": "employed", "education": "in_education"}
REFERENCE_TERMS = [
    "constant",
    "period_change",
    "region_difference",
    "fui_effect",
    "category_situational",
    "category_specially_adapted",
    "female",
    "age_20_24",
    "age_25_29",
    "education_upper_secondary",
    "education_higher",
    "county_unemployment_pct",
]


def _month_number(s: pd.Series) -> pd.Series:
    return (s.dt.year - 2016) * 12 + s.dt.month - 1


def analysis_entrants(
    panel: pd.DataFrame, schedule: pd.DataFrame, unemployment: pd.DataFrame
) -> pd.DataFrame:
    """New users under 30 in target categories entering March-June 2016/2017, with outcomes."""
    month = _month_number(panel["month"])
    pid = panel["person_id"]
    previous_nav = month.where(panel["nav_category"].notna()).groupby(pid).shift(1)
    previous_nav = (
        previous_nav.groupby(pid).ffill().fillna(_month_number(panel["last_nav_month_before"]))
    )
    is_entry = panel["nav_category"].isin(TARGET) & ~(previous_nav >= month - 12)
    e = panel.loc[is_entry].copy()
    e["age"] = e["month"].dt.year - e["birth_year"]
    in_window = (
        e["month"].dt.month.between(3, 6) & e["month"].dt.year.isin([2016, 2017]) & (e["age"] < 30)
    )
    e = e.loc[in_window]
    e["t2"] = (e["month"].dt.year == 2017).astype(int)
    e["south_west"] = (
        e["county"].map(schedule.set_index("county")["region"]) == "south_west"
    ).astype(int)
    e["group"] = np.where(e["south_west"] == 1, "south_west_", "rest_") + np.where(
        e["t2"] == 1, "t2", "t1"
    )
    e["age_group"] = pd.cut(
        e["age"], [-1, 19, 24, 29], labels=["under_20", "20_24", "25_29"]
    ).astype(str)
    e = e.merge(unemployment, on=["county", "month"], how="left", validate="many_to_one")
    states = panel.set_index(["person_id", "month"])[list(OUTCOMES.values())]
    for k in HORIZONS:
        at = pd.MultiIndex.from_arrays([e["person_id"], e["month"] + pd.DateOffset(months=k)])
        found = states.reindex(at)
        for column in OUTCOMES.values():
            e[f"{column}_{k}"] = found[column].to_numpy()
    return e


def fit_table(e: pd.DataFrame, outcome: str, horizon: int):
    """OLS of one cell of tables 8.2/8.3 (education missing: excluded listwise)."""
    d = e.dropna(subset=["education_level", f"{OUTCOMES[outcome]}_{horizon}"])
    X = pd.DataFrame(
        {
            "constant": 1.0,
            "period_change": d["t2"],
            "region_difference": d["south_west"],
            "fui_effect": d["t2"] * d["south_west"],
            "category_situational": d["nav_category"].eq("situational"),
            "category_specially_adapted": d["nav_category"].eq("specially_adapted"),
            "female": d["female"],
            "age_20_24": d["age_group"].eq("20_24"),
            "age_25_29": d["age_group"].eq("25_29"),
            "education_upper_secondary": d["education_level"].eq("upper_secondary"),
            "education_higher": d["education_level"].eq("higher"),
            "county_unemployment_pct": d["unemployment_pct"],
            **{f"entry_month_{m}": d["month"].dt.month.eq(m) for m in (4, 5, 6)},
        }
    ).astype(float)
    return sm.OLS(d[f"{OUTCOMES[outcome]}_{horizon}"].astype(float), X).fit()


@pytest.fixture(scope="module")
def national():
    return simulate_fui_panel()


@pytest.fixture(scope="module")
def national_entrants(national):
    return analysis_entrants(national.panel, national.schedule, national.unemployment)


@pytest.fixture(scope="module")
def small():
    return simulate_fui_panel(scale=0.03, seed=11)


# -- schema -------------------------------------------------------------------------------
def test_deterministic_by_seed(small):
    again = simulate_fui_panel(scale=0.03, seed=11)
    pd.testing.assert_frame_equal(small.panel, again.panel)
    other = simulate_fui_panel(scale=0.03, seed=12)
    assert not other.panel["employed"].equals(small.panel["employed"])


def test_schema_and_dtypes(small):
    p = small.panel
    assert list(p.columns) == [
        "person_id", "month", "county", "nav_category", "employed", "in_education",
        "female", "birth_year", "education_level", "last_nav_month_before",
    ]
    assert p.dtypes[["person_id", "employed", "in_education", "female", "birth_year"]].astype(str).tolist() == [
        "int64", "int8", "int8", "int8", "int64",
    ]
    # text is object under pandas 2 and str under pandas 3; datetimes are ns or us
    assert all(pd.api.types.is_string_dtype(p[c]) for c in ("county", "nav_category", "education_level"))
    assert all(pd.api.types.is_datetime64_dtype(p[c]) for c in ("month", "last_nav_month_before"))
    assert set(p["county"]) == set(small.schedule["county"])
    assert set(p["nav_category"].dropna()) == {*TARGET, "permanently_adapted"}
    assert set(p["education_level"].dropna()) == {
        "below_upper_secondary",
        "upper_secondary",
        "higher",
    }
    assert (p["month"].dt.day == 1).all()
    assert p["month"].min() == pd.Timestamp("2016-01-01") and p["month"].max() == pd.Timestamp(
        "2018-12-01"
    )
    assert set(np.unique(p[["employed", "in_education", "female"]])) == {0, 1}


def test_rows_are_consecutive_without_duplicates(small):
    p = small.panel
    assert not p.duplicated(["person_id", "month"]).any()
    step = _month_number(p["month"]).groupby(p["person_id"]).diff().dropna()
    assert (step == 1).all()


@pytest.mark.parametrize(
    "column", ["female", "birth_year", "education_level", "last_nav_month_before"]
)
def test_person_attributes_constant(small, column):
    n_values = small.panel.groupby("person_id")[column].nunique(dropna=False)
    assert (n_values == 1).all()


def test_sizes_at_scale_one(national):
    assert 240_000 <= national.panel["person_id"].nunique() <= 260_000
    assert len(national.panel) > 4_000_000


def test_unemployment_table(national):
    u = national.unemployment
    assert len(u) == 18 * 36 and not u.duplicated(["county", "month"]).any()
    assert u["unemployment_pct"].between(0.5, 8).all()


# -- table 8.1 ----------------------------------------------------------------------------
@pytest.mark.parametrize("group", GROUPS)
def test_table_8_1_size_and_composition(national_entrants, group):
    published = table_8_1()[group]
    g = national_entrants[national_entrants["group"] == group]
    assert abs(len(g) - published["n"]) <= 0.02 * published["n"]
    shares = published["shares"]
    assert g["female"].mean() == pytest.approx(shares["female"][1], abs=0.01)
    for level, share in shares["age_group"].items():
        assert g["age_group"].eq(level).mean() == pytest.approx(share, abs=0.01), level
    for level, share in shares["nav_category"].items():
        assert g["nav_category"].eq(level).mean() == pytest.approx(share, abs=0.01), level
    for level, share in shares["education_level"].items():
        observed = g["education_level"].isna() if level is None else g["education_level"].eq(level)
        assert observed.mean() == pytest.approx(share, abs=0.01), level
    assert g["unemployment_pct"].mean() == pytest.approx(published["unemployment"], abs=0.1)


def test_march_2016_entrants_confirmed_new_by_history(national_entrants):
    march = national_entrants[national_entrants["month"] == pd.Timestamp("2016-03-01")]
    before = march["last_nav_month_before"]
    assert len(march) > 0 and before.notna().any()
    assert (before.isna() | (before <= pd.Timestamp("2015-02-01"))).all()


def test_non_analysis_people_present(national):
    p = national.panel
    first = p.groupby("person_id").first()
    first_nav = p.dropna(subset=["nav_category"]).groupby("person_id")["month"].min()
    history = first["last_nav_month_before"]
    recent = (first_nav.dt.year == 2016) & (
        first_nav - history.reindex(first_nav.index) <= pd.Timedelta(days=366)
    )
    assert (recent & (first_nav > pd.Timestamp("2016-01-01"))).sum() > 1000  # re-entrants
    assert (first_nav == pd.Timestamp("2016-01-01")).sum() > 30_000  # stock
    assert p["nav_category"].eq("permanently_adapted").any()
    assert ((p["month"].dt.year - p["birth_year"]) >= 30).any()
    assert (p.groupby("person_id")["month"].max() < pd.Timestamp("2018-12-01")).sum() > 1000


# -- tables 8.2 / 8.3 ---------------------------------------------------------------------
def _deviations(e: pd.DataFrame, outcome: str, horizon: int) -> pd.Series:
    fit = fit_table(e, outcome, horizon)
    pub = published_coefficients(outcome).xs(horizon, level="horizon").loc[REFERENCE_TERMS]
    return (fit.params[REFERENCE_TERMS] - pub["coef"]) / pub["se"]


@pytest.mark.parametrize("horizon", HORIZONS, ids=lambda h: f"h{h}")
@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_published_coefficients_recovered(national_entrants, outcome, horizon):
    z = _deviations(national_entrants, outcome, horizon)
    assert z.abs().max() < 3, z.round(2).to_dict()
    assert abs(z["fui_effect"]) < 1


def test_published_coefficients_mostly_within_two_se(national_entrants):
    z = pd.concat([_deviations(national_entrants, o, h) for o in OUTCOMES for h in HORIZONS])
    assert (z.abs() < 2).mean() >= 0.95


def test_employment_standard_errors_follow_from_design(national_entrants):
    """Model SEs match the published ones for employment (period_change aside, see docs)."""
    for h in HORIZONS:
        fit = fit_table(national_entrants, "employment", h)
        pub = published_coefficients("employment").xs(h, level="horizon")["se"]
        terms = [t for t in REFERENCE_TERMS if t != "period_change"]
        ratio = fit.bse[terms] / pub[terms]
        assert ratio.between(0.8, 1.25).all(), ratio.round(2).to_dict()


def test_outcomes_persistent(national_entrants):
    e = national_entrants
    assert np.corrcoef(e["employed_3"], e["employed_6"])[0, 1] > 0.3
    assert np.corrcoef(e["in_education_3"], e["in_education_6"])[0, 1] > 0.2


@pytest.mark.parametrize("seed", [1, 2, 3], ids=lambda s: f"seed{s}")
def test_true_effect_recovered_with_bernoulli_noise(seed):
    data = simulate_fui_panel(
        scale=0.1, seed=seed, effects={"education": 0.05, "employment": -0.03}, noise="bernoulli"
    )
    assert data.effects == {
        "employment": dict.fromkeys(HORIZONS, -0.03),
        "education": dict.fromkeys(HORIZONS, 0.05),
    }
    e = analysis_entrants(data.panel, data.schedule, data.unemployment)
    for outcome, truth in (("employment", -0.03), ("education", 0.05)):
        for h in HORIZONS:
            fit = fit_table(e, outcome, h)
            assert abs(fit.params["fui_effect"] - truth) < 3 * fit.bse["fui_effect"], (outcome, h)


def test_late_exposure_reaches_early_entrants_during_follow_up():
    kwargs = {"scale": 0.1, "seed": 5, "effects": {"education": 0.3}}
    late = simulate_fui_panel(late_exposure=True, **kwargs)
    base = simulate_fui_panel(**kwargs)
    rates = []
    for data in (base, late):
        e = analysis_entrants(data.panel, data.schedule, data.unemployment)
        sw_t1 = e[(e["group"] == "south_west_t1") & (e["month"].dt.month >= 4)]
        rates.append((sw_t1["in_education_1"].mean(), sw_t1["in_education_9"].mean()))
    assert rates[1][0] == pytest.approx(rates[0][0], abs=1e-12)  # not yet exposed at 1 month
    assert rates[1][1] - rates[0][1] == pytest.approx(0.3, abs=0.05)


# -- pieces -------------------------------------------------------------------------------
def test_stratified_ones_hit_expected_counts():
    rng = np.random.default_rng(0)
    cell = np.repeat(np.arange(50), 7)
    p = np.repeat(rng.uniform(0, 1, 50), 7)
    u = rng.random(len(p))
    ones = stratified_ones(p, u, [cell], rng)
    assert abs(ones.sum() - p.sum()) < 1
    per_cell = np.bincount(cell, weights=ones)
    assert np.all(np.abs(per_cell - np.bincount(cell, weights=p)) < 1)
    for c in range(50):
        sel = cell == c
        assert np.all(u[sel][ones[sel]].max(initial=-1) < u[sel][~ones[sel]].min(initial=2))


def test_effects_from_mapping_keeps_published_rest():
    effects = FuiEffects.from_value({"education": {3: 0.1}})
    published = FuiEffects.published()
    assert effects.employment == published.employment
    assert effects.education == {**published.education, 3: 0.1}
    with pytest.raises(ValueError, match="unknown outcomes"):
        FuiEffects.from_value({"wages": 0.1})
    with pytest.raises(ValueError, match="horizons"):
        FuiEffects.from_value({"education": {12: 0.1}})


@pytest.mark.parametrize(
    "kwargs",
    [{"scale": 0}, {"scale": -1.0}, {"noise": "gaussian"}],
    ids=["scale-zero", "scale-negative", "noise-unknown"],
)
def test_bad_arguments_rejected(kwargs):
    with pytest.raises(ValueError):
        simulate_fui_panel(**kwargs)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_write_and_read_round_trip(tmp_path, suffix):
    data = simulate_fui_panel(scale=0.02, seed=3)
    panel_path, unemployment_path = write_panel(data, tmp_path / f"fui{suffix}")
    assert unemployment_path.name == f"fui_unemployment{suffix}"
    pd.testing.assert_frame_equal(read_unemployment(panel_path), data.unemployment)
    if suffix == ".parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(panel_path), data.panel)
    else:
        back = pd.read_csv(panel_path)
        assert len(back) == len(data.panel) and list(back.columns) == list(data.panel.columns)
    with pytest.raises(EvalkitError, match="suffix"):
        write_panel(data, tmp_path / "fui.txt")


# -- county shocks --------------------------------------------------------------------------
def test_county_icc_zero_is_the_panel_without_shocks():
    """county_icc=0 draws no shock: the Bernoulli panel is the one of the simulator before the
    shocks existed (fingerprint frozen from that version: rows, ones, and weighted sums)."""
    data = simulate_fui_panel(scale=0.03, seed=11, noise="bernoulli", county_icc=0)
    panel = data.panel
    month = _month_number(panel["month"]) + 1
    fingerprint = (
        len(panel),
        int(panel["employed"].sum()),
        int(panel["in_education"].sum()),
        int((panel["employed"].astype("int64") * panel["person_id"]).sum()),
        int((panel["in_education"].astype("int64") * month).sum()),
    )
    assert fingerprint == (190206, 89604, 26140, 330253408, 515932)
    assert (data.county_shocks["shock"] == 0).all() and data.county_icc == 0.0


def test_county_shocks_table():
    data = simulate_fui_panel(scale=0.02, seed=4, county_icc=0.01)
    shocks = data.county_shocks
    assert list(shocks.columns) == ["outcome", "county", "month", "shock"]
    assert len(shocks) == 2 * 18 * 36 and set(shocks["county"]) == set(data.schedule["county"])
    # persistent within counties, about independent across them
    wide = shocks[shocks["outcome"] == "education"].pivot(index="month", columns="county", values="shock")
    lag1 = np.mean([np.corrcoef(wide[c][1:], wide[c][:-1])[0, 1] for c in wide])
    assert 0.5 < lag1 < 0.95
    assert (shocks["shock"] != 0).all()


def _anova_icc(residual: np.ndarray, cells: np.ndarray) -> float:
    """One-way ANOVA estimator of the intraclass correlation (unbalanced cells)."""
    frame = pd.DataFrame({"r": residual, "c": cells})
    groups = frame.groupby("c")["r"]
    n, k, N = groups.size().to_numpy(), groups.ngroups, len(frame)
    within = ((frame["r"] - groups.transform("mean")) ** 2).sum() / (N - k)
    between = (n * (groups.mean().to_numpy() - frame["r"].mean()) ** 2).sum() / (k - 1)
    n0 = (N - (n**2).sum() / N) / (k - 1)
    return (between - within) / (between + (n0 - 1) * within)


def test_intra_county_correlation_of_a_large_panel_is_near_the_parameter():
    icc = 0.02
    data = simulate_fui_panel(scale=0.5, seed=21, noise="bernoulli", county_icc=icc)
    e = analysis_entrants(data.panel, data.schedule, data.unemployment)
    estimates = []
    for outcome in OUTCOMES:
        for h in HORIZONS:
            fit = fit_table(e, outcome, h)
            used = e.loc[fit.resid.index]
            cells = used["county"].astype(str) + "|" + (_month_number(used["month"]) + h).astype(str)
            estimates.append(_anova_icc(fit.resid.to_numpy(), cells.to_numpy()))
    # the regressors absorb the part of the shocks common to a region and window (a few tenths)
    assert 0.6 * icc < np.mean(estimates) < 1.3 * icc, np.round(estimates, 4)
    no_shocks = simulate_fui_panel(scale=0.5, seed=21, noise="bernoulli", county_icc=0)
    e0 = analysis_entrants(no_shocks.panel, no_shocks.schedule, no_shocks.unemployment)
    fit = fit_table(e0, "education", 3)
    used = e0.loc[fit.resid.index]
    cells = used["county"].astype(str) + "|" + (_month_number(used["month"]) + 3).astype(str)
    assert abs(_anova_icc(fit.resid.to_numpy(), cells.to_numpy())) < 0.005


@pytest.mark.parametrize("value", [-0.1, 0.5, "0.01", True, float("nan")])
def test_bad_county_icc_rejected(value):
    with pytest.raises(EvalkitError, match="county_icc"):
        simulate_fui_panel(scale=0.02, county_icc=value)
