"""Real register extracts: bad and awkward inputs through read_panel, scan_panel and the
roles file, each as a DataFrame and as a file (CSV, Parquet), with the same acceptance,
the same panels and the same messages whatever the input.

The base extract uses the README's roles example (``tests/data/readme_roles.toml``):
Norwegian column names, NAV's own category codes, education codes with missing values
(so a pandas column of floats 1.0/2.0), yyyymm integer months and county names with
letters outside ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import DataFileError, EvalkitError, PanelValidationError, RolesError
from evalkit.panel import ColumnRoles, read_panel, scan_panel
from evalkit.panel.months import to_month_index

DATA = Path(__file__).parent / "data"
ROLES_FILE = DATA / "readme_roles.toml"
ROLES = ColumnRoles.from_toml(ROLES_FILE)
COUNTIES = ("Møre og Romsdal", "Trøndelag", "Østfold", "Oslo")
CODES = ("IKVAL", "BFORM", "BATT", "VARIG")


def extract() -> pd.DataFrame:
    """Four persons, eight months (2016-01 ... 2016-08), the README's column names."""
    rows = []
    for person in range(1, 5):
        for k in range(8):
            at_nav = (k + person) % 3 == 0
            rows.append({
                "lopenr": person,
                "aarmnd": 201601 + k,
                "fylke": COUNTIES[person - 1],
                "innsatsgruppe": CODES[(k + person) % 4] if at_nav else None,
                "i_arbeid": int(k >= 4 and person % 2 == 0),
                "i_utdanning": int(k == 6),
                "kvinne": person % 2,
                "fodselsaar": 1990 + person,
                "utdanning": float(person) if person < 4 else np.nan,
                "siste_nav_mnd_for": 201510.0 if person == 1 else np.nan,
            })
    return pd.DataFrame(rows)


def write_csv(frame: pd.DataFrame, path: Path, **options: object) -> Path:
    frame.to_csv(path, index=False, **options)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, index=False)
    return path


def setcell(frame: pd.DataFrame, row: int, column: str, value: object) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].astype(object)
    out.loc[row, column] = value
    return out


@dataclass(frozen=True)
class Bad:
    """One bad input: how to make it from the base extract, and what the message says."""

    id: str
    edit: Callable[[pd.DataFrame], pd.DataFrame]
    match: str
    column: str
    files: bool = True  # False: a pandas-only problem (a file column has one type)


