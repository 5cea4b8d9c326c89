"""Bad and awkward command lines: each ends with exit 2, a message naming what the user gave
(the option, file or column), and no Python traceback.

Files are tiny fixtures written into a temporary directory; the few invocations that get
as far as the analysis use the synthetic panel at a small scale, so the module runs in
seconds.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.replications.fui.synthetic import simulate_fui_panel

PANEL_HEADER = "person_id,month,county,nav_category,employed,in_education\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small input files, good and bad, in one directory (names -> paths as strings)."""
    root = tmp_path_factory.mktemp("cli_inputs")
    data = simulate_fui_panel(scale=0.02, seed=5)
    paths = {}

    def write(name: str, text: str | bytes) -> None:
        path = root / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        paths[name] = str(path)

    data.panel.to_csv(root / "panel.csv", index=False)
    data.panel.to_parquet(root / "panel.parquet")
    data.unemployment.to_csv(root / "unemployment.csv", index=False)
    data.unemployment.to_parquet(root / "unemployment.parquet")
    paths.update({n: str(root / n) for n in ("panel.csv", "panel.parquet", "unemployment.csv", "unemployment.parquet")})
    u = data.unemployment
    conflicting = pd.concat([u, u.iloc[[3]].assign(unemployment_pct=u["unemployment_pct"].iloc[3] + 1)])
    conflicting.to_csv(root / "u_conflict.csv", index=False)
    u.assign(unemployment_pct=u["unemployment_pct"] / 100).to_csv(root / "u_fractions.csv", index=False)
    u.assign(unemployment_pct=u["unemployment_pct"].astype(str).where(u.index != 2, "n/a")).to_csv(
        root / "u_text.csv", index=False)
    u.assign(unemployment_pct=u["unemployment_pct"].where(u.index != 4, 140.0)).to_csv(root / "u_over.csv", index=False)
    u.rename(columns={"unemployment_pct": "ledighet"}).to_csv(root / "u_renamed.csv", index=False)
    u.assign(month=u["month"].astype(str).where(u.index != 1, "March 2016")).to_csv(root / "u_month.csv", index=False)
    paths.update({n: str(root / n) for n in ("u_conflict.csv", "u_fractions.csv", "u_text.csv", "u_over.csv",
                                              "u_renamed.csv", "u_month.csv")})
    write("u_latin1.csv", "county;month;unemployment_pct\nMøre og Romsdal;2016-03;2,9\n".encode("cp1252"))
    data.panel.drop(columns="education_level").to_csv(root / "panel_no_edu.csv", index=False)
    paths["panel_no_edu.csv"] = str(root / "panel_no_edu.csv")
    write("schedule_late.csv", "county,region,start_month\n" + "\n".join(
        f"{c},{r},{'2017-09' if c == 'Rogaland' else s}" for c, r, s in _norway()))
    write("schedule_twice.csv", "county,region,start_month\nOslo,rest,2017-07\nOslo,south_west,2017-01\n")
    write("schedule_no_region.csv", "county,start_month\nOslo,2017-07\n")
    write("schedule_bad_month.csv", "county,region,start_month\nOslo,rest,July 2017\n")
    write("empty.csv", "")
    write("bad.parquet", "not a parquet file")
    write("u_quote.csv", 'county,month,unemployment_pct\n"Oslo,2016-03,3.1\n')
    write("header_only_u.csv", "county,month,unemployment_pct\n")
    write("bad_values.csv", PANEL_HEADER + "1,2016-01,Oslo,,0,3\n")
    write("panel_header_only.csv", PANEL_HEADER)
    write("no_county.csv", "person_id,month,nav_category,employed,in_education\n1,2016-01,,0,0\n")
    write("semicolons.csv", "a;b\n1;2\n")
    write("junk.csv", b"\x00\x01\x02\xff\xfe garbage\n")
    write("roles_syntax.toml", "[columns\nperson = 'lopenr'\n")
    write("roles_typo.toml", '[columns]\npersn = "lopenr"\n')
    write("roles_binary.toml", b"\xff\xfe[columns]\n")
    write("roles_empty.toml", "")
    write("roles_unemployment_typo.toml", '[unemployment]\nunemployment_pc = "ledighet"\n')
    write("roles_unemployment_absent.toml", '[unemployment]\nunemployment_pct = "ledighet_pst"\n')
    write("roles_schedule_absent.toml", '[schedule]\nregion = "landsdel"\n')
    write("notes.txt", "not a roles file, but present\n")
    (root / "a_directory").mkdir()
    paths["a_directory"] = str(root / "a_directory")
    paths["missing"] = str(root / "does_not_exist.csv")
    paths["no_parent"] = str(root / "no_such_dir" / "deeper" / "out")
    paths["root"] = str(root)
    return paths


