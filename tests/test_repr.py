"""Every result users hold renders compactly in a notebook and has a short ``repr``."""

from __future__ import annotations

import html
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import EvalkitWarning
from evalkit.estimators.att_gt import att_gt
from evalkit.estimators.event_study import event_study
from evalkit.estimators.imputation import imputation_did
from evalkit.estimators.sun_abraham import sun_abraham
from evalkit.estimators.two_stage import two_stage_did
from evalkit.inference import randomization_test, romano_wolf, schedule_randomization_test, wild_cluster_bootstrap
from evalkit.regression import feols
from evalkit.replications.fui import FuiSpec, run_fui
from evalkit.replications.fui.synthetic import simulate_fui_panel
from evalkit.results import InvalidTest, Summary, WaldTest
from evalkit.results.display import html_block
from evalkit.sensitivity import honest_did
from evalkit.simulate import simulate_staggered

#: What "compact" means: a notebook cell of at most this many bytes of HTML.
MAX_HTML = 20_000
#: Internal month indices of the years the FUI data cover (2010-2030).
MONTH_INDEX = re.compile(r"\b2[45]\d{3}\b")


def _check(obj, title: str, key: str | None = None) -> str:
    """The HTML is a short fragment with the title (and key number); repr is one short line."""
    out = obj._repr_html_()
    assert isinstance(out, str) and len(out.encode()) < MAX_HTML
    assert not out.lstrip().lower().startswith(("<html", "<!doctype"))
    assert html.escape(title) in out
    if key is not None:
        assert key in out
    text = repr(obj)
    assert len(text.splitlines()) <= 2 and len(text) < 400, text
    return out


@pytest.fixture(scope="module")
def staggered() -> pd.DataFrame:
    sim = simulate_staggered(120, 8, {4: 0.3, 6: 0.3}, effect=1.0, rng=np.random.default_rng(3))
    return sim.data


@pytest.fixture(scope="module")
def fui():
    data = simulate_fui_panel(scale=0.05, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        return run_fui(data.panel, data.unemployment, n_boot=99, spec=FuiSpec(horizons=(1, 3)))


def test_estimator_results(staggered: pd.DataFrame) -> None:
    cols = dict(y="y", time="time", group="first_treated", unit="unit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EvalkitWarning)
        attgt = att_gt(staggered, **cols)
        results = {
            "att_gt": attgt,
            "aggregate": attgt.aggregate("dynamic"),
            "event_study": event_study(staggered, **cols),
            "imputation": imputation_did(staggered, **cols),
            "two_stage": two_stage_did(staggered, **cols, ref=-1),
            "sun_abraham": sun_abraham(staggered, y="y", time="time", group="first_treated", unit="unit"),
            "feols": feols("y ~ treated + x | time", staggered, vcov="CR1", cluster="unit"),
        }
    for name, res in results.items():
        key = f"{float(res.params.iloc[0]):.4f}"
        _check(res, res.model_name, key)
        assert res.summary()._repr_html_() == res._repr_html_(), name


def test_long_tables_are_shortened() -> None:
    table = pd.DataFrame({"estimate": np.arange(500.0)}, index=pd.Index([f"t{i}" for i in range(500)], name="term"))
    out = Summary(title="Many terms", facts={"n": 500}, table=table)._repr_html_()
    assert len(out) < MAX_HTML and "480 more rows of 500" in out and "t0" in out and "t499" in out
    assert html_block("x", {}, table.head(3)).count("<tr>") == 4  # header + 3 rows, no facts table


def test_hypothesis_tests_and_stepdown(staggered: pd.DataFrame) -> None:
    reg = feols("y ~ treated + x | time", staggered, vcov="CR1", cluster="unit")
    wild = wild_cluster_bootstrap(reg, "treated", cluster="unit", n_boot=199, rng=1)
    _check(wild, wild.title, f"{wild.p_value:.4f}")
    wald = WaldTest(statistic=3.5, df_num=2, p_value=0.174, null="a = b = 0")
    _check(wald, "Wald test", "0.1740")
    _check(InvalidTest("no pre-periods"), "Invalid test")
    hand = pd.DataFrame({"county": list("abcdef"), "y": [1.0, 2.0, 3.0, 10.0, 4.0, 5.0]})
    stat = lambda d: d.loc[d.treated == 1, "y"].mean() - d.loc[d.treated == 0, "y"].mean()  # noqa: E731
    ri = randomization_test(hand, stat, unit="county", treated_units=["c", "d"])
    _check(ri, ri.title, f"{ri.p_value:.4f}")
    sched = pd.DataFrame({"county": list("abcdef") * 2, "g": [3, 3, 4, 0, 0, 0] * 2, "t": [1] * 6 + [4] * 6,
                          "y": np.arange(12.0)})
    sr = schedule_randomization_test(sched, lambda d: float(d.loc[d.g > 0, "y"].mean()), unit="county", group="g")
    _check(sr, sr.title, f"{sr.p_value:.4f}")
    other = wild_cluster_bootstrap(reg, "x", cluster="unit", n_boot=199, rng=1)
    step = romano_wolf({"treated": wild, "x": other})
    _check(step, "Step-down", f"{step.p_value_adjusted[0]:.4f}")


def test_sensitivity_result(staggered: pd.DataFrame) -> None:
    es = event_study(staggered, y="y", time="time", group="first_treated", unit="unit")
    res = honest_did(es, m=[0.0, 1.0], target="average")
    _check(res, res.title, f"{res.estimate:.6g}")


def test_fui_replication_renders_without_month_indices(fui) -> None:
    for obj, title in ((fui, "FUI replication"), (fui.event_study, "FUI event study"), (fui.sample, "FUI analysis sample"),
                       (fui.conventional, "FUI 2x2 regressions")):
        out = _check(obj, title)
        assert not MONTH_INDEX.search(out), MONTH_INDEX.search(out)
        assert not MONTH_INDEX.search(str(obj.summary()))
    effect = fui.conventional.effects().iloc[0]["estimate"]
    assert f"{effect:.4f}" in fui._repr_html_()
    assert "2016-01" in fui.event_study._repr_html_() and "2016-" in fui.sample._repr_html_()
    _check(next(iter(fui.conventional.models.values())), "2x2 DiD")


def test_fui_frames_users_see_carry_month_labels(fui) -> None:
    frames = {"cohorts": fui.event_study.cohorts, "estimates": fui.event_study.estimates,
              "overall": fui.event_study.overall, "effects": fui.effects(), "contamination": fui.contamination}
    for name, frame in frames.items():
        for column in frame.columns:
            values = frame[column]
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                assert not values.between(20_000, 30_000).any(), (name, column)
    assert fui.event_study.cohorts["first_month"].str.fullmatch(r"\d{4}-\d{2}").all()


def test_neet_replication() -> None:
    from evalkit.replications.neet import run_neet

    rep = run_neet(scale=0.05, seed=1)
    out = _check(rep, "Table 2")
    assert f"{rep.table_2['estimate'].iloc[0]:.4f}" in out
    model = next(iter(rep.models.values()))
    _check(model, model.estimates.model_name)


def test_bacon_decomposition(staggered: pd.DataFrame) -> None:
    from evalkit.estimators.bacon import bacon_decomposition

    res = bacon_decomposition(staggered, y="y", time="time", group="first_treated", unit="unit")
    _check(res, "Goodman-Bacon decomposition", f"{res.twfe:.6g}")
