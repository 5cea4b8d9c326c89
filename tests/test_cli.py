"""The command line as a user runs it."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evalkit.cli import main, parse_effect
from evalkit.replications.fui.synthetic import simulate_fui_panel


def results(text: str) -> dict:
    """A results document without its provenance (which names the input files)."""
    doc = json.loads(text)
    doc.pop("provenance")
    return doc


def test_fui_json_on_the_bundled_synthetic_panel(capsys):
    assert main(["fui", "--scale", "0.1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "evalkit.results/1"
    assert {r["horizon"] for r in doc["tables"]["table_8_2"] if r["term"] == "fui_effect"} == {1, 3, 6, 9}
    kept = next(e["count"] for e in doc["entries"] if e["step"] == "entries kept")
    for model in doc["sample_sizes"]:
        assert model["entrants"] == model["used"] + sum(model["excluded"].values()) == kept


def test_fui_text_and_out_dir(tmp_path, capsys):
    assert main(["fui", "--scale", "0.1", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    text = captured.out
    assert "Table 8.1" in text and "Table 8.3: education" in text and "Design diagnostics" in text
    assert "Entrants in each model" in text and "missing education_level" in text
    assert "evalkit: fitting" not in captured.err  # stages only on a terminal (tests/test_progress.py)
    assert "wrote " in captured.err
    for name in ("table_8_1.csv", "table_8_2.csv", "table_8_3.csv", "sample_sizes.csv", "report.md", "report.html",
                 "results.json"):
        assert (tmp_path / name).stat().st_size > 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<script" not in html and "src=" not in html
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| FUI effect (t2 x South and West) |" in markdown and "## Entrants used in each model" in markdown
    assert "education missing" in markdown and "Entrants used in each model" in html
    tidy = pd.read_csv(tmp_path / "table_8_2.csv")
    assert "fui_effect" in set(tidy["term"]) and "south_west:t2" not in set(tidy["term"])  # one vocabulary
    sizes = pd.read_csv(tmp_path / "sample_sizes.csv")
    excluded = sizes.filter(like="excluded_").sum(axis=1)
    assert (sizes["entrants"] == sizes["used"] + excluded).all()


def test_simulate_then_fui_on_a_user_extract_with_roles(tmp_path, capsys):
    data = simulate_fui_panel(scale=0.1, seed=3)
    renamed = data.panel.rename(columns={"person_id": "lopenr", "month": "aarmnd", "nav_category": "innsatsgruppe"})
    renamed["innsatsgruppe"] = renamed["innsatsgruppe"].replace(
        {"standard": "IKVAL", "situational": "BFORM", "specially_adapted": "BATT", "permanently_adapted": "VARIG"}
    )
    renamed["aarmnd"] = pd.to_datetime(renamed["aarmnd"]).dt.strftime("%Y%m").astype(int)
    extract = tmp_path / "extract.csv"
    renamed.to_csv(extract, index=False)
    unemployment = tmp_path / "unemployment.csv"
    data.unemployment.to_csv(unemployment, index=False)
    roles = tmp_path / "roles.toml"
    roles.write_text(
        '[columns]\nperson = "lopenr"\nmonth = "aarmnd"\nnav_category = "innsatsgruppe"\n\n'
        '[categories]\nIKVAL = "standard"\nBFORM = "situational"\nBATT = "specially_adapted"\n'
        'VARIG = "permanently_adapted"\n',
        encoding="utf-8",
    )
    args = ["fui", "--data", str(extract), "--roles", str(roles), "--unemployment", str(unemployment), "--json"]
    assert main(args) == 0
    from_file = json.loads(capsys.readouterr().out)
    assert main(["fui", "--scale", "0.1", "--seed", "3", "--json"]) == 0
    bundled = json.loads(capsys.readouterr().out)
    assert from_file["tables"]["table_8_1"] == bundled["tables"]["table_8_1"]
    for table in ("table_8_2", "table_8_3"):
        for mine, ref in zip(from_file["tables"][table], bundled["tables"][table], strict=True):
            assert {k: v for k, v in mine.items() if isinstance(v, str)} == {k: v for k, v in ref.items() if isinstance(v, str)}
            numbers = [k for k, v in ref.items() if isinstance(v, float)]
            assert [mine[k] for k in numbers] == pytest.approx([ref[k] for k in numbers], rel=1e-9, abs=1e-12)


def test_norwegian_labels(capsys):
    args = ["fui", "--scale", "0.1", "--norwegian", "--no-event-study", "--no-few-clusters"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Forsterket ungdomsinnsats (t2 x Sør- og Vestlandet)" in text
    assert "Situasjonsbestemt innsats" in text


def test_fui_on_a_parquet_extract_scanned_out_of_core(tmp_path, capsys):
    out = tmp_path / "panel.parquet"
    assert main(["simulate", "--out", str(out), "--scale", "0.1", "--seed", "4"]) == 0
    args = ["fui", "--data", str(out), "--unemployment", str(tmp_path / "panel_unemployment.parquet"), "--json",
            "--no-event-study", "--no-few-clusters"]
    assert main(args) == 0
    scanned = json.loads(capsys.readouterr().out)
    assert main(["fui", "--scale", "0.1", "--seed", "4", "--json", "--no-event-study", "--no-few-clusters"]) == 0
    in_memory = json.loads(capsys.readouterr().out)
    assert scanned["tables"]["table_8_1"] == in_memory["tables"]["table_8_1"]
    cell, ref = ([r for r in doc["tables"]["table_8_3"] if r["term"] == "fui_effect" and r["horizon"] == 3][0]
                 for doc in (scanned, in_memory))
    assert cell["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
    assert cell["std_error"] == pytest.approx(ref["std_error"], rel=1e-10)


def test_simulate_writes_parquet_with_effects(tmp_path):
    out = tmp_path / "panel.parquet"
    assert main(["simulate", "--out", str(out), "--scale", "0.05", "--effect-education", "0.05"]) == 0
    assert len(pd.read_parquet(out)) > 0
    assert (tmp_path / "panel_unemployment.parquet").exists()


def test_data_without_unemployment_is_an_error(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("person_id,month\n1,2016-01\n", encoding="utf-8")
    assert main(["fui", "--data", str(path)]) == 2
    assert "--unemployment" in capsys.readouterr().err


def test_validate_reports_problems(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("person_id,month,county,nav_category,employed,in_education\n1,2016-01,Oslo,,0,3\n", encoding="utf-8")
    assert main(["validate", "--data", str(path)]) == 2
    assert "'in_education' (role in_education): 1 row(s) hold values that cannot be read as a 0/1" in capsys.readouterr().err


@pytest.mark.parametrize("text, expected", [("0.05", 0.05), ("1:0.02,3:0.05", {1: 0.02, 3: 0.05})])
def test_parse_effect(text, expected):
    assert parse_effect(text) == expected


def test_quiet_writes_nothing_to_stderr(tmp_path, capsys):
    args = ["fui", "--scale", "0.05", "--no-event-study", "--no-few-clusters", "--out", str(tmp_path / "out")]
    assert main([*args, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-q", "simulate", "--out", str(tmp_path / "p.parquet"), "--scale", "0.02"]) == 0
    assert capsys.readouterr().err == ""


def test_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"evalkit {version('evalkit')}"


@pytest.mark.parametrize("command", [[], ["fui"], ["simulate"], ["validate"]])
def test_help_is_plain_text(command, capsys):
    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: evalkit")
    for markup in (":func:", ":class:", ":mod:", ":meth:", "``", "\n.. "):
        assert markup not in text


def test_latin1_semicolon_decimal_comma_panel_is_read_with_options(tmp_path, capsys):
    """--encoding/--sep/--decimal reach read_panel (the panel readers gain them in issue 9)."""
    import inspect

    from evalkit.panel import read_panel

    if "encoding" not in inspect.signature(read_panel).parameters:
        pytest.skip("read_panel does not take encoding/sep/decimal yet")
    data = simulate_fui_panel(scale=0.05, seed=6)
    path = tmp_path / "extract.csv"
    data.panel.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")
    unemployment = tmp_path / "u.csv"
    data.unemployment.to_csv(unemployment, sep=";", decimal=",", index=False, encoding="cp1252")
    options = ["--json", "--no-event-study", "--no-few-clusters", "-q"]
    args = ["fui", "--data", str(path), "--unemployment", str(unemployment), "--encoding", "cp1252", "--sep", ";",
            "--decimal", ","]
    assert main([*args, *options]) == 0
    from_file = results(capsys.readouterr().out)
    assert main(["fui", "--scale", "0.05", "--seed", "6", *options]) == 0
    assert results(capsys.readouterr().out) == from_file


def test_roles_file_maps_the_unemployment_table_and_the_schedule(tmp_path, capsys):
    from evalkit.panel.months import month_label
    from evalkit.replications.fui.schedule import norway_2017_schedule

    data = simulate_fui_panel(scale=0.05, seed=9)
    unemployment = tmp_path / "ledighet.csv"
    data.unemployment.rename(columns={"county": "fylke", "unemployment_pct": "ledighet"}).to_csv(unemployment, index=False)
    frame = norway_2017_schedule().frame
    schedule = tmp_path / "utrulling.csv"
    pd.DataFrame({"fylke": frame["unit"], "landsdel": frame["region"],
                  "oppstart": frame["start_month"].map(month_label)}).to_csv(schedule, index=False)
    roles = tmp_path / "roles.toml"
    roles.write_text('[unemployment]\ncounty = "fylke"\nunemployment_pct = "ledighet"\n\n'
                     '[schedule]\ncounty = "fylke"\nregion = "landsdel"\nstart_month = "oppstart"\n', encoding="utf-8")
    options = ["--scale", "0.05", "--seed", "9", "--json", "--no-event-study", "--no-few-clusters", "-q"]
    assert main(["fui", "--unemployment", str(unemployment), "--schedule", str(schedule), "--roles", str(roles),
                 *options]) == 0
    mapped = results(capsys.readouterr().out)
    assert main(["fui", *options]) == 0
    assert results(capsys.readouterr().out) == mapped