BAD = [
    Bad("missing-required-column", lambda d: d.drop(columns="i_arbeid"), r"no column 'i_arbeid'", "i_arbeid"),
    Bad("missing-optional-column-named-by-roles", lambda d: d.drop(columns="kvinne"),
        r"no column 'kvinne' \(optional role female\)", "kvinne"),
    Bad("duplicate-person-month", lambda d: pd.concat([d, d.iloc[[3]]], ignore_index=True),
        r"2 row\(s\) form 1 duplicate person-month.*'lopenr', 'aarmnd'.*\n.*\n +1 2016-04 +2", "aarmnd"),
    Bad("triplicate-person-month", lambda d: pd.concat([d, d.iloc[[3, 3]]], ignore_index=True),
        r"3 row\(s\) form 1 duplicate", "lopenr"),
    Bad("month-text", lambda d: setcell(d, 2, "aarmnd", "mars 2016"), r"cannot be read as a month: 'mars 2016'", "aarmnd"),
    Bad("month-13-yyyymm", lambda d: setcell(d, 2, "aarmnd", 201613), r"'201613': 1 row", "aarmnd"),
    Bad("month-13-yyyymmdd", lambda d: setcell(d, 2, "aarmnd", 20161301), r"'20161301': 1 row", "aarmnd"),
    Bad("day-32-yyyymmdd", lambda d: setcell(d, 2, "aarmnd", 20160132), r"'20160132': 1 row", "aarmnd"),
    Bad("month-fraction", lambda d: setcell(d, 2, "aarmnd", 201603.5), r"'201603.5': 1 row", "aarmnd"),
    Bad("month-2016-13", lambda d: setcell(d, 2, "aarmnd", "2016-13"), r"'2016-13'", "aarmnd"),
    Bad("month-missing", lambda d: setcell(d, 2, "aarmnd", None), r"'aarmnd' \(role month\) is missing in 1 row", "aarmnd"),
    Bad("month-five-digits", lambda d: setcell(d, 2, "aarmnd", 24194), r"'24194'", "aarmnd"),
    Bad("unknown-category", lambda d: setcell(d, 1, "innsatsgruppe", "XYZ"), r"not known NAV need categories: 'XYZ': 1 row", "innsatsgruppe"),
    Bad("unknown-category-number", lambda d: setcell(setcell(d, 1, "innsatsgruppe", 5), 9, "innsatsgruppe", 5),
        r"'5': 2 rows", "innsatsgruppe"),
    Bad("category-typo-two-codes", lambda d: setcell(setcell(d, 1, "innsatsgruppe", "IKVL"), 4, "innsatsgruppe", "BAT"),
        r"'IKVL': 1 row, 'BAT': 1 row|'BAT': 1 row, 'IKVL': 1 row", "innsatsgruppe"),
    Bad("employed-2", lambda d: setcell(d, 2, "i_arbeid", 2), r"'i_arbeid' \(role employed\).*0/1 indicator: '2'", "i_arbeid"),
    Bad("employed-ja", lambda d: setcell(d, 2, "i_arbeid", "ja"), r"'ja': 1 row", "i_arbeid"),
    Bad("employed-half", lambda d: setcell(d, 2, "i_arbeid", 0.5), r"'0.5': 1 row", "i_arbeid"),
    Bad("employed-minus-one", lambda d: setcell(d, 2, "i_arbeid", -1), r"'-1': 1 row", "i_arbeid"),
    Bad("employed-null", lambda d: setcell(d, 2, "i_arbeid", None),
        r"'i_arbeid' \(role employed\) is missing in 1 row.*\[missing\] employed = true", "i_arbeid"),
    Bad("employed-null-many", lambda d: d.assign(i_arbeid=d["i_arbeid"].where(d.index % 5 != 0)),
        r"is missing in 7 row", "i_arbeid"),
    Bad("employed-blank-text", lambda d: setcell(d, 2, "i_arbeid", " "), r"'i_arbeid' \(role employed\) is missing in 1 row", "i_arbeid"),
    Bad("in-education-null", lambda d: setcell(d, 5, "i_utdanning", None), r"'i_utdanning' \(role in_education\) is missing", "i_utdanning"),
    Bad("in-education-3", lambda d: setcell(d, 5, "i_utdanning", 3), r"'i_utdanning'.*'3': 1 row", "i_utdanning"),
    Bad("female-2", lambda d: d.assign(kvinne=d["kvinne"].replace({1: 2})), r"'kvinne' \(role female\).*'2': 16 rows", "kvinne"),
    Bad("female-letter", lambda d: d.assign(kvinne=d["kvinne"].map({0: "M", 1: "K"})), r"'K': 16 rows", "kvinne"),
    Bad("female-varies", lambda d: setcell(d, 3, "kvinne", 0), r"'kvinne' \(role female\) must be constant within a person.*1 person", "kvinne"),
    Bad("birth-year-fraction", lambda d: d.assign(fodselsaar=d["fodselsaar"] + 0.5), r"'fodselsaar'.*birth year: '1991.5'", "fodselsaar"),
    Bad("birth-year-text", lambda d: setcell(d, 0, "fodselsaar", "nittien"), r"'nittien': 1 row", "fodselsaar"),
    Bad("birth-year-two-digit", lambda d: d.assign(fodselsaar=d["fodselsaar"] - 1900), r"two-digit years for 4 person", "fodselsaar"),
    Bad("birth-year-future", lambda d: d.assign(fodselsaar=d["fodselsaar"].where(d["lopenr"] != 2, 2031)),
        r"'fodselsaar'.*age outside 10-80.*1 person", "fodselsaar"),
    Bad("birth-year-too-old", lambda d: d.assign(fodselsaar=d["fodselsaar"].where(d["lopenr"] != 3, 1901)),
        r"age outside 10-80.*1 person", "fodselsaar"),
    Bad("birth-year-negative", lambda d: d.assign(fodselsaar=-d["fodselsaar"]), r"two-digit years for 4 person", "fodselsaar"),
    Bad("birth-year-varies", lambda d: setcell(d, 9, "fodselsaar", 1990), r"'fodselsaar' \(role birth_year\) must be constant", "fodselsaar"),
    Bad("history-after-start", lambda d: d.assign(siste_nav_mnd_for=d["siste_nav_mnd_for"].where(d["lopenr"] != 1, 201603.0)),
        r"'siste_nav_mnd_for'.*before the panel starts \(2016-01\).*1 person", "siste_nav_mnd_for"),
    Bad("history-at-start", lambda d: d.assign(siste_nav_mnd_for=d["siste_nav_mnd_for"].where(d["lopenr"] != 1, 201601.0)),
        r"2016-01 or later for 1 person", "siste_nav_mnd_for"),
    Bad("history-unreadable", lambda d: setcell(d, 0, "siste_nav_mnd_for", "ukjent"), r"'siste_nav_mnd_for'.*'ukjent'", "siste_nav_mnd_for"),
    Bad("history-varies", lambda d: setcell(d, 8, "siste_nav_mnd_for", 201511.0), r"'siste_nav_mnd_for'.*constant within a person", "siste_nav_mnd_for"),
    Bad("education-unknown-code", lambda d: setcell(d, 0, "utdanning", 7.0), r"'utdanning'.*not known education levels: '7'", "utdanning"),
    Bad("education-fraction", lambda d: setcell(d, 0, "utdanning", 1.5), r"'1.5': 1 row", "utdanning"),
    Bad("education-word", lambda d: setcell(d, 0, "utdanning", "master"), r"'master': 1 row.*\[education\]", "utdanning"),
    Bad("county-missing-at-nav", lambda d: d.assign(fylke=d["fylke"].where(d["innsatsgruppe"].isna() | (d["lopenr"] != 2))),
        r"'fylke' \(role county\) is missing in 3 row\(s\) of months at NAV", "fylke"),
    Bad("person-missing", lambda d: setcell(d, 4, "lopenr", None), r"'lopenr' \(role person\) is missing in 1 row", "lopenr"),
    Bad("person-mixed-types", lambda d: setcell(d, 4, "lopenr", "1"), r"'lopenr' \(role person\) holds values of 2 types \(31 int, 1 str",
        "lopenr", files=False),
    Bad("county-mixed-types", lambda d: setcell(d, 4, "fylke", 15), r"'fylke' \(role county\) holds values of 2 types", "fylke", files=False),
    Bad("empty-panel", lambda d: d.iloc[:0], r"the panel has no rows", "the panel"),
    Bad("two-problems", lambda d: setcell(setcell(d, 1, "innsatsgruppe", "XYZ"), 2, "i_arbeid", 2),
        r"2 problems found:\n1\. .*'innsatsgruppe'.*\n2\. .*'i_arbeid'", "innsatsgruppe"),
    Bad("five-problems", lambda d: setcell(setcell(setcell(setcell(pd.concat([d, d.iloc[[3]]], ignore_index=True),
        1, "innsatsgruppe", "XYZ"), 2, "i_arbeid", 2), 5, "i_utdanning", None), 9, "fodselsaar", 1990),
        r"5 problems found", "fodselsaar"),
    Bad("unsorted-with-duplicate", lambda d: pd.concat([d, d.iloc[[3]]], ignore_index=True).iloc[::-1],
        r"2 row\(s\) form 1 duplicate", "lopenr"),
]