def _norway() -> list[tuple[str, str, str]]:
    from evalkit.panel.months import month_label
    from evalkit.replications.fui.schedule import norway_2017_schedule

    frame = norway_2017_schedule().frame
    return [(u, r, month_label(s)) for u, r, s in frame[["unit", "region", "start_month"]].itertuples(index=False)]


#: (id, command line with {file} placeholders, strings the error message must contain)
CASES: list[tuple[str, list[str], list[str]]] = [
    # options checked by the parser, before anything is read
    ("n-boot zero", ["fui", "--n-boot", "0"], ["--n-boot", "at least 1", "'0'"]),
    ("n-boot negative", ["fui", "--n-boot", "-5"], ["--n-boot", "'-5'"]),
    ("n-boot fraction", ["fui", "--n-boot", "2.5"], ["--n-boot", "'2.5'"]),
    ("n-boot text", ["fui", "--n-boot", "many"], ["--n-boot", "'many'"]),
    ("scale zero", ["fui", "--scale", "0"], ["--scale", "at least 0.001", "'0'"]),
    ("scale too small", ["fui", "--scale", "0.0001"], ["--scale", "at least 0.001", "'0.0001'"]),
    ("scale negative", ["simulate", "--out", "{root}/x.parquet", "--scale", "-1"], ["--scale", "'-1'"]),
    ("scale nan", ["fui", "--scale", "nan"], ["--scale", "'nan'"]),
    ("scale inf", ["fui", "--scale", "inf"], ["--scale", "'inf'"]),
    ("scale text", ["fui", "--scale", "big"], ["--scale", "'big'"]),
    ("seed negative", ["fui", "--seed", "-1"], ["--seed", "'-1'", "0 to 4294967295"]),
    ("seed fraction", ["fui", "--seed", "1.5"], ["--seed", "'1.5'"]),
    ("seed too large", ["simulate", "--out", "{root}/x.parquet", "--seed", str(2**32)], ["--seed", str(2**32)]),
    ("effect text", ["fui", "--effect-education", "abc"], ["--effect-education", "'abc'"]),
    ("effect horizon zero", ["fui", "--effect-education", "0:0.1"], ["--effect-education", "'0:0.1'"]),
    ("effect horizon twice", ["fui", "--effect-employment", "1:0.1,1:0.2"], ["--effect-employment", "'1:0.1,1:0.2'"]),
    ("effect horizon fraction", ["fui", "--effect-employment", "1.5:0.1"], ["--effect-employment", "'1.5:0.1'"]),
    ("effect nan", ["fui", "--effect-employment", "nan"], ["--effect-employment", "'nan'"]),
    ("effect beyond a probability", ["fui", "--effect-education", "5"], ["--effect-education", "'5'", "-1 and 1"]),
    ("effect at an unknown horizon", ["fui", "--effect-education", "2:0.1"],
     ["--effect-education", "'2:0.1'", "1, 3, 6, 9"]),
    ("unknown encoding", ["fui", "--encoding", "klingon"], ["--encoding", "'klingon'", "cp1252"]),
    ("separator of two characters", ["fui", "--sep", ";;"], ["--sep", "';;'"]),
    ("separator a letter", ["validate", "--data", "{panel.csv}", "--sep", "x"], ["--sep", "'x'"]),
    ("decimal mark", ["fui", "--decimal", ";"], ["--decimal", "';'"]),
    ("decimal equals separator", ["fui", "--unemployment", "{unemployment.csv}", "--sep", ",", "--decimal", ","],
     ["--sep", "--decimal", "','"]),
    ("csv options without a csv file", ["validate", "--data", "{panel.parquet}", "--encoding", "cp1252"],
     ["--encoding", "CSV"]),
    ("unknown command", ["frobnicate"], ["frobnicate", "fui", "simulate", "validate"]),
    ("misspelt option", ["fui", "--scael", "0.1"], ["--scael"]),
    ("no command", [], ["COMMAND"]),
    ("validate without data", ["validate"], ["--data"]),
    ("simulate without out", ["simulate"], ["--out"]),
    ("option without its value", ["fui", "--data"], ["--data", "expected one argument"]),
    # paths, checked before any work
    ("data missing", ["fui", "--data", "{missing}", "--unemployment", "{unemployment.csv}"],
     ["--data", "does_not_exist.csv", "no such file"]),
    ("data a directory", ["fui", "--data", "{a_directory}", "--unemployment", "{unemployment.csv}"],
     ["--data", "a_directory", "is a directory"]),
    ("data empty", ["fui", "--data", "{empty.csv}", "--unemployment", "{unemployment.csv}"],
     ["--data", "empty.csv", "empty"]),
    ("data without unemployment", ["fui", "--data", "{panel.csv}"], ["--data needs --unemployment"]),
    ("unemployment missing", ["fui", "--unemployment", "{missing}"], ["--unemployment", "does_not_exist.csv"]),
    ("unemployment a directory", ["fui", "--unemployment", "{a_directory}"], ["--unemployment", "is a directory"]),
    ("schedule missing", ["fui", "--schedule", "{missing}"], ["--schedule", "does_not_exist.csv"]),
    ("schedule empty", ["fui", "--schedule", "{empty.csv}"], ["--schedule", "empty.csv", "empty"]),
    ("out an existing file", ["fui", "--out", "{notes.txt}"], ["--out", "notes.txt", "existing file"]),
    ("out without parent", ["fui", "--out", "{no_parent}"], ["--out", "no_such_dir", "does not exist"]),
    ("simulate out a directory", ["simulate", "--out", "{a_directory}"], ["--out", "a_directory", "is a directory"]),
    ("simulate out suffix", ["simulate", "--out", "{notes.txt}"], ["--out", "notes.txt", ".parquet or .csv"]),
    ("simulate out without parent", ["simulate", "--out", "{no_parent}.parquet"], ["--out", "no_such_dir"]),
    ("validate data missing", ["validate", "--data", "{missing}"], ["--data", "does_not_exist.csv"]),
    ("validate data a directory", ["validate", "--data", "{a_directory}"], ["--data", "is a directory"]),
    ("validate data empty", ["validate", "--data", "{empty.csv}"], ["--data", "empty.csv", "empty"]),
    ("data not parquet", ["validate", "--data", "{bad.parquet}"], ["bad.parquet", "read", "Parquet"]),
    ("fui data not parquet", ["fui", "--data", "{bad.parquet}", "--unemployment", "{unemployment.csv}"],
     ["bad.parquet", "read", "Parquet"]),
    ("unemployment not parquet", ["fui", "--unemployment", "{bad.parquet}"], ["--unemployment", "bad.parquet"]),
    ("unemployment unbalanced quote", ["fui", "--unemployment", "{u_quote.csv}"],
     ["--unemployment", "u_quote.csv", "quoting"]),
    # roles files
    ("roles without any file", ["fui", "--roles", "{roles_typo.toml}"], ["--roles", "--data", "--unemployment"]),
    ("roles unemployment typo", ["fui", "--unemployment", "{u_renamed.csv}", "--roles", "{roles_unemployment_typo.toml}"],
     ["roles_unemployment_typo.toml", "[unemployment]", "unemployment_pc", "unemployment_pct"]),
    ("roles unemployment column absent", ["fui", "--unemployment", "{u_renamed.csv}", "--roles",
                                          "{roles_unemployment_absent.toml}"],
     ["--unemployment", "u_renamed.csv", "'ledighet_pst' (as unemployment_pct)", "ledighet"]),
    ("roles schedule column absent", ["fui", "--schedule", "{schedule_twice.csv}", "--roles",
                                      "{roles_schedule_absent.toml}"], ["--schedule", "'landsdel'"]),
    ("roles syntax", ["validate", "--data", "{panel.csv}", "--roles", "{roles_syntax.toml}"],
     ["--roles", "roles_syntax.toml", "not valid TOML", "line 1"]),
    ("roles typo", ["validate", "--data", "{panel.csv}", "--roles", "{roles_typo.toml}"],
     ["--roles", "roles_typo.toml", "persn"]),
    ("roles not utf-8", ["validate", "--data", "{panel.csv}", "--roles", "{roles_binary.toml}"],
     ["--roles", "roles_binary.toml"]),
    ("roles empty", ["validate", "--data", "{panel.csv}", "--roles", "{roles_empty.toml}"],
     ["--roles", "roles_empty.toml", "empty"]),
    ("roles missing", ["validate", "--data", "{panel.csv}", "--roles", "{missing}"], ["--roles", "does_not_exist"]),
    ("roles a directory", ["validate", "--data", "{panel.csv}", "--roles", "{a_directory}"],
     ["--roles", "is a directory"]),
    # panel contents
    ("panel header only", ["validate", "--data", "{panel_header_only.csv}"], ["panel_header_only.csv", "no rows"]),
    ("panel bad values", ["validate", "--data", "{bad_values.csv}"], ["'in_education'", "0/1"]),
    ("panel lacks a column", ["validate", "--data", "{no_county.csv}"], ["'county'"]),
    ("panel without evalkit's columns", ["validate", "--data", "{semicolons.csv}"], ["'person_id'", "columns ['a', 'b']"]),
    ("panel not a table", ["validate", "--data", "{junk.csv}"], ["junk.csv", "--encoding"]),
    ("panel lacks education", ["fui", "--data", "{panel_no_edu.csv}", "--unemployment", "{unemployment.csv}"],
     ["education_level"]),
    # the unemployment table
    ("unemployment conflicting duplicates", ["fui", "--unemployment", "{u_conflict.csv}"],
     ["--unemployment", "u_conflict.csv", "more than one rate", "line "]),
    ("unemployment fractions", ["fui", "--unemployment", "{u_fractions.csv}"], ["'unemployment_pct'", "fractions"]),
    ("unemployment unparseable", ["fui", "--unemployment", "{u_text.csv}"],
     ["'unemployment_pct'", "unparseable", "'n/a'", "line 4"]),
    ("unemployment above 100", ["fui", "--unemployment", "{u_over.csv}"], ["'unemployment_pct'", "[0, 100]", "140"]),
    ("unemployment column named otherwise", ["fui", "--unemployment", "{u_renamed.csv}"],
     ["'unemployment_pct'", "ledighet"]),
    ("unemployment month unreadable", ["fui", "--unemployment", "{u_month.csv}"], ["'month'", "March 2016"]),
    ("unemployment header only", ["fui", "--unemployment", "{header_only_u.csv}"], ["unemployment", "no rows"]),
    ("unemployment wrong encoding", ["fui", "--unemployment", "{u_latin1.csv}", "--encoding", "utf-8"],
     ["u_latin1.csv", "utf-8", "--encoding"]),
    ("unemployment misses counties", ["fui", "--unemployment", "{u_latin1.csv}", "--no-event-study",
                                      "--no-few-clusters", "--scale", "0.02"], ["no county unemployment rate"]),
    # the schedule
    ("schedule start after the post window", ["fui", "--schedule", "{schedule_late.csv}", "--scale", "0.02"],
     ["--schedule", "Rogaland", "2017-09", "south_west", "post window t2"]),
    ("schedule unit twice", ["fui", "--schedule", "{schedule_twice.csv}"], ["--schedule", "schedule_twice.csv", "Oslo", "more than once"]),
    ("schedule lacks region", ["fui", "--schedule", "{schedule_no_region.csv}"], ["'region'"]),
    ("schedule month unreadable", ["fui", "--schedule", "{schedule_bad_month.csv}"], ["'start_month'", "July 2017"]),
]


