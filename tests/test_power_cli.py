"""``evalkit power``: every option documented, a run on an outcome table writes the table, plot and
JSON, and user errors end with exit 2 and a message naming the option, file or column."""

from __future__ import annotations

import argparse
import json
import re

import numpy as np
import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.report.json_contract import validate


@pytest.fixture(scope="module")
def frame_csv(tmp_path_factory):
    """County x month cells (share employed, persons) of 12 counties, 2014-01 .. 2016-12."""
    rng = np.random.default_rng(4)
    counties, months = [f"county {i:02d}" for i in range(12)], pd.period_range("2014-01", "2016-12", freq="M")
    shock = rng.normal(0, 0.02, (12, len(months)))
    n = rng.integers(30, 80, (12, len(months)))
    table = pd.DataFrame({
        "fylke": np.repeat(counties, len(months)), "month": np.tile(months.astype(str), 12), "persons": n.ravel(),
        "employed": (rng.binomial(n, np.clip(0.4 + shock, 0, 1)) / n).ravel(),
    })
    folder = tmp_path_factory.mktemp("power")
    table.to_csv(folder / "cells.csv", index=False)
    starts = ["2017-01"] * 4 + ["2017-07"] * 8
    pd.DataFrame({"county": counties, "region": ["a"] * 4 + ["b"] * 8, "start_month": starts}).to_csv(
        folder / "schedule.csv", index=False)
    return str(folder / "cells.csv")


def _frame(path: str) -> list[str]:
    return ["--frame", path, "--schedule", path.replace("cells.csv", "schedule.csv"), "--unit", "fylke",
            "--period", "month", "--count", "persons", "--outcome", "employed"]


def test_help_documents_every_option(capsys):
    assert main(["power", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--data", "--roles", "--frame", "--unit", "--period", "--count", "--outcome", "--horizon",
                   "--washout", "--max-age", "--before", "--schedule", "--post-window", "--pre-window",
                   "--candidate", "--inference", "--effects", "--alpha", "--target", "--assignments",
                   "--shift-step", "--n-boot", "--weight-type", "--rng", "--out", "--json", "--scale", "--seed",
                   "--county-icc", "--estimator", "--event-span", "--strata", "--covariate"):
        assert option in text, option


def test_every_option_of_the_parser_has_help_text(capsys):
    from evalkit.cli import build_parser

    parser = build_parser()
    power = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["power"]
    assert main(["power", "--help"]) == 0
    text = capsys.readouterr().out
    for action in power._actions:
        if action.option_strings:
            assert action.help and len(action.help) > 10, action.option_strings
            assert action.option_strings[0] in text


def test_a_run_on_an_outcome_table_writes_table_plot_and_json(frame_csv, tmp_path, capsys):
    out = tmp_path / "power"
    code = main(["power", *_frame(frame_csv), "--before", "2017-01", "--candidate", "five=2017-01:5",
                 "--inference", "randomization", "--assignments", "2", "--shift-step", "3", "--rng", "1",
                 "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Minimum detectable effect" in printed and "| five | employed |" in printed
    assert sorted(p.name for p in out.iterdir()) == ["mde.csv", "power.csv", "power.json", "power.md", "power.png",
                                                      "replications.csv"]
    document = json.loads((out / "power.json").read_text())
    validate(document)
    assert {r["schedule"] for r in document["mde"]} == {"planned", "five"}
    assert document["provenance"]["inputs"][0]["name"] == "cells.csv"


def test_an_event_study_run_reports_every_event_time(frame_csv, capsys):
    code = main(["power", *_frame(frame_csv), "--before", "2017-01", "--estimator", "event_study",
                 "--assignments", "1", "--shift-step", "6", "--n-boot", "99", "--rng", "1", "--json", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    document = json.loads(printed)
    validate(document)
    assert {r["term"] for r in document["mde"]} == {"ATT", *[f"event_time::{e}" for e in range(6)]}
    assert {d["estimator"] for d in document["designs"]} == {"event_study"}


def test_strata_from_the_schedule_regions(frame_csv, capsys):
    # regions a (4 counties) and b (8): the 4 January counties are spread 1 + 3 (proportional allocation)
    code = main(["power", *_frame(frame_csv), "--before", "2017-01", "--strata", "region", "--inference",
                 "randomization", "--assignments", "2", "--shift-step", "6", "--json", "--quiet"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0 and {d["n_treated"] for d in document["designs"]} == {4}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--candidate", "2017-01:6,2017-04:rest;post=2017-03..2017-06"], "inside the post window"),
        (["--alpha", "2"], "argument --alpha: expected a number strictly between 0 and 1"),
        (["--assignments", "0"], "argument --assignments: expected a positive whole number"),
        (["--effects", "a,b"], "argument --effects: expected numbers"),
        (["--outcome", "jobb"], r"column\(s\) \['jobb'\] are not in the outcome frame"),
        (["--before", "2015-01"], "spans 16 entry months"),
        (["--post-window", "2017-03..2017-01"], "--schedule/--post-window/--pre-window/--event-span: post window ends before"),
        (["--candidate", "2017-01:30"], "needs 30 units but the data have 12"),
        (["--estimator", "event_study", "--inference", "randomization"], "wild cluster bootstrap only"),
        (["--event-span", "2017-02..2017-06"], "must contain the first wave's start"),
        (["--strata", "fylket"], "--strata 'fylket' is not a column of --frame"),
        (["--covariate", "ledighet"], r"covariate\(s\) \['ledighet'\] are not columns"),
    ],
)
def test_user_errors_name_what_was_given(frame_csv, capsys, extra, message):
    code = main(["power", *_frame(frame_csv), "--assignments", "1", *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert re.search(message, err), err


def test_inputs_are_checked_before_any_work(frame_csv, tmp_path, capsys):
    assert main(["power", "--frame", str(tmp_path / "none.csv")]) == 2
    assert "--frame" in capsys.readouterr().err
    assert main(["power", "--frame", frame_csv, "--data", frame_csv]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["power", "--roles", frame_csv]) == 2
    assert "give --data too" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["power", *_frame(frame_csv), "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err