def file_of(frame: pd.DataFrame, tmp_path: Path, kind: str) -> Path:
    if kind == "csv":
        return write_csv(frame, tmp_path / "extract.csv")
    if kind == "csv-latin1-semicolon":
        return write_csv(frame, tmp_path / "extract_latin1.csv", sep=";", decimal=",", encoding="latin-1")
    table = frame.copy()
    for column in table.columns:  # Parquet stores one type per column: the text of mixed ones
        if table[column].dtype == object and pd.api.types.infer_dtype(table[column], skipna=True).startswith("mixed"):
            table[column] = table[column].map(lambda v: None if pd.isna(v) else str(v))
    return write_parquet(table, tmp_path / "extract.parquet")


def problems_of(call: Callable[[], object]) -> tuple[EvalkitError, tuple[str, ...]]:
    with pytest.raises(EvalkitError) as caught:
        call()
    return caught.value, getattr(caught.value, "problems", (str(caught.value),))


@pytest.mark.parametrize("case", BAD, ids=[b.id for b in BAD])
def test_bad_dataframe(case):
    data = case.edit(extract())
    before = data.copy()
    error, problems = problems_of(lambda: read_panel(data, roles=ROLES))
    message = str(error)
    assert isinstance(error, PanelValidationError)
    assert case.column in message
    assert re.search(case.match, message, flags=re.S), message
    pd.testing.assert_frame_equal(data, before)  # not mutated
    scanned, scanned_problems = problems_of(lambda: scan_panel(data, roles=ROLES))
    assert scanned_problems == problems
    pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize("kind", ["csv", "csv-latin1-semicolon", "parquet"])
