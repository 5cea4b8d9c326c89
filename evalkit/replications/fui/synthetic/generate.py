"""``simulate_fui_panel``: the synthetic national register panel calibrated to tables 8.1-8.3."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.panel.roles import EDUCATION_LEVELS, NAV_CATEGORIES
from evalkit.replications.fui.synthetic import counties, model, shocks
from evalkit.replications.fui.synthetic.effects import FuiEffects
from evalkit.replications.fui.synthetic.outcomes import monthly_states
from evalkit.replications.fui.synthetic.population import NO_HISTORY, Persons, build_persons
from evalkit.replications.fui.synthetic.published import HORIZONS, OUTCOME_COLUMNS, load_schedule, table_8_1
from evalkit.replications.fui.synthetic.spells import data_span, nav_categories

Noise = Literal["stratified", "bernoulli"]


@dataclass(frozen=True)
class SyntheticFuiData:
    """A simulated register panel with its known truth.

    Attributes
    ----------
    panel
        Long monthly panel, one row per person and month (see ``docs/simulate.md``).
    unemployment
        County x month registered unemployment: ``county``, ``month``, ``unemployment_pct``.
    schedule
        The rollout schedule used: ``county``, ``region``, ``start_month``.
    effects
        True FUI effects: ``{"employment" | "education": {horizon: effect}}``.
    coefficients
        The calibrated data-generating coefficients: ``outcome``, ``horizon``, ``term``,
        ``value`` (the ``fui_effect`` rows equal ``effects``).
    county_shocks
        The county x month shocks on the logit scale, before centring: ``outcome``,
        ``county``, ``month``, ``shock`` (all zero with ``county_icc=0``).
    seed, scale, noise, late_exposure, county_icc
        The arguments the panel was generated with.
    """

    panel: pd.DataFrame
    unemployment: pd.DataFrame
    schedule: pd.DataFrame
    effects: dict[str, dict[int, float]]
    coefficients: pd.DataFrame
    seed: int
    scale: float
    noise: Noise
    late_exposure: bool
    county_shocks: pd.DataFrame
    county_icc: float


def simulate_fui_panel(
    *,
    scale: float = 1.0,
    seed: int = 2017,
    effects: FuiEffects | Mapping[str, Any] | None = None,
    noise: Noise = "stratified",
    late_exposure: bool = False,
    county_icc: float = shocks.DEFAULT_COUNTY_ICC,
) -> SyntheticFuiData:
    """Simulate the national register panel of the FUI evaluation, January 2016 - December 2018.

    At ``scale=1`` about 250,000 persons under 30 and over 4 million person-months in 18
    counties.  The four analysis groups (new users in the target categories entering
    March-June 2016 or 2017, south-west vs rest) have the sizes and compositions of
    table 8.1; their employment and education 1, 3, 6 and 9 months after entry follow a
    linear probability model calibrated so that the regressions of tables 8.2/8.3 on the
    panel reproduce the published coefficients, with the FUI coefficient set to the true
    effect.

    Parameters
    ----------
    scale
        Multiplies every count (tests use e.g. 0.05).
    seed
        Seed of :func:`numpy.random.default_rng`; the panel is a deterministic function of
        the arguments.
    effects
        True FUI effects on the outcome probabilities: ``None`` (the published
        ``fui_effect`` coefficients), a :class:`FuiEffects` or a mapping such as
        ``{"education": 0.05, "employment": -0.03}`` (one value for all horizons, or
        ``{horizon: value}``).
    noise
        ``"stratified"``: the analysis entrants' outcomes at the horizons have, within fine
        cells (group x entry month x category x age group x education x sex), exactly the
        (systematically rounded) expected number of ones, so estimates sit on the
        calibrated values; counties are not cells, so county shares keep their sampling
        noise.  ``"bernoulli"``: independent draws, for simulation studies with honest
        sampling variation.
    late_exposure
        If true, new users entering before their county's start month are exposed from the
        first horizon that reaches the start month (contaminating the published design).
    county_icc
        Intra-county correlation of the outcomes: the share of an outcome's variance
        among the analysis entrants that entrants of the same county and outcome month
        have in common, through county x month shocks on the logit scale
        (:mod:`~evalkit.replications.fui.synthetic.shocks`; persistent from month to
        month).  Default 0.005, an assumption stated in ``docs/simulate.md``; 0 turns the
        shocks off.  With ``noise="stratified"`` the shocks are centred on the published
        regressors, so the tables are still reproduced and only the residuals (hence
        county-clustered standard errors) carry them; with ``noise="bernoulli"`` they
        move the estimates as real county shocks would.

    Returns
    -------
    SyntheticFuiData

    References
    ----------
    Fafo (2020), evaluation of *forsterket ungdomsinnsats*, chapter 8, tables 8.1-8.3.
    """
    if not (isinstance(scale, int | float) and np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if noise not in ("stratified", "bernoulli"):
        raise ValueError(f"noise must be 'stratified' or 'bernoulli', got {noise!r}")
    county_icc = shocks.check_icc(county_icc)
    truth = FuiEffects.from_value(effects).as_dict()
    rng = np.random.default_rng(seed)

    schedule = load_schedule()
    profile = counties.county_profile(schedule)
    table = table_8_1()
    rates = counties.unemployment_rates(profile, counties.group_targets(table))
    start = counties.month_index(profile["start_month"])
    south_west = profile["south_west"].to_numpy()

    persons = build_persons(profile, table, float(scale), rng)
    persons = persons.take(rng.permutation(len(persons)))
    first_row, last_row = data_span(persons, rng)
    nav = nav_categories(persons, rng)

    design = model.regressors(persons, rates, start, south_west, 0, late_exposure=False)
    analysis = persons.group >= 0
    regression_rows = analysis & (persons.education >= 0)
    targets = model.targets(truth)
    # the shocks have their own stream: county_icc=0 leaves every other draw as it was
    zeta = shocks.standard_shocks(len(targets), len(profile), np.random.default_rng([seed, shocks.SHOCK_STREAM]))
    months = shocks.outcome_months(model.entry_month(persons), HORIZONS)
    factor = np.linalg.qr(design[regression_rows])
    horizon_p, coef_rows, shock_rows = {}, [], []
    for o, (outcome, target) in enumerate(targets.items()):
        thetas = [model.calibrate(design[regression_rows], target[j], factor=factor) for j in range(len(HORIZONS))]
        Xs = []
        for h in HORIZONS:
            X = design
            if late_exposure:
                X = design.copy()
                X[:, model.FUI] = model.exposure(persons, start, h, late_exposure=True)
            Xs.append(X)
        q = np.column_stack(
            [model.probabilities(X, theta, persons, outcome) for X, theta in zip(Xs, thetas, strict=True)]
        )
        sigma = shocks.shock_scale(q[regression_rows], county_icc)
        shock_rows.append(sigma * zeta[o])
        cols = []
        for j, h in enumerate(HORIZONS):
            theta, offset = thetas[j], None
            if sigma > 0:
                offset = sigma * zeta[o][persons.county, months[:, j]] * q[:, j] * (1 - q[:, j])
                if noise == "stratified":
                    offset = shocks.centre(offset, design, regression_rows, factor)
                    theta = model.calibrate(
                        design[regression_rows], target[j], offset=offset[regression_rows], factor=factor
                    )
            cols.append(model.probabilities(Xs[j], theta, persons, outcome, offset=offset))
            coef_rows += [
                (outcome, h, term, v) for term, v in zip(model.COLUMNS, theta, strict=True)
            ]
        horizon_p[outcome] = np.column_stack(cols)
    age = 2016 + persons.first_nav // 12 - persons.birth_year
    cells = [
        persons.group,
        persons.first_nav,
        persons.category,
        np.digitize(age, [20, 25]),
        persons.education,
        persons.female,
    ]
    states = monthly_states(persons, horizon_p, cells, analysis, noise=noise, rng=rng)

    panel = _long_panel(persons, profile, nav, states, first_row, last_row)
    coefficients = pd.DataFrame(coef_rows, columns=["outcome", "horizon", "term", "value"])
    return SyntheticFuiData(
        panel=panel,
        unemployment=counties.unemployment_frame(profile, rates),
        schedule=schedule,
        effects=truth,
        coefficients=coefficients,
        seed=seed,
        scale=float(scale),
        noise=noise,
        late_exposure=bool(late_exposure),
        county_shocks=_shock_frame(list(targets), profile, np.stack(shock_rows)),
        county_icc=county_icc,
    )


def _shock_frame(outcomes: list[str], profile: pd.DataFrame, eta: np.ndarray) -> pd.DataFrame:
    """Long table of the logit-scale shocks ``eta[outcome, county, month]``."""
    n_counties = len(profile)
    return pd.DataFrame(
        {
            "outcome": np.repeat(np.array(outcomes, dtype=object), n_counties * counties.N_MONTHS),
            "county": np.tile(np.repeat(profile["county"].to_numpy(dtype=object), counties.N_MONTHS), len(outcomes)),
            "month": np.tile(counties.MONTHS.to_numpy(), len(outcomes) * n_counties),
            "shock": eta.reshape(-1),
        }
    )


def _long_panel(
    persons: Persons,
    profile: pd.DataFrame,
    nav: np.ndarray,
    states: dict[str, np.ndarray],
    first_row: np.ndarray,
    last_row: np.ndarray,
) -> pd.DataFrame:
    """One row per person and month between the person's first and last row."""
    t = np.arange(counties.N_MONTHS)
    mask = (t >= first_row[:, None]) & (t <= last_row[:, None])
    ii, tt = np.nonzero(mask)
    categories = np.array([*NAV_CATEGORIES, None], dtype=object)  # code -1 -> None
    education = np.array([*EDUCATION_LEVELS, None], dtype=object)
    month0 = np.datetime64("2016-01", "M")
    last_before = np.where(
        persons.last_before == NO_HISTORY,
        np.datetime64("NaT"),
        (month0 + persons.last_before.astype("timedelta64[M]")).astype("datetime64[ns]"),
    ).astype("datetime64[ns]")
    frame = {
        "person_id": (ii + 1).astype(np.int64),
        "month": counties.MONTHS.to_numpy()[tt],
        "county": profile["county"].to_numpy(dtype=object)[persons.county[ii]],
        "nav_category": categories[nav[ii, tt]],
        OUTCOME_COLUMNS["employment"]: states["employment"][ii, tt],
        OUTCOME_COLUMNS["education"]: states["education"][ii, tt],
        "female": persons.female[ii].astype(np.int8),
        "birth_year": persons.birth_year[ii].astype(np.int64),
        "education_level": education[persons.education[ii]],
        "last_nav_month_before": last_before[ii],
    }
    return pd.DataFrame(frame)
