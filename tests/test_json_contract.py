"""The JSON results contract: schema-valid, complete, labelled, no NaN, reproducible bytes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math

import jsonschema
import numpy as np
import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.replications.fui.results_json import results_document
from evalkit.replications.fui.run import FuiReplication
from evalkit.report.json_contract import (
    SCHEMA_ID,
    SchemaError,
    clean,
    dumps,
    file_input,
    load_schema,
    records,
    to_jsonable,
    validate,
)

FAST = ["--scale", "0.05", "--seed", "6", "--no-event-study", "--no-few-clusters", "-q"]


def no_nan(text: str) -> dict:
    """Parse JSON refusing NaN/Infinity tokens."""
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} token in the JSON document")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """``evalkit fui --json`` with every section, and the results.json of ``--out``."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("out")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        assert main(["fui", "--scale", "0.1", "--seed", "7", "--n-boot", "99", "--json", "--out", str(out)]) == 0
    return buffer.getvalue(), (out / "results.json").read_text(encoding="utf-8")


def test_the_document_follows_its_schema(full) -> None:
    text, written = full
    doc = no_nan(text)
    jsonschema.Draft202012Validator.check_schema(load_schema())
    jsonschema.Draft202012Validator(load_schema()).validate(doc)
    validate(doc)
    assert doc["schema"] == SCHEMA_ID == load_schema()["properties"]["schema"]["const"]
    assert no_nan(written) == doc  # --out writes the same document as --json


def test_everything_the_run_computed_is_in_the_document(full) -> None:
    doc = no_nan(full[0])
    # romano_wolf / westfall_young: the family-wise step-down p-values of the wild and randomization tests
    methods = {"iid", "cr1", "wild", "randomization", "romano_wolf", "westfall_young"}
    assert {r["method"] for r in doc["inference"]} == methods
    for row in doc["inference"]:
        assert {"estimate", "std_error", "p_value", "conf_low", "conf_high"} <= set(row)
    study = doc["event_study"]
    assert study["estimates"] and study["pretrend_tests"] and study["cohorts"]
    assert {r["estimator"] for r in study["estimates"]} >= {"imputation (BJS)", "two-stage (Gardner)"}
    assert doc["sensitivity"] and {r["m"] for r in doc["sensitivity"]} >= {0.0, 1.0}
    assert doc["placebo"] and doc["contamination"] and doc["few_clusters"]
    assert {w["code"] for w in doc["warnings"]} >= {"contamination", "bad_control", "few_clusters"}
    effect = [r for r in doc["tables"]["table_8_2"] if r["term"] == "fui_effect"]
    assert len(effect) == 4
    for r in effect:
        expected = (r["estimate"] - r["published_estimate"]) / r["published_std_error"]
        assert r["diff_in_published_se"] == pytest.approx(expected, rel=1e-12)
    comp = doc["comparison"]
    assert 0 <= comp["share_within_1_se"] <= comp["share_within_2_se"] <= 1
    for model in doc["sample_sizes"]:
        assert model["entrants"] == model["used"] + sum(model["excluded"].values())
    prov = doc["provenance"]
    assert prov["seed"] == 7 and prov["options"]["n_boot"] == 99 and prov["inputs"][0]["synthetic"]["scale"] == 0.1
    assert prov["created"] is not None and prov["evalkit_version"]


def test_every_table_row_is_a_labelled_record(full) -> None:
    doc = no_nan(full[0])
    tables = [doc["entries"], doc["sample_sizes"], doc["effects"], doc["inference"], doc["contamination"],
              *doc["tables"].values(), *(v for k, v in doc["event_study"].items() if k != "not_estimated")]
    for rows in tables:
        assert rows and all(isinstance(r, dict) for r in rows)
    assert doc["event_study"]["not_estimated"] == []  # every estimator of every model estimated
    for r in doc["tables"]["table_8_1"]:
        assert {"row", "group", "kind", "count", "value"} <= set(r)