@pytest.mark.parametrize("case", [b for b in BAD if b.files], ids=[b.id for b in BAD if b.files])
def test_bad_file_gives_the_dataframe_message(case, kind, tmp_path):
    data = case.edit(extract())
    _, expected = problems_of(lambda: read_panel(data, roles=ROLES))
    path = file_of(data, tmp_path, kind)
    for load in (read_panel, scan_panel):
        error, problems = problems_of(lambda: load(path, roles=ROLES))
        assert isinstance(error, PanelValidationError)
        assert case.column in str(error) and path.name in str(error)
        assert problems == expected


def test_mixed_types_in_a_file_column_are_text(tmp_path):
    """A file column has one type: 1 and "1" written to CSV are the same person."""
    data = setcell(extract(), 4, "lopenr", "1")
    panel = read_panel(write_csv(data, tmp_path / "x.csv"), roles=ROLES)
    assert panel.report == read_panel(extract(), roles=ROLES).report


# -- accepted inputs: every form gives the same panel ------------------------------------

def canonical(panel) -> pd.DataFrame:
    frame = panel.collect().reset_index(drop=True)
    out = {}
    for name, column in frame.items():
        if pd.api.types.is_numeric_dtype(column.dtype) and not isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = column.astype("float64")
        else:
            out[name] = column.astype(object).where(column.notna(), None)
    return pd.DataFrame(out)


@pytest.fixture
def reference():
    return read_panel(extract(), roles=ROLES)


def test_readme_roles_on_csv_with_missing_codes(tmp_path, reference):
    path = write_csv(extract(), tmp_path / "extract.csv")
    assert "1.0" in path.read_text(encoding="utf-8")  # education codes written as floats
    panel = read_panel(path, roles=ROLES)
    assert panel.report == reference.report
    pd.testing.assert_frame_equal(panel.frame, reference.frame)
    assert panel.frame["education_level"].isna().sum() == 8
    assert (panel.frame["education_level"] == "below_upper_secondary").sum() == 8


def test_latin1_semicolon_decimal_comma_equals_parquet(tmp_path, reference):
    latin = write_csv(extract(), tmp_path / "extract_latin1.csv", sep=";", decimal=",", encoding="latin-1")
    raw = latin.read_bytes()
    assert "Møre".encode("latin-1") in raw and b"2,0" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    parquet = write_parquet(extract(), tmp_path / "extract.parquet")
    from_parquet = canonical(scan_panel(parquet, roles=ROLES))
    for panel in (read_panel(latin, roles=ROLES), scan_panel(latin, roles=ROLES),
                  read_panel(latin, roles=ROLES, encoding="latin-1", sep=";", decimal=","),
                  read_panel(parquet, roles=ROLES)):
        assert panel.report.n_rows == reference.report.n_rows
        pd.testing.assert_frame_equal(canonical(panel), from_parquet)
    assert from_parquet["county"].tolist()[0] == "Møre og Romsdal"


