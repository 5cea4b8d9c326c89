"""Study files: `evalkit run`, the bundled fui study, overrides, the template, the Python API.

The runs use the synthetic panel at a small scale; the designs the issue asks for (a
March-May window, a 12-month horizon) are run from the command line without code.
"""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from evalkit import Study
from evalkit.cli import main
from evalkit.errors import StudyError
from evalkit.panel.months import parse_month
from evalkit.replications.fui import FuiReplication
from evalkit.replications.fui.sample import PUBLISHED_COVARIATES
from evalkit.replications.fui.synthetic import simulate_fui_panel
from evalkit.study import KINDS, bundled_studies, template
from evalkit.study.schema import Key, Table

SMALL = ["--set", "data.synthetic.scale=0.05"]
QUICK = ["--set", "inference.few_clusters=false", "--set", "event_study.enabled=false", "--set", "placebo.enabled=false"]


def test_run_fui_prints_exactly_what_fui_prints(capsys):
    assert main(["-q", "fui", "--scale", "0.05", "--n-boot", "99"]) == 0
    fui = capsys.readouterr().out
    assert main(["-q", "run", "fui", *SMALL, "--set", "inference.n_boot=99"]) == 0
    run = capsys.readouterr().out
    assert run == fui
    assert "Table 8.2: employment" in run and "Event study" in run and "Placebo" in run


def test_the_fui_options_are_settings_of_the_fui_study(capsys):
    args = ["-q", "fui", "--scale", "0.05", "--seed", "3", "--no-few-clusters", "--no-event-study", "--json",
            "--effect-education", "1:0.1,3:0.1,6:0.1,9:0.1"]
    assert main(args) == 0
    fui = json.loads(capsys.readouterr().out)
    sets = ["data.synthetic.scale=0.05", "data.synthetic.seed=3", "inference.few_clusters=false",
            "event_study.enabled=false", "data.synthetic.effects.education=1:0.1,3:0.1,6:0.1,9:0.1"]
    assert main(["-q", "run", "fui", "--json", *[x for s in sets for x in ("--set", s)]]) == 0
    assert json.loads(capsys.readouterr().out) == fui


@pytest.fixture(scope="module")
def truncated(tmp_path_factory):
    """A study file next to a synthetic panel that ends in March 2018 (so horizon 12 is censored)."""
    root = tmp_path_factory.mktemp("study_inputs")
    data = simulate_fui_panel(scale=0.05, seed=11)
    panel = data.panel[pd.to_datetime(data.panel["month"]) <= "2018-03-01"]
    panel.to_csv(root / "panel.csv", index=False)
    data.unemployment.to_csv(root / "unemployment.csv", index=False)
    study = root / "my_study.toml"
    study.write_text(
        'kind = "entry_cohort_did"\n[data]\npanel = "panel.csv"\nunemployment = "unemployment.csv"\n',
        encoding="utf-8",
    )
    return root, study


def test_march_may_windows_and_a_12_month_horizon_from_the_command_line(truncated, tmp_path, monkeypatch, capsys):
    root, study = truncated
    monkeypatch.chdir(tmp_path)  # the study file's paths are relative to its folder, not the cwd
    out = tmp_path / "out"
    args = ["-q", "run", str(study), "--json", "--out", str(out),
            "--set", "design.windows.t1=2016-03..2016-05", "--set", "design.windows.t2=2017-03..2017-05",
            "--set", "outcomes.horizons=1,3,6,12", "--set", "event_study.horizons=1,3,6",
            "--set", "inference.n_boot=99"]
    assert main(args) == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    rows = doc["tables"]["table_8_2"]
    assert {r["horizon"] for r in rows if r["term"] == "fui_effect"} == {1, 3, 6, 12}
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["tables"] == doc["tables"]
    # the entry-month dummies follow the windows: March is the reference, April and May have dummies
    months = sorted({r["term"] for r in rows if r["term"].startswith("entry_month")})
    assert months == ["entry_month_4", "entry_month_5"]
    assert doc["provenance"]["options"]["study"]["source"] == "my_study.toml"
    assert doc["provenance"]["inputs"][0]["name"] == "panel.csv"
    # horizon 12: entrants whose outcome month lies past the panel's end (March 2018) are censored,
    # counted and left out; nobody else is
    sizes = {(m["outcome"], m["horizon"]): m for m in doc["sample_sizes"]}
    result = Study.from_toml(study).with_overrides({
        "design.windows.t1": "2016-03..2016-05", "design.windows.t2": "2017-03..2017-05",
        "outcomes.horizons": [1, 3, 6, 12], "inference.few_clusters": False, "event_study.enabled": False,
        "placebo.enabled": False,
    }).run()
    frame = result.sample.frame
    past_end = (frame["entry_month"] + 12 > parse_month("2018-03")).to_numpy()
    assert past_end.sum() > 0 and set(frame.loc[past_end, "window"]) == {"t2"}
    assert frame.loc[past_end, "employed_12"].isna().all()
    for outcome in ("employed", "in_education"):
        model = sizes[(outcome, 12)]
        assert model["excluded"]["outcome_censored"] == past_end.sum()
        assert model["entrants"] == model["used"] + sum(model["excluded"].values()) == len(frame)
        assert sizes[(outcome, 6)]["excluded"]["outcome_censored"] == 0
    assert result.conventional.models[("employed", 12)].nobs == sizes[("employed", 12)]["used"]


