"""Reading and validating status panels: every validation error, roles, file formats."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import PanelValidationError
from evalkit.errors import RolesError
from evalkit.panel import ColumnRoles, read_panel
from evalkit.panel.months import month_label, to_month_index


def test_canonical_types_and_report(small_panel):
    panel = read_panel(small_panel)
    assert panel.frame["month"].dtype == "int32"
    assert panel.frame["employed"].dtype == "int8"
    assert list(panel.frame["nav_category"].cat.categories) == [
        "standard", "situational", "specially_adapted", "permanently_adapted",
    ]
    assert panel.report.n_rows == 12
    assert panel.report.n_persons == 2
    assert panel.report.n_rows_at_nav == 2
    assert month_label(panel.first_month) == "2016-01"
    assert month_label(panel.last_month) == "2016-06"
    assert "12 person-months of 2 persons" in str(panel.report)


def test_input_is_not_mutated(small_panel):
    before = small_panel.copy()
    read_panel(small_panel)
    pd.testing.assert_frame_equal(small_panel, before)


@pytest.mark.parametrize(
    "values, expected",
    [
        (["2016-03", "2016-03-15", "201603", "2016M03"], [24194] * 4),
        ([201603, 201612], [24194, 24203]),
    ],
    ids=["strings", "yyyymm-integers"],
)
def test_month_formats(values, expected):
    assert to_month_index(pd.Series(values)).tolist() == expected


def test_missing_required_column_names_it(small_panel):
    with pytest.raises(PanelValidationError, match=r"no column 'employed' \(required role employed\)"):
        read_panel(small_panel.drop(columns="employed"))


def test_duplicate_person_months(small_panel):
    dup = pd.concat([small_panel, small_panel.iloc[[0, 1]]])
    with pytest.raises(PanelValidationError, match=r"4 row\(s\) form 2 duplicate person-month"):
        read_panel(dup)


def test_unparseable_months_are_reported(small_panel):
    bad = small_panel.assign(month=small_panel["month"].where(small_panel.index != 3, "March 2016"))
    with pytest.raises(PanelValidationError, match=r"1 row\(s\) hold values that cannot be read as a month: 'March 2016'"):
        read_panel(bad)


def test_unknown_category(small_panel):
    bad = small_panel.copy()
    bad.loc[1, "nav_category"] = "IKVAL"
    with pytest.raises(PanelValidationError, match=r"not known NAV need categories: 'IKVAL': 1 row"):
        read_panel(bad)


def test_user_category_codes_and_norwegian_labels(small_panel):
    data = small_panel.copy()
    data.loc[1, "nav_category"] = "IKVAL"
    data.loc[8, "nav_category"] = "Spesielt tilpasset innsats"
    panel = read_panel(data, roles=ColumnRoles(categories={"IKVAL": "standard"}))
    assert panel.frame.loc[1, "nav_category"] == "standard"
    assert panel.frame.loc[8, "nav_category"] == "specially_adapted"


@pytest.mark.parametrize("column", ["employed", "in_education", "female"])
def test_non_binary_indicator(small_panel, column):
    bad = small_panel.copy()
    bad[column] = bad[column].astype(object)
    bad.loc[2, column] = 2
    with pytest.raises(PanelValidationError, match=rf"column '{column}' \(role {column}\): 1 row\(s\) hold values that cannot be read as a 0/1 indicator: '2'"):
        read_panel(bad)


def test_attribute_changing_within_person(small_panel):
    bad = small_panel.copy()
    bad.loc[2, "birth_year"] = 1990
    with pytest.raises(PanelValidationError, match=r"'birth_year' \(role birth_year\) must be constant within a person.*1 person"):
        read_panel(bad)


def test_missing_county_in_a_month_at_nav(small_panel):
    bad = small_panel.copy()
    bad.loc[1, "county"] = None
    with pytest.raises(PanelValidationError, match=r"'county'.*missing in 1 row"):
        read_panel(bad)


def test_roles_from_toml(tmp_path, small_panel):
    toml = tmp_path / "roles.toml"
    toml.write_text(
        '[columns]\nperson = "lopenr"\nmonth = "aarmnd"\nfemale = ""\n\n[categories]\n"A" = "standard"\n',
        encoding="utf-8",
    )
    roles = ColumnRoles.from_toml(toml)
    data = small_panel.rename(columns={"person_id": "lopenr", "month": "aarmnd"})
    data["nav_category"] = data["nav_category"].replace({"standard": "A"})
    panel = read_panel(data, roles=roles)
    assert "female" not in panel.frame
    assert (panel.frame["nav_category"] == "standard").sum() == 1


def test_unknown_role_in_toml():
    with pytest.raises(RolesError, match="unknown role 'persn'. Did you mean 'person'"):
        ColumnRoles.from_dict({"columns": {"persn": "x"}})


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_files(tmp_path, small_panel, suffix):
    path = tmp_path / f"panel{suffix}"
    if suffix == ".csv":
        small_panel.to_csv(path, index=False)
    else:
        small_panel.to_parquet(path)
    assert read_panel(path).report.n_rows == len(small_panel)


def test_unsorted_rows_are_sorted_and_said(small_panel):
    panel = read_panel(small_panel.iloc[::-1])
    assert not panel.report.was_sorted
    assert panel.frame["month"].is_monotonic_increasing is False  # two persons
    assert panel.frame.groupby("person_id")["month"].apply(lambda m: m.is_monotonic_increasing).all()