@pytest.mark.parametrize(
    "options",
    [
        {"encoding": "utf-8-sig"},
        {"encoding": "cp1252", "sep": "\t"},
        {"sep": "|"},
        {"sep": ";", "decimal": ","},
        {"encoding": "utf-16"},
    ],
    ids=["utf8-bom", "cp1252-tab", "pipe", "semicolon-comma", "utf16"],
)
def test_csv_dialects_are_detected(tmp_path, reference, options):
    path = write_csv(extract(), tmp_path / "extract.csv", **options)
    pd.testing.assert_frame_equal(read_panel(path, roles=ROLES).frame, reference.frame)


def test_stata_export(tmp_path, reference):
    path = tmp_path / "extract.dta"
    extract().astype({"innsatsgruppe": str}).replace({"innsatsgruppe": {"None": ""}}).to_stata(path, write_index=False)
    pd.testing.assert_frame_equal(canonical(read_panel(path, roles=ROLES)), canonical(reference))


@pytest.mark.parametrize(
    "months",
    [
        lambda m: m,  # 201601
        lambda m: m * 100 + 1,  # 20160101
        lambda m: m.astype(str).str[:4] + "-" + m.astype(str).str[4:],  # 2016-01
        lambda m: m.astype(str).str[:4] + "-" + m.astype(str).str[4:] + "-15",  # 2016-01-15
        lambda m: pd.to_datetime(m.astype(str), format="%Y%m"),
        lambda m: pd.to_datetime(m.astype(str), format="%Y%m").dt.tz_localize("Europe/Oslo"),
        lambda m: pd.PeriodIndex(pd.to_datetime(m.astype(str), format="%Y%m"), freq="M").to_series().reset_index(drop=True),
        lambda m: m.astype(float),
    ],
    ids=["yyyymm", "yyyymmdd", "text-month", "text-date", "datetime", "datetime-tz", "period", "float"],
)
def test_month_forms_give_one_panel(tmp_path, reference, months):
    data = extract()
    data["aarmnd"] = months(data["aarmnd"])
    pd.testing.assert_frame_equal(read_panel(data, roles=ROLES).frame, reference.frame)
    pd.testing.assert_frame_equal(canonical(scan_panel(data, roles=ROLES)), canonical(reference))
    pd.testing.assert_frame_equal(read_panel(write_csv(data, tmp_path / "m.csv"), roles=ROLES).frame, reference.frame)


def test_yyyymmdd_is_a_month_everywhere():
    values = pd.Series([20160301, 201603])
    assert to_month_index(values).tolist() == [24194, 24194]
    assert to_month_index(values.astype(str)).tolist() == [24194, 24194]


def test_leading_zeros_keep_persons_apart(tmp_path):
    data = extract()
    data["lopenr"] = data["lopenr"].map({1: "01", 2: "1", 3: "003", 4: "3"})
    path = write_csv(data, tmp_path / "ids.csv")
    for panel in (read_panel(path, roles=ROLES), scan_panel(path, roles=ROLES), read_panel(data, roles=ROLES)):
        assert panel.report.n_persons == 4
    assert sorted(read_panel(path, roles=ROLES).frame["person_id"].unique()) == ["003", "01", "1", "3"]


def test_true_false_text_and_booleans(reference):
    data = extract()
    text = data.assign(i_arbeid=data["i_arbeid"].map({0: "false", 1: "true"}))
    flags = data.assign(i_utdanning=data["i_utdanning"].astype(bool))
    for frame in (text, flags):
        pd.testing.assert_frame_equal(read_panel(frame, roles=ROLES).frame, reference.frame)


def test_declared_missing_indicator_and_codes(tmp_path):
    toml = tmp_path / "roles.toml"
    toml.write_text(ROLES_FILE.read_text(encoding="utf-8") + '\n[missing]\nemployed = true\neducation_level = ["9"]\n',
                    encoding="utf-8")
    roles = ColumnRoles.from_toml(toml)
    data = setcell(setcell(extract(), 2, "i_arbeid", None), 0, "utdanning", 9.0)
    for panel in (read_panel(data, roles=roles), scan_panel(write_parquet(data, tmp_path / "p.parquet"), roles=roles)):
        frame = canonical(panel)
        assert frame["employed"].isna().sum() == 1
        assert frame["education_level"].isna().sum() == 9