def test_february_june_windows_get_a_february_reference_and_four_dummies():
    study = Study.from_toml("fui").with_overrides({
        "data.synthetic.scale": 0.05, "design.windows.t1": "2016-02..2016-06", "design.windows.t2": "2017-02..2017-06",
        "inference.few_clusters": False, "event_study.enabled": False, "placebo.enabled": False,
    })
    result = study.run()
    assert isinstance(result, FuiReplication)
    months = [c for c in result.conventional.covariates if c.startswith("entry_month")]
    assert months == ["entry_month_3", "entry_month_4", "entry_month_5", "entry_month_6"]
    assert set(result.sample.frame["entry_calendar_month"]) == {2, 3, 4, 5, 6}
    # each dummy is exactly the entrants of its calendar month
    model = result.conventional.models[("employed", 1)]
    frame = result.sample.frame.loc[model.data.index]
    for name in months:
        assert (model.data[name] == (frame["entry_calendar_month"] == int(name.split("_")[-1]))).all()


def test_ever_by_the_horizon_and_a_narrower_target_group():
    result = Study.from_toml("fui").with_overrides({
        "data.synthetic.scale": 0.05, "outcomes.measure": "ever", "outcomes.horizons": "3,6",
        "population.categories": ["standard", "situational"], "inference.few_clusters": False,
        "event_study.enabled": False, "placebo.enabled": False,
    }).run()
    assert set(result.conventional.models) == {("ever_employed", 3), ("ever_employed", 6),
                                               ("ever_in_education", 3), ("ever_in_education", 6)}
    assert "category_situational" in result.conventional.covariates
    assert "category_specially_adapted" not in result.conventional.covariates  # no such entrant any more
    frame = result.sample.frame
    both = frame[["employed_6", "ever_employed_6", "ever_employed_3"]].dropna()
    assert (both["ever_employed_6"] >= both["employed_6"]).all()
    assert (both["ever_employed_6"] >= both["ever_employed_3"]).all()
    for m in result.exclusions().to_dict(orient="records"):
        assert m["entrants"] == m["used"] + sum(v for k, v in m.items() if k.startswith("excluded_"))


def _statsmodels_fit(frame: pd.DataFrame, outcome: str, clustered: bool):
    """The reference: statsmodels OLS of the same model with every dummy (county ones included) spelled out."""
    import statsmodels.api as sm

    X = pd.DataFrame({"t2": frame["t2"], "south_west:t2": frame["t2"] * frame["south_west"]}, dtype=float)
    for column, prefix, levels in (("nav_category", "category", ("situational", "specially_adapted")),
                                   ("age_group", "age", ("20_24", "25_29")),
                                   ("education_level", "education", ("upper_secondary", "higher"))):
        for level in levels:
            X[f"{prefix}_{level}"] = (frame[column] == level).astype(float)
    for column in ("female", "county_unemployment_pct", "age"):
        X[column] = frame[column].astype(float)
    for month in (4, 5, 6):
        X[f"entry_month_{month}"] = (frame["entry_calendar_month"] == month).astype(float)
    counties = pd.get_dummies(frame["county"].astype(str), prefix="fe_county", dtype=float)
    X = pd.concat([X, counties], axis=1)
    y = frame[outcome].astype(float)
    if not clustered:
        return sm.OLS(y, X).fit(), 1.0
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["county"])[0]})
    # small-sample factor of fixest/pyfixest (evalkit's CR1): county effects nested in the county
    # clusters count as one parameter, statsmodels counts every dummy
    n, k = X.shape
    return fit, np.sqrt((n - k) / (n - (k - counties.shape[1] + 1)))


