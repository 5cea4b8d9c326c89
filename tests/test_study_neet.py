"""The neet_risk_factors kind of study: `evalkit run neet`, overrides, its template, bad files."""

from __future__ import annotations

import json

import pytest

from evalkit import Study
from evalkit.cli import main
from evalkit.replications.neet import NeetReplication, run_neet
from evalkit.study import template

SMALL = ["--set", "synthetic.scale=0.02"]


def test_run_neet_prints_the_tables_beside_the_note(capsys):
    assert main(["-q", "run", "neet", *SMALL]) == 0
    text = capsys.readouterr().out
    assert "Table 2: logit of long-term NEET" in text and "Table 4" in text and "Models 2-4" in text


def test_run_neet_is_run_neet_with_the_study_settings(capsys, tmp_path):
    study = Study.from_toml("neet").with_overrides({"synthetic.scale": 0.02, "models.fit": "model_1,model_3",
                                                    "definitions.min_months": 12})
    result = study.run()
    assert isinstance(result, NeetReplication)
    direct = run_neet(scale=0.02, seed=2023, min_months=12, models=("model_1", "model_3"))
    assert set(result.models) == set(direct.models) == {"model_1", "model_3"}
    assert result.tidy().equals(direct.tidy())
    out = tmp_path / "out"
    args = ["-q", "run", "neet", *SMALL, "--json", "--out", str(out), "--set", "definitions.min_months=12",
            "--set", "models.fit=model_1,model_3"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "neet_risk_factors" and doc["settings"]["definitions"]["min_months"] == 12
    estimates = {(r["model"], r["term"]) if "model" in r else r["term"]: r["estimate"] for r in doc["models"]}
    assert len(estimates) == len(direct.tidy())
    assert json.loads((out / "results.json").read_text(encoding="utf-8")) == doc
    assert (out / "table_2.csv").stat().st_size > 0


def test_the_neet_template_loads(tmp_path):
    path = tmp_path / "neet.toml"
    assert main(["-q", "init-study", str(path), "--kind", "neet_risk_factors"]) == 0
    assert path.read_text(encoding="utf-8") == template("neet_risk_factors")
    mine, bundled = Study.from_toml(path).settings, Study.from_toml("neet").settings
    mine.pop("title"), bundled.pop("title")
    assert mine == bundled


@pytest.mark.parametrize("text, sets, expected", [
    ('[synthetic]\nscal = 0.1\n', [], ["[synthetic]", "'scal'", "Did you mean 'scale'?"]),
    ('[data]\nmonthly = "m.csv"\n', [], ["[data] monthly and", "[data] persons", "both"]),
    ('[definitions]\nreference_month = "December"\n', [], ["[definitions] reference_month", "'December'"]),
    ('[models]\nfit = ["model_9"]\n', [], ["[models] fit item 1", "'model_9'"]),
    ('[columns]\npersn = "id"\n', [], ["[columns] persn", "Did you mean 'person'?"]),
    ('[data]\nmonthly = "m.csv"\npersons = "p.csv"\n', [], ["[data] monthly", "m.csv", "no such file"]),
    ("", ["--set", "synthetic.seed=-1"], ["--set synthetic.seed", "at least 0"]),
    ("", ["--norwegian"], ["--norwegian", "neet_risk_factors"]),
], ids=["unknown key", "monthly without persons", "month unreadable", "unknown model", "unknown role",
        "extract missing", "negative seed", "norwegian labels"])
def test_bad_neet_study_files_exit_2_naming_the_key(tmp_path, capsys, text, sets, expected):
    path = tmp_path / "bad.toml"
    path.write_text('kind = "neet_risk_factors"\n' + text, encoding="utf-8")
    if sets == ["--norwegian"]:
        sets = [*sets, *SMALL]
    assert main(["run", str(path), *sets]) == 2
    err = capsys.readouterr().err
    assert "evalkit: error: " in err and "Traceback" not in err
    for piece in expected:
        assert piece in err, f"{piece!r} not in {err!r}"
