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
from evalkit.replications.fui.synthetic.population import NO_HISTORY, Persons, build_age_band, build_persons
from evalkit.replications.fui.synthetic.published import HORIZONS, OUTCOME_COLUMNS, load_schedule, table_8_1
from evalkit.replications.fui.synthetic.spells import data_span, nav_categories

Noise = Literal["stratified", "bernoulli"]

#: Stream of the draws of the 30-34 comparison band (``[seed, stream]``): turning the band on
#: leaves every draw of the other persons, hence tables 8.1-8.3, exactly as they were.
AGE_BAND_STREAM = 2


@dataclass(frozen=True)
class _HorizonModel:
    """What generated one outcome at one horizon: the coefficients, the county-shock scale
    and the coefficients removed from the shocks by centring (``None``: not centred)."""

    theta: np.ndarray
    sigma: float
    centring: np.ndarray | None


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
    seed, scale, noise, late_exposure, county_icc, age_30_34, region_shock
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
    age_30_34: bool = False
    region_shock: float = 0.0


def simulate_fui_panel(
    *,
    scale: float = 1.0,
    seed: int = 2017,
    effects: FuiEffects | Mapping[str, Any] | None = None,
    noise: Noise = "stratified",
    late_exposure: bool = False,
    county_icc: float = shocks.DEFAULT_COUNTY_ICC,
    age_30_34: bool = False,
    region_shock: float = 0.0,
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
    age_30_34
        Add new users aged 30-34 (above the age limit, never exposed to FUI): the
        within-region comparison group of the triple difference (docs/triple_diff.md).
        Their outcomes follow the same model as a 25-29 year old's with the same
        regressors, shifted by ``model.AGE_BAND_SHIFT``, and share the county shocks.  They
        are drawn from their own random stream and appended after the other persons, so
        every other row of the panel (hence tables 8.1-8.3) is unchanged.
    region_shock
        A change of the outcome probabilities of all new users of the treated region (every
        age) entering after the pre window (by the period weight), not caused by FUI
        (:func:`~evalkit.replications.fui.synthetic.model.region_shift`): it biases the 2x2
        by this amount, not the triple difference.  Default 0.

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
    if isinstance(region_shock, bool) or not isinstance(region_shock, int | float) or not abs(region_shock) < 1:
        raise ValueError(f"region_shock must be a probability change in (-1, 1), got {region_shock!r}")
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
    horizon_p, coef_rows, shock_rows, fitted = {}, [], [], {}
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
            theta, offset, centring = thetas[j], None, None
            if sigma > 0:
                offset = sigma * zeta[o][persons.county, months[:, j]] * q[:, j] * (1 - q[:, j])
                if noise == "stratified":
                    centring = shocks.centring_coefficients(offset, regression_rows, factor)
                    offset = offset - design @ centring
                    theta = model.calibrate(
                        design[regression_rows], target[j], offset=offset[regression_rows], factor=factor
                    )
            p = model.probabilities(Xs[j], theta, persons, outcome, offset=offset)
            if region_shock:
                p = np.clip(p + model.region_shift(persons, south_west, region_shock), 0.0, 1.0)
            cols.append(p)
            fitted[outcome, j] = _HorizonModel(theta, sigma, centring)
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
    if age_30_34:
        band_rng = np.random.default_rng([seed, AGE_BAND_STREAM])
        band = _age_band_panel(build_age_band(profile, table, float(scale), band_rng), band_rng, profile, rates,
                               start, fitted, zeta, noise, float(region_shock))
        panel = pd.concat([panel, band.assign(person_id=band["person_id"] + len(persons))], ignore_index=True)
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
        age_30_34=bool(age_30_34),
        region_shock=float(region_shock),
    )


def _age_band_panel(
    persons: Persons,
    rng: np.random.Generator,
    profile: pd.DataFrame,
    rates: np.ndarray,
    start: np.ndarray,
    fitted: dict[tuple[str, int], _HorizonModel],
    zeta: np.ndarray,
    noise: Noise,
    region_shock: float,
) -> pd.DataFrame:
    """Rows of the 30-34 comparison band (person ids from 1; the caller offsets them).

    Each outcome at each horizon follows the under-30 model (``fitted``) at the person's
    regressors (never exposed; the age dummy of 25-29) plus ``model.AGE_BAND_SHIFT``, with
    the county shocks of their county and outcome month, centred by the same coefficients
    as the under-30s', and the region shock.  ``noise="stratified"`` sets the horizon
    states within cells of region x entry month x category x education x sex (entrants
    followed up to the last horizon inside the panel).
    """
    persons = persons.take(rng.permutation(len(persons)))
    first_row, last_row = data_span(persons, rng)
    nav = nav_categories(persons, rng)
    south_west = profile["south_west"].to_numpy()
    X = model.regressors(persons, rates, start, south_west, 0, late_exposure=False)
    months = shocks.outcome_months(model.entry_month(persons), HORIZONS)
    horizon_p = {}
    for o, outcome in enumerate(dict.fromkeys(key[0] for key in fitted)):  # the order of the shocks
        cols = []
        for j in range(len(HORIZONS)):
            m = fitted[outcome, j]
            shift = np.full(len(persons), model.AGE_BAND_SHIFT[outcome])
            q = model.probabilities(X, m.theta, persons, outcome, offset=shift)
            if m.sigma > 0:
                shock = m.sigma * zeta[o][persons.county, months[:, j]] * q * (1 - q)
                shift = shift + (shock if m.centring is None else shock - X @ m.centring)
            p = model.probabilities(X, m.theta, persons, outcome, offset=shift)
            cols.append(np.clip(p + model.region_shift(persons, south_west, region_shock), 0.0, 1.0))
        horizon_p[outcome] = np.column_stack(cols)
    cells = [south_west[persons.county], persons.first_nav, persons.category, persons.education, persons.female]
    followed = persons.first_nav + max(HORIZONS) < counties.N_MONTHS  # every horizon inside the panel
    states = monthly_states(persons, horizon_p, cells, followed, noise=noise, rng=rng)
    return _long_panel(persons, profile, nav, states, first_row, last_row)


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
