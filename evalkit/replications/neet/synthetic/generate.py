"""``simulate_neet_population``: the synthetic population of the long-term NEET note."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.replications.neet.published import AREAS, NORWAY, table_4
from evalkit.replications.neet.synthetic import histories
from evalkit.replications.neet.synthetic.calibrate import Cells, calibrate, cells_of, model_1_design
from evalkit.replications.neet.synthetic.moments import match_moments
from evalkit.replications.neet.synthetic.population import ALL_AREAS, REST, Persons, draw_persons
from evalkit.simulate.rounding import stratified_ones

Noise = Literal["stratified", "bernoulli"]

#: Basic amount G (NOK, from 1 May 2022) used for the synthetic incomes.
G_NOK = 111_477
#: Share of the persons NEET at the reference month but not long-term NEET whose spell is
#: two years or longer (their income is above a quarter of G).
LONG_SPELL_INCOME_SHARE = 0.1
#: Default scale of the bundled study (about 100,000 persons, 3.6 million person-months).
DEFAULT_SCALE = 0.1

_CODES_IMMIGRANT = np.array(["B", "C", "E"])
_CODES_REST = np.array(["A", "D", "F"])


@dataclass(frozen=True)
class SyntheticNeetData:
    """A synthetic population with its known truth.

    Attributes
    ----------
    monthly
        One row per person and month (January 2021 - December 2023): ``person_id``,
        ``month``, ``employed``, ``in_education``, ``in_programme``, ``health_benefit``.
    persons
        One row per person: ``person_id``, ``county``, ``female``, ``birth_year``,
        ``immigrant_category`` (SSB's A-G), ``started_upper_secondary``,
        ``completed_upper_secondary``, ``parents_education`` (1 higher, 2 upper
        secondary, 3 compulsory), ``lives_with_parents``, ``household_income_nok``
        (missing when not living with a parent), ``max_wage_income_g`` (highest yearly
        wage income since 2010, in G), ``income_g`` (income of the reference year in G),
        ``child_welfare``.
    coefficients
        The model 1 coefficients the population reproduces (the truth of a recovery test).
    theta
        The coefficients of the generating logit (:mod:`.calibrate`).
    reference_month, g_nok, seed, scale, noise
        How the population was generated.
    """

    monthly: pd.DataFrame
    persons: pd.DataFrame
    coefficients: pd.Series
    theta: pd.Series
    reference_month: str
    g_nok: float
    seed: int
    scale: float
    noise: Noise


def _neet_targets(persons: Persons) -> np.ndarray:
    """Target NEET share per area x immigrant group (table 4; the rest of Norway by subtraction)."""
    t4 = table_4()
    group = persons.area * 2 + persons.immigrant
    sizes = np.bincount(group, minlength=2 * len(ALL_AREAS)).astype(float)
    target = np.zeros(2 * len(ALL_AREAS))
    for i, column in enumerate(("neet_rest_of_population", "neet_immigrants")):
        inside = 0.0
        for a, area in enumerate(AREAS):
            target[a * 2 + i] = t4.loc[area, column] / 100
            inside += target[a * 2 + i] * sizes[a * 2 + i]
        g = ALL_AREAS.index(REST) * 2 + i
        target[g] = (t4.loc[NORWAY, column] / 100 * sizes[i::2].sum() - inside) / sizes[g]
    return target


def draw_status(persons: Persons, ltn: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Status at the reference month: long-term NEET as drawn; other NEET by area x immigrant.

    The number of other NEET in each group makes its NEET share equal the target; they are
    drawn without replacement among the group's other persons with weights rising with
    dropout, health benefits and no work experience.
    """
    status = np.where(ltn, histories.LONG_TERM_NEET, histories.NOT_NEET)
    group = persons.area * 2 + persons.immigrant
    target = _neet_targets(persons)
    weight = np.exp(1.0 * persons.dropout - 0.8 * persons.tidlarb + 1.0 * persons.allhelse)
    for g in range(len(target)):
        pool = np.flatnonzero((group == g) & ~ltn)
        extra = int(round(target[g] * np.sum(group == g))) - int(np.sum(ltn & (group == g)))
        if extra <= 0 or len(pool) == 0:
            continue
        chosen = rng.choice(pool, size=min(extra, len(pool)), replace=False, p=weight[pool] / weight[pool].sum())
        long = rng.random(len(chosen)) < LONG_SPELL_INCOME_SHARE
        status[chosen] = np.where(long, histories.LONG_NEET_INCOME, histories.SHORT_NEET)
    return status


def persons_frame(persons: Persons, status: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The person-level register attributes from which the risk factors are derived."""
    n = len(persons)
    imm = persons.immigrant == 1
    pick = rng.choice(3, n, p=[0.7, 0.25, 0.05])
    category = np.where(imm, _CODES_IMMIGRANT[pick], _CODES_REST[np.minimum(pick, 2)])
    category = np.where(~imm & (rng.random(n) < 0.9), "A", category)
    age = persons.age
    not_started = (persons.dropout == 0) & (age >= 18) & (rng.random(n) < 0.03)
    started = ((age >= 16) | (persons.dropout == 1)) & ~not_started
    completed = (persons.dropout == 0) & (age >= 18) & ~not_started
    gb = persons.grunnbelop
    u = rng.random(n)
    household = np.select(
        [gb == 1, gb == 2, gb == 3],
        [(0.3 + 1.7 * u) * G_NOK, (2.0 + 2.0 * u + 1e-6) * G_NOK, 4 * G_NOK * np.exp(0.001 + 1.2 * u)],
        np.nan,
    )
    wage = np.where(persons.tidlarb == 1, 0.51 + 4.5 * rng.random(n), 0.49 * rng.random(n))
    income = np.select(
        [status == histories.LONG_TERM_NEET, status == histories.LONG_NEET_INCOME],
        [0.24 * rng.random(n), 0.26 + 1.2 * rng.random(n)],
        3.0 * rng.random(n),
    )
    return pd.DataFrame(
        {
            "person_id": np.arange(1, n + 1, dtype=np.int64),
            "county": np.array(ALL_AREAS, dtype=object)[persons.area],
            "female": persons.female,
            "birth_year": (histories.REFERENCE_MONTH.year - age).astype(np.int64),
            "immigrant_category": category,
            "started_upper_secondary": started.astype(np.int8),
            "completed_upper_secondary": completed.astype(np.int8),
            "parents_education": persons.sosbakgr,
            "lives_with_parents": (gb > 0).astype(np.int8),
            "household_income_nok": household,
            "max_wage_income_g": wage,
            "income_g": income,
            "child_welfare": persons.barnevern,
        }
    )


def _stratified(cells: Cells, p: np.ndarray, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Long-term NEET with each cell's expected count, adjusted so the sample moments match.

    Systematic rounding in the order area, gender, immigrant status, logit sample, then the
    regressors, keeps each group and each run of cells within one of its expectation;
    :func:`~.moments.match_moments` then moves single cells by one until the model 1 and
    model 3 scores and the group shares match (:mod:`.moments`); within a cell the ones go
    to the persons with the lowest ``u``.
    """
    keys = cells.keys
    in_logit = ((keys["area"] < len(AREAS)) & (keys["grunnbelop"] > 0)).to_numpy()
    order = [keys[k].to_numpy() for k in ("area", "female", "immigrant")] + [in_logit.astype(np.int64)]
    order += [keys[k].to_numpy() for k in ("dropout", "tidlarb", "allhelse", "grunnbelop", "sosbakgr")]
    person_keys = [key[cells.of_person] for key in order] + [cells.of_person]
    drawn = stratified_ones(p[cells.of_person], u, person_keys, rng)
    size = cells.count.astype(float)
    ones = np.bincount(cells.of_person, weights=drawn, minlength=len(size))
    expected = size * p
    scores = []
    for X, rows in (
        (model_1_design(keys), in_logit),
        (model_1_design(keys, with_allhelse=False), in_logit & (keys["allhelse"] == 0).to_numpy()),
    ):
        X = np.where(rows[:, None], X, 0.0)
        info = X.T @ (X * (size * p * (1 - p))[:, None])
        scores.append((X, info))
    groups = (keys["area"] * 4 + keys["female"] * 2 + keys["immigrant"]).to_numpy()
    k = match_moments(ones, expected, size, scores, groups)
    by_cell = np.lexsort((u, cells.of_person))
    starts = np.concatenate([[0], np.cumsum(cells.count)[:-1]])
    rank = np.empty(len(u), dtype=np.int64)
    rank[by_cell] = np.arange(len(u)) - starts[cells.of_person[by_cell]]
    return rank < k[cells.of_person]


def simulate_neet_population(
    *,
    scale: float = DEFAULT_SCALE,
    seed: int = 2023,
    coefficients: Mapping[str, float] | None = None,
    noise: Noise = "stratified",
) -> SyntheticNeetData:
    """Simulate the population of the long-term NEET note: monthly histories and persons.

    Persons aged 15-29 in December 2023 in Akershus, Buskerud, Østfold, Oslo and the rest
    of Norway (about 1 million at ``scale=1``).  Their risk factors are drawn
    (:mod:`.population`), long-term NEET follows a logit calibrated on the drawn sample so
    that the note's analysis on it reproduces table 2 (model 1; and the text's model 3
    values) and the long-term NEET shares of tables 3-4, the other NEET are added to match
    the NEET shares of table 4, and monthly histories (:mod:`.histories`) end in each
    person's status, so that :func:`evalkit.outcomes.long_term_neet` on the histories
    gives it back.

    Parameters
    ----------
    scale
        Multiplies every count.
    seed
        Seed of :func:`numpy.random.default_rng`; the data are a deterministic function
        of the arguments.
    coefficients
        Model 1 coefficients to reproduce instead of table 2 (term -> value; terms not
        given keep their table 2 values).
    noise
        ``"stratified"``: each cell of identical risk factors has its expected number of
        long-term NEET up to one, chosen so that the sample's logit scores and group
        shares match the calibration (:func:`_stratified`): the logit lands on the
        coefficients and the tables on the shares;
        ``"bernoulli"``: independent draws, for recovery tests with sampling variation.
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not np.isfinite(scale) or scale <= 0:
        raise EvalkitError(f"scale must be a positive number, got {scale!r}")
    if scale * 62_000 < 200:
        raise EvalkitError(f"scale {scale!r} is too small: the smallest area would have under 200 persons")
    if noise not in ("stratified", "bernoulli"):
        raise EvalkitError(f"noise must be 'stratified' or 'bernoulli', got {noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise EvalkitError(f"seed must be a whole number >= 0, got {seed!r}")
    rng = np.random.default_rng(seed)
    persons = draw_persons(float(scale), rng)
    cells = cells_of(persons)
    fitted = calibrate(cells, coefficients)
    p = fitted.p[cells.of_person]
    u = rng.random(len(p))
    if noise == "stratified":
        ltn = _stratified(cells, fitted.p, u, rng)
    else:
        ltn = u < p
    status = draw_status(persons, ltn, rng)
    neet = histories.neet_matrix(status, persons, rng)
    states = histories.activities(neet, persons, rng)
    states["health_benefit"] = histories.health_benefits(persons, rng)
    frame = persons_frame(persons, status, rng)
    return SyntheticNeetData(
        monthly=histories.monthly_frame(frame["person_id"].to_numpy(), states),
        persons=frame,
        coefficients=fitted.targets,
        theta=fitted.theta,
        reference_month=str(histories.REFERENCE_MONTH),
        g_nok=float(G_NOK),
        seed=int(seed),
        scale=float(scale),
        noise=noise,
    )
