"""Auxiliary tables of a study ([data.auxiliary]): any numeric column keyed by county, region and/or month."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from evalkit import Study
from evalkit.errors import DesignError, StudyError
from evalkit.panel.months import month_label, parse_month
from evalkit.replications.fui.auxiliary import attach_auxiliary, auxiliary_table
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.replications.fui.unemployment import read_table

MONTHS = [month_label(m) for m in range(parse_month("2014-01"), parse_month("2019-12") + 1)]


def _tables(root) -> tuple:
    """A county x month table with a vacancy rate and a month table with a price index, as CSV."""
    counties = list(norway_2017_schedule().frame["unit"])
    labour = pd.DataFrame([(c, m) for c in counties for m in MONTHS], columns=["county", "month"])
    labour["vacancy_rate"] = [f"{1 + (i % 7) * 0.25 + j * 0.01:.2f}".replace(".", ",")  # decimal commas are read
                              for i, j in zip(labour.index // len(MONTHS), labour.index % len(MONTHS))]
    prices = pd.DataFrame({"month": MONTHS, "cpi": 100 + 0.1 * (np.arange(len(MONTHS)) * 37 % 17)})  # not linear in time
    labour.to_csv(root / "labour.csv", index=False, sep=";")
    prices.to_csv(root / "prices.csv", index=False)
    return labour, prices


def _study(root, **model):
    return Study.from_dict({
        "kind": "entry_cohort_did",
        "data": {"auxiliary": {"labour": str(root / "labour.csv"), "prices": str(root / "prices.csv")},
                 "synthetic": {"scale": 0.03}},
        "outcomes": {"states": ["employed"], "horizons": [3]},
        "model": {"covariates": ["nav_category", "female", "age_group", "education_level", "county_unemployment_pct",
                                 "vacancy_rate", "cpi"], **model},
        "inference": {"few_clusters": False}, "event_study": {"enabled": False}, "placebo": {"enabled": False},
    })


def test_a_study_uses_any_numeric_column_of_its_auxiliary_tables(tmp_path):
    labour, prices = _tables(tmp_path)
    study = _study(tmp_path)
    inputs = study.load()
    assert [t.name for t in inputs.auxiliary] == ["labour", "prices"]
    result = study.run(inputs)
    frame = result.sample.frame
    # each entrant has its county's vacancy rate and the price index of its entry month
    lookup = labour.assign(rate=labour["vacancy_rate"].str.replace(",", ".").astype(float)).set_index(["county", "month"])
    keys = list(zip(frame["county"].astype(str), frame["entry_month"].map(month_label)))
    np.testing.assert_array_equal(frame["vacancy_rate"].to_numpy(), lookup.loc[keys, "rate"].to_numpy())
    np.testing.assert_array_equal(frame["cpi"].to_numpy(), prices.set_index("month").loc[frame["entry_month"].map(month_label), "cpi"].to_numpy())
    model = result.conventional.models[("employed", 3)]
    assert {"vacancy_rate", "cpi"} <= set(model.params.index)
    # the coefficients are those of least squares on the design with the two columns
    design = model.data.drop(columns=["y", "county"]).astype(float)
    design = design.assign(**{"south_west:t2": design["t2"] * design["south_west"], "Intercept": 1.0})
    beta = np.linalg.lstsq(design.to_numpy(), model.data["y"].to_numpy(dtype=float), rcond=None)[0]
    np.testing.assert_allclose(model.params[list(design.columns)], beta, rtol=1e-8, atol=1e-12)
    doc = study.results_document(result)
    assert {"auxiliary labour", "auxiliary prices"} <= {i["role"] for i in doc["provenance"]["inputs"]}

    # an entrant's county-month missing from the table: the table, its keys, the count and examples
    gap = labour[~((labour["county"] == "Rogaland") & (labour["month"] == "2016-04"))]
    short = replace(inputs, auxiliary=(auxiliary_table("labour", gap), inputs.auxiliary[1]))
    lacking = int(((frame["county"] == "Rogaland") & (frame["entry_month"] == parse_month("2016-04"))).sum())
    assert lacking > 0
    with pytest.raises(DesignError, match=rf"auxiliary table 'labour' \(keyed by county, month\) has no row for "
                                          rf"{lacking} entry\(ies\), e.g. \['Rogaland 2016-04'\]"):
        study.run(short)


def test_auxiliary_tables_are_checked_before_the_run(tmp_path):
    _tables(tmp_path)
    with pytest.raises(StudyError, match=r"\[model\] covariates item 6: 'vacancy' .*'vacancy_rate', 'cpi'.*"
                                         r"Did you mean 'vacancy_rate'"):
        _study(tmp_path, covariates=["nav_category", "female", "age_group", "education_level",
                                     "county_unemployment_pct", "vacancy"]).load()
    with pytest.raises(StudyError, match=r"\[model\] covariates item 1: 'vacancy_rate' is not a column .*\[data.auxiliary\]"):
        Study.from_dict({"kind": "entry_cohort_did", "model": {"covariates": ["vacancy_rate"]}})
    (tmp_path / "prices.csv").write_text("month,cpi\n2016-03,100\n2016-04,n/a\n2016-05,\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"\[data.auxiliary\] prices.*column 'cpi' has 2 cell\(s\) that are not numbers, "
                                         r"e.g. \['n/a', ''\] \(line 3, line 4\)"):
        _study(tmp_path).load()
    (tmp_path / "prices.csv").write_text("when,cpi\n2016-03,100\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"auxiliary table 'prices' has columns \['when', 'cpi'\]; expected key column"):
        _study(tmp_path).load()
    (tmp_path / "prices.csv").write_text("month,cpi\n2016-03,100\n2016-03,101\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"2 rows repeat a key \(month\), e.g. line 2, line 3"):
        _study(tmp_path).load()
    (tmp_path / "prices.csv").write_text("month,female\n2016-03,1\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"\[data.auxiliary\] prices: its column 'female' is named like a column"):
        _study(tmp_path).load()
    with pytest.raises(StudyError, match=r"\[data.auxiliary\] labour.*no such file"):
        _study(tmp_path / "absent").load()


def test_a_region_keyed_table_matches_the_region_of_the_schedule():
    table = auxiliary_table("regional", pd.DataFrame({"region": ["south_west", "rest"], "wage_index": ["1,5", "2"]},
                                                     index=["line 2", "line 3"]))
    frame = pd.DataFrame({"region": ["rest", "south_west", "rest"], "county": ["a", "b", "c"]}, index=[7, 8, 9])
    attached = attach_auxiliary(frame, table, ("wage_index",))
    assert attached.index.tolist() == [7, 8, 9] and attached["wage_index"].tolist() == [2.0, 1.5, 2.0]
    with pytest.raises(DesignError, match=r"'regional' \(keyed by region\) has no row for 1 entry\(ies\), e.g. \['north'\]"):
        attach_auxiliary(frame.assign(region=["rest", "north", "rest"]), table, ("wage_index",))


def test_read_table_then_auxiliary_table_reads_parquet(tmp_path):
    pd.DataFrame({"county": ["Oslo"], "month": ["2016-03"], "x": [1.5]}).to_parquet(tmp_path / "t.parquet")
    table = auxiliary_table("t", read_table(tmp_path / "t.parquet"))
    assert table.keys == ("county", "month") and table.columns == ("x",) and table.frame["x"].tolist() == [1.5]