def test_input_files_are_named_and_hashed(tmp_path, capsys) -> None:
    from evalkit.replications.fui.synthetic import simulate_fui_panel

    data = simulate_fui_panel(scale=0.05, seed=6)
    panel, unemployment = tmp_path / "panel.csv", tmp_path / "unemployment.csv"
    data.panel.to_csv(panel, index=False)
    data.unemployment.to_csv(unemployment, index=False)
    args = ["fui", "--data", str(panel), "--unemployment", str(unemployment), "--json", "--no-event-study",
            "--no-few-clusters", "-q"]
    assert main(args) == 0
    inputs = no_nan(capsys.readouterr().out)["provenance"]["inputs"]
    assert [i["role"] for i in inputs] == ["data", "unemployment"]
    assert inputs[0]["name"] == "panel.csv" and inputs[0]["sha256"] == hashlib.sha256(panel.read_bytes()).hexdigest()
    assert inputs[1] == file_input("unemployment", unemployment)


def test_bytes_are_reproducible_with_source_date_epoch(monkeypatch, capsys) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert main(["fui", *FAST, "--json"]) == 0
    first = capsys.readouterr().out
    assert main(["fui", *FAST, "--json"]) == 0
    assert capsys.readouterr().out == first
    assert no_nan(first)["provenance"]["created"] == "2023-11-14"


def test_new_fields_of_the_replication_flow_into_extra(capsys) -> None:
    from evalkit.replications.fui import run_fui
    from evalkit.replications.fui.synthetic import simulate_fui_panel

    @dataclasses.dataclass(frozen=True)
    class Extended(FuiReplication):
        new_test: pd.DataFrame | None = None

    data = simulate_fui_panel(scale=0.05, seed=6)
    rep = run_fui(data.panel, data.unemployment, few_clusters=False, event_study=False, placebo=False)
    extended = Extended(**{f.name: getattr(rep, f.name) for f in dataclasses.fields(rep)},
                        new_test=pd.DataFrame({"outcome": ["employed"], "p_value": [np.nan]}))
    doc = no_nan(dumps(results_document(extended)))
    validate(doc)
    assert doc["extra"]["new_test"] == [{"outcome": "employed", "p_value": None}]
    assert doc["event_study"] is None and doc["few_clusters"] is None and doc["placebo"] is None


def test_clean_and_records() -> None:
    assert clean({"a": np.float64("nan"), "b": np.int64(3), "c": (1.5, math.inf), "d": np.bool_(True)}) == {
        "a": None, "b": 3, "c": [1.5, None], "d": True}
    frame = pd.DataFrame({"n": [3, 40], "share": [0.1, np.nan]})
    mask = pd.DataFrame({"n": [True, False], "share": [True, False]})
    assert records(frame, suppressed=mask) == [
        {"n": None, "share": None, "suppressed": ["n", "share"]}, {"n": 40, "share": None}]
    with pytest.raises(ValueError):
        dumps({"x": float("nan")})
    with pytest.raises(TypeError, match="cannot write"):
        clean(object())


def test_validation_names_each_problem_by_its_path(full) -> None:
    doc = no_nan(full[0])
    doc["tables"]["table_8_2"][0]["p_value"] = 1.5
    del doc["warnings"][0]["code"]
    with pytest.raises(SchemaError) as err:
        validate(doc)
    assert "$.tables.table_8_2[0].p_value" in str(err.value) and "$.warnings[0]" in str(err.value)
    with pytest.raises(SchemaError, match="its schema is 'evalkit.results/0'"):
        validate({**doc, "schema": "evalkit.results/0"})


def test_results_with_a_tidy_frame_become_its_records() -> None:
    from evalkit.results import WaldTest

    test = WaldTest(statistic=2.5, df_num=3, p_value=0.06, null="no pre-trend")
    rows = to_jsonable({"pretrend": test, "frames": [pd.DataFrame({"a": [1]})]})
    assert rows["pretrend"] == records(test.tidy()) and rows["frames"] == [[{"a": 1}]]
    assert rows["pretrend"][0]["p_value"] == pytest.approx(0.06)


def test_other_studies_share_the_core_of_the_layout(full) -> None:
    doc = no_nan(full[0])
    core = {k: doc[k] for k in ("schema", "study", "title", "provenance", "warnings")}
    validate({**core, "study": "neet", "tables": {"table_2": [{"row": "women", "share": 0.4}]}})
    with pytest.raises(SchemaError, match="'inference' is a required property"):
        validate(core)  # a FUI document needs its sections
    with pytest.raises(SchemaError, match="'provenance' is a required property"):
        validate({k: v for k, v in core.items() if k != "provenance"} | {"study": "neet"})
