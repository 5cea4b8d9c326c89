"""Stacked DiD with Wing, Freedman & Hollingsworth (2024) weights against diff-diff's
StackedDiD (tests/reference/make_stacked.py -> stacked.json), and its defining property."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, ExcludedRowsWarning
from evalkit.estimators import stacked_did
from evalkit.inference import wild_cluster_bootstrap
from evalkit.simulate import simulate_staggered

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "stacked.json").read_text())
COLS = dict(y="lemp", time="year", group="first.treat", unit="countyreal")


@pytest.fixture(scope="module")
def mpdta() -> dict[str, pd.DataFrame]:
    full = pd.read_csv(HERE / "data" / "mpdta.csv")
    return {"balanced": full, "unbalanced": full.iloc[np.arange(len(full)) % 10 != 3]}


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"{c['data']}{c['min_e']}{c['max_e']}{c['control_group']}")
def test_matches_diff_diff(mpdta: dict, case: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        res = stacked_did(mpdta[case["data"]], **COLS, min_e=case["min_e"], max_e=case["max_e"],
                          control_group=case["control_group"])
    terms = [f"event_time::{e}" for e in case["event_time"]]
    assert list(res.params.index) == terms + ["ATT"]
    assert res.nobs == case["nobs"]
    np.testing.assert_allclose(res.params[terms], case["estimate"], rtol=1e-8)
    np.testing.assert_allclose(res.std_errors[terms], case["std_error"], rtol=1e-8)
    assert res.params["ATT"] == pytest.approx(case["att"], rel=1e-8)
    assert res.std_errors["ATT"] == pytest.approx(case["att_se"], rel=1e-8)


def _cohort_event_study(df: pd.DataFrame, a: int, e: int, max_e: int) -> tuple[float, int]:
    """One sub-experiment's unweighted 2x2 of event time e against -1, and its treated units."""
    controls = (df["g"] == 0) | (df["g"] > a + max_e)
    mean = lambda rows, s: df.loc[rows & (df["time"] == a + s), "y"].mean()  # noqa: E731
    treated = df["g"] == a
    did = (mean(treated, e) - mean(treated, -1)) - (mean(controls, e) - mean(controls, -1))
    return did, int(df.loc[treated, "unit"].nunique())


def test_trimmed_aggregate_att_and_known_truth() -> None:
    """WFH (2024): the weighted stack is the treated-share weighted mean of the sub-experiments'
    2x2 DiDs (exact), and recovers the true effects under heterogeneous dynamic effects."""
    sim = simulate_staggered(1000, 10, {4: 0.2, 6: 0.3, 8: 0.2}, effect=lambda e, g: 0.3 + 0.2 * e + 0.3 * (g == 4),
                             rng=np.random.default_rng(7), noise_sd=0.3, time_sd=0.3)
    df = sim.data.rename(columns={"first_treated": "g"})
    res = stacked_did(df, y="y", time="time", group="g", unit="unit", min_e=-3, max_e=2)
    sizes = df.drop_duplicates("unit")["g"].value_counts()
    truth = sim.true_att.assign(size=lambda f: f["group"].map(sizes))
    for e in (-3, -2, 0, 1, 2):
        parts = [_cohort_event_study(df, a, e, 2) for a in (4, 6, 8)]
        want = sum(d * n for d, n in parts) / sum(n for _, n in parts)
        assert res.params[f"event_time::{e}"] == pytest.approx(want, rel=1e-9, abs=1e-12)
        if e >= 0:
            cells = truth[(truth["event_time"] == e) & truth["group"].isin([4, 6, 8])]
            true_e = np.average(cells["att"], weights=cells["size"])
            assert res.params[f"event_time::{e}"] == pytest.approx(true_e, abs=0.06)  # SEs ~0.025
        else:
            assert abs(res.params[f"event_time::{e}"]) < 0.06


def test_inference_integration(mpdta: dict) -> None:
    from evalkit.report import etable
    from evalkit.sensitivity import honest_did

    with pytest.warns(ExcludedRowsWarning, match=r"cohorts \[2004, 2007\]"):
        res = stacked_did(mpdta["balanced"], **COLS, min_e=-3, max_e=1)
    wb = wild_cluster_bootstrap(res, "ATT", n_boot=199, rng=3, ci=False)
    assert wb.statistic == pytest.approx(res.tstats["ATT"], rel=1e-8)  # the CR1 t of the contrast
    assert 0 <= wb.p_value <= 1
    assert len(honest_did(res, m=[0.5]).tidy()) >= 1
    assert "| event_time=0 |" in etable([res]).to_markdown()
    assert res.extra["cohorts"] == "2006" and res.reference == (-1,)
    assert "Stacked DiD" in str(res.summary()) and "<table" in res._repr_html_()


def test_trimming_and_errors(mpdta: dict) -> None:
    df = mpdta["balanced"]
    with pytest.warns(ExcludedRowsWarning, match=r"cohorts \[2007\]: the window \[-1, 1\]"):
        stacked_did(df, **COLS, min_e=-1, max_e=1)
    with pytest.raises(DesignError, match="no cohort of 'first.treat'"), pytest.warns(ExcludedRowsWarning):
        stacked_did(df, **COLS, min_e=-4, max_e=3)
    with pytest.raises(DesignError, match="min_e <= -1"):
        stacked_did(df, **COLS, min_e=0, max_e=2)
    with pytest.raises(DesignError, match="max_e >= 0"):
        stacked_did(df, **COLS, min_e=-2, max_e=-1)
    with pytest.raises(DesignError, match="control_group"):
        stacked_did(df, **COLS, min_e=-1, max_e=0, control_group="last_treated")  # type: ignore[arg-type]
    before = df.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        stacked_did(df, **COLS, min_e=-1, max_e=1)
    pd.testing.assert_frame_equal(df, before)
