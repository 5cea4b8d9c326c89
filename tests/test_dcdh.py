"""DID_l (de Chaisemartin & D'Haultfoeuille 2024) against DIDmultiplegtDYN's Favara & Imbs
example, and on simulated persons moving into and out of treated regions."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DesignError, EvalkitError, ExcludedRowsWarning
from evalkit.estimators import att_gt, dcdh, event_study
from evalkit.inference import wild_cluster_bootstrap
from evalkit.sensitivity import honest_did
from evalkit.simulate import simulate_switching

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "dcdh_favara_imbs.json").read_text())


@pytest.fixture(scope="module")
def favara() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "favara_imbs.csv.gz")


def _fit(data: pd.DataFrame, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRowsWarning)
        return dcdh(data, y="Dl_vloans_b", unit="county", time="year", treatment="inter_bra", effects=8,
                    placebos=3, cluster="state_n", **kwargs)


def _half_unit(printed: float) -> float:
    """Half a unit in the last of the 6 significant digits printed."""
    return 0.5 * 10 ** (math.floor(math.log10(abs(printed))) - 5)


def _term(name: str) -> str:
    if name == "Average_Total_Effect":
        return "ATT"
    kind, l = name.split("_")
    return f"event_time::{int(l) - 1}" if kind == "Effect" else f"event_time::{-1 - int(l)}"


def test_printed_example_normalized_same_switchers(favara):
    """The package's second README example, to the 6 significant digits printed."""
    res = _fit(favara, normalized=True, same_switchers=True)
    for name, (est, se, n, switchers) in REF["printed_normalized_same_switchers"].items():
        term = _term(name)
        assert res.params[term] == pytest.approx(est, abs=_half_unit(est)), name
        assert res.std_errors[term] == pytest.approx(se, abs=_half_unit(se)), name
        assert res.n_cells[term] == n, name
        assert res.n_switchers[term] == switchers, name


def test_first_example_points_match_moderndid(favara):
    """Point estimates, switchers and cells of the first README example (non-normalized),
    against moderndid's port at 1e-6."""
    res = _fit(favara)
    eff = [f"event_time::{e}" for e in range(8)]
    pla = [f"event_time::{e}" for e in (-2, -3, -4)]
    for terms, ref in ((eff, REF["moderndid_effects"]), (pla, REF["moderndid_placebos"])):
        np.testing.assert_allclose(res.params[terms].to_numpy(), ref["estimate"], rtol=1e-6)
        np.testing.assert_array_equal(res.n_switchers[terms].to_numpy(), ref["n_switchers"])
        np.testing.assert_array_equal(res.n_cells[terms].to_numpy(), ref["n_cells"])


def test_result_contract_and_placebo_test(favara):
    res = _fit(favara)
    tidy = res.tidy()
    assert list(tidy["term"][:2]) == ["event_time::0", "event_time::1"]
    assert {"event_time", "n_switchers", "n_cells", "conf_low"} <= set(tidy.columns)
    assert np.allclose(np.sqrt(np.diag(res.cov.to_numpy())), res.std_errors.to_numpy())
    assert res.n_clusters == favara["state_n"].nunique()
    test = res.placebo_test()
    assert test.df_num == 3 and 0 < test.p_value < 1
    b = res.params[pla := ["event_time::-2", "event_time::-3", "event_time::-4"]].to_numpy()
    v = res.cov.loc[pla, pla].to_numpy()
    assert test.statistic == pytest.approx(float(b @ np.linalg.solve(v, b)), rel=1e-10)
    assert "DID_l" in res.summary().title and "<table" in res._repr_html_()
    sens = honest_did(res, method="relative_magnitudes", m=[0.5])
    assert len(sens.tidy()) >= 1


def test_wild_bootstrap_uses_the_influence_scores(favara):
    res = _fit(favara)
    wb = wild_cluster_bootstrap(res, "event_time::0", n_boot=199, rng=3)
    assert 0 < wb.p_value <= 1
    lo, hi = wb.interval
    assert lo < res.params["event_time::0"] < hi


def test_switching_simulation_unbiased_where_twfe_and_cs_are_not():
    """Persons move into and out of treated regions; the effect builds up with exposure.
    DID_l recovers the effect of the switches; a TWFE event study on the first switch and
    Callaway & Sant'Anna on the first exposure do not."""
    panel = simulate_switching(2000, 8, rng=np.random.default_rng(7), move_rate=0.08)
    truth = panel.true_effects(3).to_numpy()
    d = panel.data
    res = dcdh(d, y="y", unit="unit", time="time", treatment="treated", effects=3, placebos=1)
    terms = [f"event_time::{e}" for e in range(3)]
    z = (res.params[terms].to_numpy() - truth) / res.std_errors[terms].to_numpy()
    assert np.all(np.abs(z) < 4), z
    assert abs(res.params["event_time::-2"]) < 4 * res.std_errors["event_time::-2"]
    twfe = event_study(d, y="y", time="time", group="first_switch", unit="unit", min_e=-2, max_e=2)
    cs = att_gt(d[d["baseline"] == 0], y="y", time="time", group="first_switch", unit="unit",
                control_group="not_yet_treated").aggregate("dynamic")
    for biased in (twfe, cs):
        assert np.max(np.abs(biased.params[terms].to_numpy() - truth)) > 0.5


def test_switchers_in_and_out_and_user_errors(favara):
    both = _fit(favara)
    inn = _fit(favara, switchers="in")
    assert inn.n_switchers["event_time::0"] <= both.n_switchers["event_time::0"]
    with pytest.raises(EvalkitError, match="switchers must be"):
        _fit(favara, switchers="up")
    with pytest.raises(DesignError, match="'nope'"):
        dcdh(favara, y="nope", unit="county", time="year", treatment="inter_bra")
    dup = pd.concat([favara, favara.iloc[:2]])
    with pytest.raises(DesignError, match="one row per unit and period"):
        dcdh(dup, y="Dl_vloans_b", unit="county", time="year", treatment="inter_bra")
    gap = favara.drop(index=favara.index[(favara["county"] == 1001) & (favara["year"] == 1999)])
    with pytest.raises(DesignError, match="1001"):
        dcdh(gap, y="Dl_vloans_b", unit="county", time="year", treatment="inter_bra")
    before = favara.copy()
    _fit(favara)
    pd.testing.assert_frame_equal(favara, before)