def test_integral_float_codes_match_text_codes(reference):
    data = extract()
    assert data["utdanning"].dtype == "float64"
    as_text = data.assign(utdanning=data["utdanning"].map(lambda v: None if pd.isna(v) else str(int(v))))
    pd.testing.assert_frame_equal(read_panel(as_text, roles=ROLES).frame, reference.frame)


# -- files that cannot be read ------------------------------------------------------------

@pytest.mark.parametrize(
    "name, content, match",
    [
        ("extract.csv", b"", r"is empty"),
        ("extract.csv", b"  \n\n", r"is empty"),
        ("extract.xlsx", b"PK", r"cannot tell the format"),
        ("extract.csv", None, r"does not exist"),
        ("extract.parquet", b"not parquet", r"cannot be read as a Parquet file"),
        ("extract.dta", b"not stata", r"cannot read"),
    ],
    ids=["empty-csv", "blank-csv", "excel", "missing-file", "corrupt-parquet", "corrupt-stata"],
)
def test_unreadable_files(tmp_path, name, content, match):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    for load in (read_panel, scan_panel):
        with pytest.raises(EvalkitError, match=match):
            load(path, roles=ROLES)


def test_wrong_encoding_given_says_what_to_do(tmp_path):
    path = write_csv(extract(), tmp_path / "x.csv", encoding="latin-1")
    with pytest.raises(DataFileError, match=r"not utf-8 text.*encoding='cp1252'"):
        read_panel(path, roles=ROLES, encoding="utf-8")


def test_wrong_separator_given_names_the_columns(tmp_path):
    path = write_csv(extract(), tmp_path / "x.csv", sep=";")
    with pytest.raises(PanelValidationError, match=r"no column 'lopenr'"):
        read_panel(path, roles=ROLES, sep=",")


# -- the roles file ---------------------------------------------------------------------

ROLE_FILES = [
    ("unknown-table", '[categorys]\n"A" = "standard"\n', r"unknown table \[categorys\]. Did you mean 'categories'"),
    ("unknown-top-level-key", 'version = 2\n', r"unknown table \[version\]"),
    ("unknown-role", '[columns]\npersn = "id"\n', r"\[columns\]: unknown role 'persn'. Did you mean 'person'"),
    ("wrong-type-false", '[columns]\nfemale = false\n', r"\[columns\] female: expected a column name in quotes.*got False"),
    ("wrong-type-number", '[columns]\nbirth_year = 1995\n', r"\[columns\] birth_year: expected a column name"),
    ("required-empty", '[columns]\nperson = ""\n', r"\[columns\] person: the required role needs a column name"),
    ("category-target-typo", '[categories]\n"IKVAL" = "standrd"\n', r"\[categories\] 'IKVAL': unknown target 'standrd'.*Did you mean 'standard'"),
    ("education-target-typo", '[education]\n"1" = "higer"\n', r"\[education\] '1': unknown target 'higer'.*Did you mean 'higher'"),
    ("category-target-number", '[categories]\n"IKVAL" = 1\n', r"\[categories\] 'IKVAL': expected a name in quotes"),
    ("column-mapped-twice", '[columns]\nfemale = "x"\nbirth_year = "x"\n', r"\[columns\] birth_year: column 'x' is already mapped to role 'female'"),
    ("missing-of-person", '[missing]\nperson = true\n', r"\[missing\] person: no role of that name can be declared missing"),
    ("missing-unknown-role", '[missing]\nemploied = true\n', r"\[missing\] emploied.*Did you mean 'employed'"),
    ("missing-wrong-type", '[missing]\nemployed = "yes"\n', r"\[missing\] employed: expected true"),
    ("unemployment-unknown-key", '[unemployment]\nunemployment = "x"\n', r"\[unemployment\]: unknown column role 'unemployment'. Did you mean 'unemployment_pct'"),
    ("schedule-unknown-key", '[schedule]\nstart = "x"\n', r"\[schedule\]: unknown column role 'start'"),
    ("table-is-a-value", 'columns = "lopenr"\n', r"columns must be a table"),
    ("toml-syntax", '[columns]\nperson = "lopenr"\nmonth = aarmnd\n', r"is not valid TOML: .*line 3"),
    ("toml-unclosed", '[columns\n', r"is not valid TOML: .*line 1"),
]