def _fill(argv: list[str], files: dict[str, str]) -> list[str]:
    return [re.sub(r"\{([^}]+)\}", lambda m: files[m.group(1)], a) for a in argv]


@pytest.mark.parametrize("argv, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_error_exits_2_with_a_message_and_no_traceback(files, capsys, argv, expected):
    code = main(_fill(argv, files))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "evalkit: error: " in err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


def test_debug_shows_the_traceback(files, capsys):
    assert main(["fui", "--debug", "--unemployment", files["u_conflict.csv"]]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "more than one rate" in err
    assert main(["--debug", "fui", "--unemployment", files["u_fractions.csv"]]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_options_are_checked_before_any_work(files, capsys):
    # a bad --out is found before the (long) analysis starts: no stage message is printed
    assert main(["fui", "--scale", "0.02", "--out", files["notes.txt"]]) == 2
    err = capsys.readouterr().err
    assert "simulating" not in err and "fitting" not in err


def test_latin1_semicolon_decimal_comma_unemployment_is_read(files, capsys):
    # the same rates as the bundled table, exported as Excel on a Norwegian machine would
    frame = pd.read_csv(files["unemployment.csv"])
    path = files["root"] + "/u_excel.csv"
    text = frame.assign(unemployment_pct=frame["unemployment_pct"].map(lambda v: f"{v}".replace(".", ",")))
    text.to_csv(path, sep=";", index=False, encoding="cp1252")
    common = ["fui", "--scale", "0.02", "--seed", "5", "--json", "--no-event-study", "--no-few-clusters", "-q"]
    assert main([*common, "--unemployment", path]) == 0
    from_excel = json.loads(capsys.readouterr().out)
    assert main([*common, "--unemployment", files["unemployment.csv"]]) == 0
    from_csv = json.loads(capsys.readouterr().out)
    # the provenance names each input file and its hash; every result is the same
    names = [{i.get("name") for i in doc.pop("provenance")["inputs"]} for doc in (from_excel, from_csv)]
    assert "u_excel.csv" in str(names[0]) and "u_excel.csv" not in str(names[1])
    assert from_csv == from_excel