def test_a_study_with_another_model_matches_statsmodels_with_the_same_dummies():
    study = Study.from_toml("fui").with_overrides({
        "data.synthetic.scale": 0.05, "outcomes.horizons": [3], "inference.few_clusters": False,
        "event_study.enabled": False, "placebo.enabled": False,
        "model.covariates": ["nav_category", "female", "age_group", "education_level", "county_unemployment_pct",
                             "age"],
        "model.fixed_effects": ["county"],
    })
    result = study.run()
    for regressions, clustered in ((result.conventional, False), (result.clustered, True)):
        model = regressions.models[("in_education", 3)]
        assert "south_west" not in model.params.index  # absorbed by the county effects
        frame = result.sample.frame.loc[model.data.index]
        reference, factor = _statsmodels_fit(frame, "in_education_3", clustered)
        assert model.nobs == reference.nobs
        terms = list(model.params.index)
        assert set(terms) == set(reference.params.index) - {c for c in reference.params.index if c.startswith("fe_county_")}
        np.testing.assert_allclose(model.params[terms], reference.params[terms], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(model.std_errors[terms], reference.bse[terms] * factor, rtol=1e-8)
    assert result.clustered.fixed_effects == ("county",) and "age" in result.clustered.covariates
    # the bundled study states the published model through the same keys
    assert Study.from_toml("fui").get("model.covariates") == PUBLISHED_COVARIATES


def _without_provenance(text: str) -> str:
    """The report without the provenance lines, which echo the study's settings (``compare.published``)."""
    return "\n".join(line for line in text.splitlines() if '"published": false' not in line
                     and "&quot;published&quot;: false" not in line)


def test_the_published_comparison_switched_off_leaves_no_published_column_or_wording(tmp_path, capsys):
    """A Norwegian run of one's own study: no published numbers or wording, and no English prose."""
    out = tmp_path / "out"
    args = ["-q", "run", "fui", "--set", "data.synthetic.scale=0.03", *QUICK, "--set", "compare.published=false",
            "--lang", "nb", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out  # the terminal's headings are English, the reports' Norwegian
    assert "Table 8.2" in text and "Tabell 8.2" in (out / "report.md").read_text(encoding="utf-8")
    for shown in (text, (out / "report.md").read_text(encoding="utf-8"), (out / "report.html").read_text(encoding="utf-8")):
        assert "publish" not in _without_provenance(shown).lower()
        assert "publiser" not in _without_provenance(shown).lower()
    assert not (out / "published_vs_reproduced.csv").exists()
    # the Norwegian report has no English prose: warnings, the disclosure note, provenance
    for shown in ((out / "report.md").read_text(encoding="utf-8"), (out / "report.html").read_text(encoding="utf-8")):
        for english in ("assumed untreated", "bad control", "County-clustered", "Disclosure control", "horizon ",
                        "maximum age", "[exposed]", "input:", "options:"):
            assert english not in shown, english
        assert "antatt ubehandlet" in shown and "dårlig kontrollvariabel" in shown and "Røpingskontroll" in shown
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["comparison"]["cells"] == 0
    assert all(r["published_estimate"] is None for r in doc["tables"]["table_8_2"])
    assert all(r["published"] is None for r in doc["tables"]["table_8_1"])


def test_ever_by_outcomes_render_in_the_terminal_markdown_html_and_json(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["-q", "run", "fui", "--set", "data.synthetic.scale=0.03", *QUICK, "--set", "outcomes.measure=ever",
            "--set", "outcomes.horizons=3,6", "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    effect = next(r for r in doc["tables"]["model_ever_employed"] if r["term"] == "fui_effect" and r["horizon"] == 6)
    cell = f"{effect['estimate']:.3f} ({effect['std_error']:.3f})"
    assert "Model of ever employed" in text and "Model of ever in education" in text and cell in text
    assert "6 mo published" not in text  # the publication has no table of ever-by outcomes
    markdown = (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    for shown in (markdown, page):
        assert "Linear probability model: ever employed" in shown and "ever in education" in shown
        assert cell.split(" ")[0] in shown
    assert "<section id='model-ever-employed'>" in page
    assert {r["horizon"] for r in doc["tables"]["model_ever_in_education"]} == {3, 6}
    assert all(r["published_estimate"] is None for r in doc["tables"]["model_ever_employed"])
    for name in ("model_ever_employed.csv", "model_ever_employed.md", "model_ever_in_education.html"):
        assert (out / name).exists()


def test_every_design_warning_has_its_norwegian_text():
    from evalkit.errors import EvalkitError
    from evalkit.replications.fui.labels import warning_text

    warnings = [{"code": "contamination", "message": "x", "group": "rest_t2", "horizon": 3, "share_exposed": 0.26},
                {"code": "contamination", "message": "x", "group": "rest_t2", "horizon": 3, "share_exposed": None},
                {"code": "bad_control", "message": "x"},
                {"code": "few_clusters", "message": "x", "n_clusters": 18, "n_treated_clusters": 6}]
    texts = [warning_text(w, "nb", few_clusters=True, marker="<5") for w in warnings]
    assert texts[0].startswith("horisont 3: 26 % av gruppen Resten av landet, t2")
    assert "noen (<5) av gruppen" in texts[1]
    assert "18 fylker (6 behandlet)" in texts[3] and "Conley og Taber" in texts[3]
    assert warning_text(warnings[2], "en", few_clusters=True) == "x"
    with pytest.raises(EvalkitError, match="no Norwegian text"):
        warning_text({"code": "new_warning", "message": "x"}, "nb", few_clusters=True)


def test_run_check_exits_1_when_an_expectation_fails(tmp_path, capsys):
    expect = tmp_path / "expect.toml"
    expect.write_text('schema = "evalkit.expect/1"\nstudy = "fui"\n\n[[warning]]\ncode = "bad_control"\n\n'
                      '[[value]]\npath = "comparison.max_abs_diff_in_se"\nmax = 0.0\n', encoding="utf-8")
    args = ["-q", "run", "fui", "--set", "data.synthetic.scale=0.03", *QUICK, "--check", str(expect)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "FAIL" in err and "max_abs_diff_in_se" in err and "1 failed" in err
    expect.write_text('schema = "evalkit.expect/1"\nstudy = "fui"\n\n[[warning]]\ncode = "bad_control"\n',
                      encoding="utf-8")
    assert main([*args, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["study"] == "fui"  # stdout stays one JSON document
    # a bad expectation file is found before the run
    expect.write_text("schema = 3\n", encoding="utf-8")
    assert main(args) == 2
    assert "simulating" not in capsys.readouterr().err


# --- the template and the bundled study -------------------------------------------------------


def _keys(table: Table, prefix: str = "") -> set[str]:
    keys = set()
    for name, spec in table.keys.items():
        dotted = f"{prefix}.{name}" if prefix else name
        keys |= _keys(spec, dotted) if isinstance(spec, Table) else {dotted}
        if isinstance(spec, Table):
            keys.add(dotted)
    return keys


def test_init_study_writes_a_commented_template_that_loads(tmp_path, capsys):
    path = tmp_path / "new.toml"
    assert main(["-q", "init-study", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text == template()
    assert text.count("\n# ") > 20
    study = Study.from_toml(path)
    fui = Study.from_toml("fui")
    mine, bundled = study.settings, fui.settings
    assert mine.pop("title") == "" and bundled.pop("title").startswith("FUI")
    assert mine == bundled  # the template's defaults are the published FUI design
    # every key of the schema is in the template
    doc = tomllib.loads(text)
    for dotted in _keys(KINDS["entry_cohort_did"].schema):
        node = doc
        for part in dotted.split("."):
            if dotted == "data.synthetic.effects" or dotted == "data.synthetic.county_icc":
                break  # no default to write: present as a comment
            assert part in node, dotted
            node = node[part]
    # an existing file is kept unless --force
    assert main(["init-study", str(path)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["-q", "init-study", str(path), "--force"]) == 0


def test_bundled_studies_and_the_python_api():
    assert "fui" in bundled_studies()
    study = Study.from_toml("fui")
    # settings that only make sense together are changed together (each study is checked whole)
    changed = study.with_overrides({"design.windows.t1": "2016-03..2016-05", "design.windows.t2": ("2017-03", "2017-05")})
    with pytest.raises(StudyError, match="same calendar months"):
        study.set("design.windows.t1", "2016-03..2016-05")
    assert study.set("population.max_age", 24).set("outcomes.states", ["employed"]).get("outcomes.states") == ("employed",)
    assert changed.get("design.windows") == {"t1": ("2016-03", "2016-05"), "t2": ("2017-03", "2017-05")}
    assert study.get("design.windows")["t1"] == ("2016-03", "2016-06")  # the original is unchanged
    settings = study.settings
    settings["population"]["washout"] = 3
    assert study.get("population.washout") == 12  # settings are a copy
    assert study.with_overrides({"outcomes.horizons": "1, 3 ,12"}).get("outcomes.horizons") == (1, 3, 12)
    assert study.with_overrides({"inference.few_clusters": "no"}).get("inference.few_clusters") is False
    # one window changed in a file that gives none: the other keeps its default
    bare = Study.from_dict({"kind": "entry_cohort_did"})
    later = bare.with_overrides({"design.windows.t2": "2017-03..2017-06", "design.windows.t1": "2015-03..2015-06"})
    assert later.get("design.windows") == {"t1": ("2015-03", "2015-06"), "t2": ("2017-03", "2017-06")}
    assert bare.set("placebo.windows.p2", "2016-07..2016-09").get("placebo.windows")["p1"] == ("2016-03", "2016-05")


# --- bad study files ---------------------------------------------------------------------------------

GOOD = 'kind = "entry_cohort_did"\n'

#: (id, study file text, --set options, strings the message must contain)
BAD: list[tuple[str, str, list[str], list[str]]] = [
    ("unknown table", GOOD + "[dta]\npanel = 'x.csv'\n", [], ["unknown table 'dta'", "Did you mean 'data'?"]),
    ("unknown key", GOOD + "[population]\nwashot = 12\n", [], ["[population]", "'washot'", "'washout'"]),
    ("text for a number", GOOD + '[population]\nwashout = "12"\n', [], ["[population] washout", "whole number", "'12'"]),
    ("fraction for a whole number", GOOD + "[population]\nwashout = 1.5\n", [], ["[population] washout", "1.5"]),
    ("flag for a whole number", GOOD + "[inference]\nn_boot = true\n", [], ["[inference] n_boot", "True"]),
    ("negative washout", GOOD + "[population]\nwashout = -1\n", [], ["[population] washout", "at least 0"]),
    ("no horizons", GOOD + "[outcomes]\nhorizons = []\n", [], ["[outcomes] horizons", "at least one item"]),
    ("horizon twice", GOOD + "[outcomes]\nhorizons = [1, 3, 3]\n", [], ["[outcomes] horizons", "[3]", "once"]),
    ("horizon zero", GOOD + "[outcomes]\nhorizons = [0, 3]\n", [], ["[outcomes] horizons item 1", "at least 1"]),
    ("unknown category", GOOD + '[population]\ncategories = ["standrd"]\n', [],
     ["[population] categories item 1", "'standrd'", "Did you mean 'standard'?"]),
    ("unknown measure", GOOD + '[outcomes]\nmeasure = "sometimes"\n', [], ["[outcomes] measure", "'at', 'ever'"]),
    ("three windows", GOOD + '[design.windows]\na = "2016-03..2016-06"\nb = "2017-03..2017-06"\nc = "2018-03..2018-06"\n',
     [], ["[design.windows]", "exactly 2", "['a', 'b', 'c']"]),
    ("window not a span", GOOD + '[design.windows]\nt1 = "March 2016"\nt2 = "2017-03..2017-06"\n', [],
     ["[design.windows] t1", "first..last", "'March 2016'"]),
    ("window month unreadable", GOOD + '[design.windows]\nt1 = "2016-13..2016-14"\nt2 = "2017-03..2017-06"\n', [],
     ["[design.windows] t1", "'2016-13'"]),
    ("window backwards", GOOD + '[design.windows]\nt1 = "2016-06..2016-03"\nt2 = "2017-03..2017-06"\n', [],
     ["[design.windows] t1", "ends before it starts"]),
    ("windows overlap", GOOD + '[design.windows]\nt1 = "2016-03..2016-06"\nt2 = "2016-05..2016-08"\n', [],
     ["[design.windows]", "must start after", "t1"]),
    ("windows of other months", GOOD + '[design.windows]\nt1 = "2016-02..2016-06"\nt2 = "2017-03..2017-06"\n', [],
     ["[model] entry_month_dummies", "same calendar months", "[2, 3, 4, 5, 6]", "entry_month_dummies = false"]),
    ("no kind", "[population]\nwashout = 12\n", [], ["no kind", "entry_cohort_did"]),
    ("unknown kind", 'kind = "entry_cohort"\n', [], ["unknown kind 'entry_cohort'", "Did you mean 'entry_cohort_did'?"]),
    ("not toml", GOOD + "[population\nwashout = 12\n", [], ["not valid TOML", "line 2"]),
    ("empty", "", [], ["is empty", "init-study"]),
    ("a key as a table", GOOD + "[population.washout]\nx = 1\n", [], ["[population] washout", "got a table"]),
    ("a table as a value", GOOD + "population = 3\n", [], ["population", "expected a table"]),
    ("effect at a horizon the simulator lacks", GOOD + "[data.synthetic.effects]\neducation = {2 = 0.1}\n", [],
     ["[data.synthetic.effects] education", "1, 3, 6, 9", "[2]"]),
    ("effect beyond a probability", GOOD + "[data.synthetic.effects]\neducation = 3\n", [],
     ["[data.synthetic.effects] education", "-1 to 1"]),
    ("effect of an unknown outcome", GOOD + "[data.synthetic.effects]\nwages = 0.1\n", [],
     ["[data.synthetic.effects] wages", "'employment', 'education'"]),
    ("scale too small", GOOD + "[data.synthetic]\nscale = 0.0\n", [], ["[data.synthetic] scale", "at least 0.001"]),
    ("unknown decimal mark", GOOD + "[data]\ndecimal = ';'\n", [], ["[data] decimal", "';'"]),
    ("unknown encoding", GOOD + "[data]\nencoding = 'klingon'\n", [], ["[data] encoding", "'klingon'"]),
    ("panel without unemployment", GOOD + "[data]\npanel = 'p.csv'\n", [], ["[data] panel needs", "[data] unemployment"]),
    ("panel missing", GOOD + "[data]\npanel = 'p.csv'\nunemployment = 'u.csv'\n", [], ["[data] panel", "p.csv", "no such file"]),
    ("treated region unknown", GOOD + "[design]\ntreated_region = 'north'\n", [],
     ["[design] treated_region", "'north'", "'rest', 'south_west'"]),
    ("windows before the bundled schedule fits", GOOD + '[design.windows]\nt1 = "2016-03..2016-06"\nt2 = "2017-09..2017-12"\n'
     "[model]\nentry_month_dummies = false\n", [], ["[design.windows]", "schedule", "comparison but exposed"]),
    ("unknown covariate", GOOD + '[model]\ncovariates = ["female", "wages"]\n', [],
     ["[model] covariates item 2", "'wages' is not a column", "county_unemployment_pct", "entry_month"]),
    ("unknown fixed effect", GOOD + '[model]\nfixed_effects = ["kommune"]\n', [],
     ["[model] fixed_effects item 1", "'kommune'", "'county'"]),
    ("covariate and fixed effect", GOOD + '[model]\nfixed_effects = ["female"]\n', [],
     ["[model] covariates", "[model] fixed_effects", "['female']"]),
    ("age bands overlap", GOOD + '[population]\nmin_age = 18\nage_groups = ["18-22", "22-25", "26-29"]\n', [],
     ["[population] age_groups", "18-22 and 22-25 overlap"]),
    ("age bands with a gap", GOOD + '[population]\nmin_age = 18\nage_groups = ["18-21", "23-29"]\n', [],
     ["[population] age_groups", "no band holds age 22", "18-21 and 23-29"]),
    ("age band outside the ages", GOOD + '[population]\nmin_age = 18\nage_groups = ["18-24", "25-34"]\n', [],
     ["[population] age_groups", "25-34 lies outside the ages 18-29"]),
    ("age bands above min_age", GOOD + '[population]\nage_groups = ["18-21", "22-25", "26-29"]\n', [],
     ["[population] age_groups", "no band holds ages 0-17", "min_age 0"]),
    ("age band unreadable", GOOD + '[population]\nage_groups = ["18 to 21"]\n', [],
     ["[population] age_groups item 1", "'18 to 21'", "lowest-highest"]),
    ("min_age above max_age", GOOD + "[population]\nmin_age = 30\n", [],
     ["[population] min_age", "30", "[population] max_age"]),
    ("set overlapping bands", GOOD, ["--set", "population.age_groups=0-20,20-29"],
     ["--set population.age_groups", "0-20 and 20-29 overlap"]),
    ("entry-month effects and dummies", GOOD + '[model]\nfixed_effects = ["entry_month"]\n'
     "[inference]\nfew_clusters = false\n", [], ["[model] fixed_effects", "[model] entry_month_dummies"]),
    # overrides on the command line name the --set option
    ("set an unknown key", GOOD, ["--set", "design.window.t1=2016-03..2016-05"],
     ["--set design.window.t1", "no key 'window'", "Did you mean 'windows'?"]),
    ("set an unreadable list", GOOD, ["--set", "outcomes.horizons=1,x"], ["--set outcomes.horizons", "'1,x'"]),
    ("set a bad window", GOOD, ["--set", "design.windows.t1=2016-03"], ["--set design.windows.t1", "first..last"]),
    ("set a third window", GOOD, ["--set", "design.windows.t3=2018-03..2018-06"], ["[design.windows]", "exactly 2"]),
    ("set a table", GOOD, ["--set", "design=3"], ["--set design", "is a table"]),
    ("set without a value", GOOD, ["--set", "design.treated_region"], ["--set", "table.key=value"]),
    ("set a flag to a word", GOOD, ["--set", "placebo.enabled=maybe"], ["--set placebo.enabled", "true or false"]),
]


@pytest.mark.parametrize("text, sets, expected", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_study_files_exit_2_naming_the_key(tmp_path, capsys, text, sets, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["run", str(path), *sets])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "evalkit: error: " in err and "Traceback" not in err
    assert "simulating" not in err  # found before any work
    for piece in expected:
        assert piece in err, f"{piece!r} not in {err!r}"


def test_bad_study_files_raise_study_error_in_python(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD + "[population]\nwashot = 12\n", encoding="utf-8")
    with pytest.raises(StudyError, match="washot"):
        Study.from_toml(path)
    with pytest.raises(StudyError, match="does not exist"):
        Study.from_toml(tmp_path / "absent.toml")
    with pytest.raises(StudyError, match="bundled studies: .*fui"):
        Study.from_toml("fiu")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe kind")
    with pytest.raises(StudyError, match="not UTF-8"):
        Study.from_toml(tmp_path / "binary.toml")
    with pytest.raises(StudyError, match="override population.washout"):
        Study.from_toml("fui").set("population.washout", -3)
    with pytest.raises(StudyError, match=r"\[population\] washout"):
        Study.from_dict({"kind": "entry_cohort_did", "population": {"washout": "12"}})


def test_schema_keys_have_help_and_defaults_of_their_type():
    def walk(table: Table, prefix: str = "") -> None:
        assert table.help
        for name, spec in table.keys.items():
            dotted = f"{prefix}.{name}" if prefix else name
            if isinstance(spec, Table):
                walk(spec, dotted)
            else:
                assert isinstance(spec, Key) and spec.help, dotted
                if spec.default is not None:  # None: not set, the help line says what that means
                    assert spec.check(spec.default, dotted) == spec.default, dotted

    for kind in KINDS.values():
        walk(kind.schema)


def test_docs_name_every_key_of_every_kind():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "studies.md").read_text(encoding="utf-8")
    for name in KINDS:
        assert f"`{name}`" in text
        for dotted in _keys(KINDS[name].schema):
            *tables, key = dotted.split(".")
            assert f"`{key}`" in text or f"[{dotted}]" in text, dotted
            if tables:
                assert f"[{'.'.join(tables)}]" in text, dotted


# --- age bands of one's own -------------------------------------------------------------------------

def test_a_study_with_its_own_age_bands_and_county_effects_runs_end_to_end():
    """Bands 18-21, 22-25, 26-29: table 8.1's rows, the dummies (18-21 the reference), the event
    study's controls, the labels in both languages and the comparison all follow them.  The
    model absorbs county effects, and the few-cluster p-values are computed and printed."""
    from dataclasses import replace

    from evalkit.replications.fui.event_study import entry_cohorts, event_study_covariates
    from evalkit.replications.fui.labels import spec_line
    from evalkit.replications.fui.report_html import regression_etable, table_8_1_display
    from evalkit.replications.fui.report_text import to_text

    study = Study.from_toml("fui").with_overrides({
        "data.synthetic.scale": 0.03, "inference.n_boot": 99, "placebo.enabled": False, "event_study.enabled": False,
        "outcomes.states": ["employed"], "outcomes.horizons": [3], "model.fixed_effects": ["county"],
        "population.min_age": 18, "population.age_groups": ["18-21", "22-25", "26-29"],
    })
    inputs = study.load()
    result = study.run(inputs)
    frame = result.sample.frame
    assert frame["age"].between(18, 29).all()
    steps = dict(result.sample.entries.report.steps)
    assert steps["excluded: age below 18 or unknown"] > 0  # the synthetic panel has 16- and 17-year-olds
    for label, low, high in (("18_21", 18, 21), ("22_25", 22, 25), ("26_29", 26, 29)):
        assert ((frame["age_group"] == label) == frame["age"].between(low, high)).all()
    model = result.conventional.models[("employed", 3)]
    used = frame.loc[model.data.index]
    for term, (low, high) in (("age_22_25", (22, 25)), ("age_26_29", (26, 29))):
        assert (model.data[term] == used["age"].between(low, high)).all()
    assert [t for t in model.params.index if t.startswith("age_")] == ["age_22_25", "age_26_29"]
    # the event study's cohorts carry the same bands and its controls are their dummies
    covariates = event_study_covariates(result.sample.spec)
    assert covariates == ("female", "age_22_25", "age_26_29", "education_upper_secondary", "education_higher",
                          "county_unemployment_pct")
    cohorts = entry_cohorts(inputs.panel, inputs.unemployment, inputs.schedule, replace(result.sample.spec, horizons=(3,)))
    assert cohorts["age"].min() == 18 and set(covariates) <= set(cohorts.columns)
    assert (cohorts["age_26_29"] == cohorts["age"].between(26, 29)).all()

    doc = study.results_document(result)
    rows = {r["row"] for r in doc["tables"]["table_8_1"]}
    assert {"age_18_21", "age_22_25", "age_26_29"} <= rows and not {"age_under_20", "age_20_24"} & rows
    assert sum(r["count"] for r in doc["tables"]["table_8_1"] if r["row"].startswith("age_")
               and r["group"] == "rest_t1") == (frame["group"] == "rest_t1").sum()
    terms = {r["term"] for r in doc["tables"]["table_8_2"]}
    assert {"age_22_25", "age_26_29"} <= terms and not {"age_18_21", "age_20_24"} & terms
    # the age dummies have another reference band: never compared; the other terms still are
    compared = {r["term"] for r in doc["tables"]["table_8_2"] if r["published_estimate"] is not None}
    assert "fui_effect" in compared and not any(t.startswith("age_") for t in compared)
    assert all(r["published"] is None for r in doc["tables"]["table_8_1"] if r["row"].startswith("age_"))
    text = to_text(result)
    assert "age_22_25" in text and "age_20_24" not in text
    # county effects with the few-cluster inference: p-values of both valid methods for every model
    assert "south_west" not in model.params.index
    few = result.few_clusters
    assert len(few) == 1 and few[["wild_p", "randomization_p", "romano_wolf_p"]].gt(0).all().all()
    assert few["assignments"].eq(18564).all()
    section = text[text.index("Inference with few treated counties"):]
    assert f"{few['randomization_p'].iloc[0]:.3f}" in section and "randomization p" in section
    # the reports' labels (Markdown, HTML, docx, xlsx read these tables)
    shown = table_8_1_display(result, lang="nb").index.tolist() + [str(i) for i in regression_etable(result, "employed", lang="nb").frame.index]
    assert "Alder 22-25 år" in shown and "Alder 18-21 år" in shown and "Alder 26-29 år" in shown
    assert not any("20-24" in str(label) for label in shown)
    assert "alder 18-29 i gruppene 18-21, 22-25, 26-29" in spec_line(result.sample.spec, "nb")


def test_the_published_bands_are_the_default_clipped_to_the_ages():
    from evalkit.replications.fui.sample import FuiSpec

    assert FuiSpec().age_levels() == ("under_20", "20_24", "25_29") and FuiSpec().published_age_groups
    assert FuiSpec(min_age=16, max_age=24).age_bands() == (("16_19", 16, 19), ("20_24", 20, 24))
    assert not FuiSpec(min_age=16).published_age_groups
    # bands equal to the published ones, given explicitly, are the published ones
    assert FuiSpec(age_groups=((0, 19), (20, 24), (25, 29))).published_age_groups