@pytest.mark.parametrize("text, match", [(t, m) for _, t, m in ROLE_FILES], ids=[i for i, _, _ in ROLE_FILES])
def test_bad_roles_file(tmp_path, text, match):
    path = tmp_path / "my_roles.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RolesError, match=match) as caught:
        ColumnRoles.from_toml(path)
    assert "my_roles.toml" in str(caught.value)


def test_roles_file_missing(tmp_path):
    with pytest.raises(RolesError, match=r"roles file .*nowhere.toml' does not exist"):
        ColumnRoles.from_toml(tmp_path / "nowhere.toml")


def test_role_naming_an_absent_column_names_the_file_and_the_nearest_column(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(ROLES_FILE.read_text(encoding="utf-8").replace('"kvinne"', '"kvinnne"'), encoding="utf-8")
    roles = ColumnRoles.from_toml(path)
    for load in (read_panel, scan_panel):
        with pytest.raises(PanelValidationError, match=r"roles.toml', \[columns\] female: the data has no column "
                           r"'kvinnne' \(optional role female\). Did you mean 'kvinne'"):
            load(extract(), roles=roles)


def test_unemployment_and_schedule_columns_in_the_roles_file(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(
        ROLES_FILE.read_text(encoding="utf-8")
        + '\n[unemployment]\ncounty = "fylke"\nmonth = "aarmnd"\nunemployment_pct = "ledighet"\n'
        + '\n[schedule]\nregion = "landsdel"\n',
        encoding="utf-8",
    )
    roles = ColumnRoles.from_toml(path)
    assert roles.unemployment_columns == {"county": "fylke", "month": "aarmnd", "unemployment_pct": "ledighet"}
    assert roles.schedule_columns == {"county": "county", "region": "landsdel", "start_month": "start_month"}
    assert ColumnRoles().unemployment_columns == {"county": "county", "month": "month", "unemployment_pct": "unemployment_pct"}


def test_codes_of_mixed_types_are_compared_as_text(reference):
    data = extract()
    mixed = data.assign(utdanning=[None if pd.isna(v) else (int(v) if i % 2 else str(int(v)))
                                   for i, v in enumerate(data["utdanning"])])
    pd.testing.assert_frame_equal(read_panel(mixed, roles=ROLES).frame, reference.frame)


def test_an_absent_optional_column_is_reported_with_the_other_problems(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(ROLES_FILE.read_text(encoding="utf-8").replace('"kvinne"', '"kvinnne"'), encoding="utf-8")
    data = setcell(extract(), 2, "aarmnd", "mars 2016")
    for load in (read_panel, scan_panel):
        with pytest.raises(PanelValidationError) as caught:
            load(data, roles=ColumnRoles.from_toml(path))
        assert len(caught.value.problems) == 2
        assert "'kvinnne'" in caught.value.problems[0] and "'mars 2016'" in caught.value.problems[1]


def test_readme_roles_example_is_the_tested_file():
    """The README's first TOML block is tests/data/readme_roles.toml, so the two cannot drift."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    assert block == ROLES_FILE.read_text(encoding="utf-8")


def test_readme_optional_roles_tables_parse(tmp_path):
    """The README's second TOML block ([missing], [unemployment], [schedule]) is a valid roles file."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n")[2].split("```", 1)[0]
    path = tmp_path / "roles.toml"
    path.write_text(ROLES_FILE.read_text(encoding="utf-8") + "\n" + block, encoding="utf-8")
    roles = ColumnRoles.from_toml(path)
    assert roles.unemployment_columns["unemployment_pct"] == "ledighet"
    assert roles.schedule_columns["start_month"] == "oppstart"
    assert "employed" in roles.missing
