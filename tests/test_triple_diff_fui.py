"""The FUI triple difference: the 30-34 age band of the synthetic panel and the DDD in the study."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evalkit.panel import read_panel
from evalkit.replications.fui import run_fui
from evalkit.replications.fui.report_html import triple_diff_section
from evalkit.replications.fui.report_text import triple_diff_text
from evalkit.replications.fui.results_json import results_document
from evalkit.replications.fui.sample import FuiSpec, prepare_sample
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.replications.fui.synthetic import simulate_fui_panel
from evalkit.inference import wild_cluster_bootstrap
from evalkit.replications.fui.triple_diff import DDD_TERM, fui_triple_diff
from evalkit.report.disclosure import DisclosureControl
from evalkit.report.json_contract import validate
from evalkit.report.text import table

SHOCK = 0.3
TRUTH = {"employed": 0.05, "in_education": 0.0}


@pytest.fixture(scope="module")
def shocked_data():
    """A panel whose South-West gets a shock of +0.3 on every new user's outcome
    probabilities from 2017 (all ages): the 2x2 estimates effect + 0.3, the DDD the effect."""
    data = simulate_fui_panel(scale=0.1, seed=3, age_30_34=True, region_shock=SHOCK,
                              effects={"employment": TRUTH["employed"], "education": TRUTH["in_education"]})
    return read_panel(data.panel), data.unemployment


@pytest.fixture(scope="module")
def shocked(shocked_data):
    """FUI run with the DDD on :func:`shocked_data`."""
    panel, unemployment = shocked_data
    return run_fui(panel, unemployment, few_clusters=False, event_study=False, placebo=False, triple_diff=True)


def test_the_ddd_shares_the_run_s_entry_pass_and_equals_its_own(shocked_data, shocked) -> None:
    # run_fui finds the entrants up to 34 once; the 2x2 takes the younger ones (younger_pool)
    panel, unemployment = shocked_data
    alone = fui_triple_diff(panel, unemployment, norway_2017_schedule(), FuiSpec(), n_boot=None)
    pd.testing.assert_frame_equal(shocked.triple_diff.effects(), alone.effects(), check_exact=True)
    pd.testing.assert_frame_equal(shocked.triple_diff.entrants, alone.entrants, check_exact=True)
    sample = prepare_sample(panel, unemployment, norway_2017_schedule(), FuiSpec())
    pd.testing.assert_frame_equal(shocked.sample.frame, sample.frame, check_exact=True)
    assert shocked.sample.entries.report.steps == sample.entries.report.steps


@pytest.fixture(scope="module")
def plain():
    return simulate_fui_panel(scale=0.02, seed=5)


def test_age_band_leaves_the_published_panel_unchanged(plain) -> None:
    band = simulate_fui_panel(scale=0.02, seed=5, age_30_34=True)
    n = len(plain.panel)
    # every row of the published panel as it was (so tables 8.1-8.3, which use entrants under 30 only)
    pd.testing.assert_frame_equal(band.panel.iloc[:n], plain.panel)
    added = band.panel.iloc[n:]
    assert added["person_id"].min() > plain.panel["person_id"].max()
    first = added.groupby("person_id").first()
    entry_year = added.loc[added["nav_category"].notna()].groupby("person_id")["month"].first().dt.year
    age = entry_year - first["birth_year"]
    assert age.between(30, 34).all() and age.nunique() == 5


def test_ddd_recovers_the_effect_that_a_region_shock_hides_from_the_2x2(shocked) -> None:
    two, ddd = shocked.conventional.effects(), shocked.triple_diff.effects()
    for frame in (two, ddd):
        frame["truth"] = frame["outcome"].map(TRUTH)
    # the 2x2 is off by the shock (stratified noise: it sits on effect + shock) ...
    np.testing.assert_allclose(two["estimate"], two["truth"] + SHOCK, atol=0.03)
    assert ((two["estimate"] - two["truth"]).abs() > 4 * two["std_error"]).all()
    # ... the DDD is not: every estimate within 3 SE of the truth, while a DDD that kept
    # the shock would be off by 0.3, more than 3 SE in every model
    z = (ddd["estimate"] - ddd["truth"]) / ddd["std_error"]
    assert (z.abs() < 3).all(), ddd
    assert (3 * ddd["std_error"] < SHOCK).all()
    assert abs(ddd.groupby("outcome")["estimate"].mean() - pd.Series(TRUTH)).max() < 0.06


def test_run_fui_reports_the_ddd_beside_the_2x2(shocked) -> None:
    rep = shocked
    ddd = rep.triple_diff.effects()
    wild = wild_cluster_bootstrap(rep.triple_diff.models["employed", 3], DDD_TERM, n_boot=99, weight_type="webb")
    assert 0 < wild.p_value <= 1 and wild.interval[0] < ddd["estimate"].iloc[1] < wild.interval[1]
    text = table(triple_diff_text(rep, DisclosureControl()))
    assert "DDD (ages 30-34)" in text and "2x2 (published)" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    section_id, title, _, (frame,) = triple_diff_section(rep, lang="nb")
    assert section_id == "triple-diff" and title == "FUI-effekt ved trippel differanse" and frame.shape == (4, 4)
    doc = json.loads(json.dumps(results_document(rep)))
    validate(doc)
    assert [(r["outcome"], r["horizon"]) for r in doc["triple_diff"]] == list(zip(ddd["outcome"], ddd["horizon"]))
    np.testing.assert_allclose([r["estimate"] for r in doc["triple_diff"]], ddd["estimate"])


def test_no_ddd_without_the_age_band(plain) -> None:
    assert fui_triple_diff(read_panel(plain.panel), plain.unemployment, norway_2017_schedule(), FuiSpec()) is None
