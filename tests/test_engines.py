"""Panel preparation in the engine: stored (Parquet / DuckDB table) equals in memory,
validation errors on stored panels, cells, and the same SQL text on DuckDB and Spark."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pytest

from evalkit import PanelValidationError
from evalkit.cohorts import find_entries
from evalkit.engine import DuckDBEngine, DuckDBTable, ParquetSource, SparkEngine
from evalkit.outcomes import outcomes_at_horizons
from evalkit.outcomes.horizons import outcome_cells
from evalkit.panel import ColumnRoles, read_panel, scan_panel
from evalkit.panel.months import to_month_index
from evalkit.replications.fui.regressions import design_frame, fit_fui_regressions
from evalkit.replications.fui.sample import prepare_sample
from evalkit.replications.fui.schedule import norway_2017_schedule
from evalkit.replications.fui.synthetic import simulate_fui_panel

SCHEDULE = norway_2017_schedule()


@dataclass
class Recording:
    """An engine that records every SQL text it is asked to run."""

    inner: object
    texts: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    def fetch(self, sql, tables):
        self.texts.append(sql)
        return self.inner.fetch(sql, tables)

    def fetch_many(self, queries, tables):
        self.texts.extend(queries)
        return self.inner.fetch_many(queries, tables)

    def columns(self, table):
        return self.inner.columns(table)


@pytest.fixture(scope="module")
def national():
    return simulate_fui_panel(scale=0.01, seed=11)


@pytest.fixture(scope="module")
def parquet_path(national, tmp_path_factory):
    path = tmp_path_factory.mktemp("panel") / "panel.parquet"
    # microsecond timestamps: Spark cannot read pandas' default nanoseconds
    national.panel.to_parquet(path, coerce_timestamps="us", allow_truncated_timestamps=True)
    return path


@pytest.fixture(scope="module")
def in_memory(national):
    return read_panel(national.panel)


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values without engine-specific dtypes: numbers as float, labels as str or None."""
    out = {}
    for name, column in frame.items():
        if pd.api.types.is_numeric_dtype(column.dtype) and not isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = column.astype("float64")
        else:
            out[name] = column.astype(object).where(column.notna(), None)
    return pd.DataFrame(out)


def prepared(panel, unemployment):
    """Entries, outcomes and the FUI regression sample (two queries on the engine)."""
    sample = prepare_sample(panel, unemployment, SCHEDULE)
    return sample.entries, sample.outcomes, sample


def assert_same_preparation(left, right) -> None:
    for a, b in zip(left, right):
        pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=False, rtol=1e-10)
    assert left[0].report == right[0].report
    pd.testing.assert_frame_equal(left[1].report.table, right[1].report.table)


@pytest.fixture(scope="module")
def memory_prepared(in_memory, national):
    return prepared(in_memory, national.unemployment)


def test_stored_parquet_equals_in_memory(parquet_path, in_memory, memory_prepared, national):
    stored = scan_panel(parquet_path, engine=DuckDBEngine(memory_limit="500MB"))
    assert stored.is_lazy and not in_memory.is_lazy
    assert stored.report == in_memory.report
    assert_same_preparation(memory_prepared, prepared(stored, national.unemployment))
    for options in ({"first_only": True}, {"unknown_history": "assume_new", "categories": ("standard",)}):
        memory_entries, stored_entries = find_entries(in_memory, **options), find_entries(stored, **options)
        pd.testing.assert_frame_equal(memory_entries.frame, stored_entries.frame)
        pd.testing.assert_frame_equal(
            outcomes_at_horizons(in_memory, memory_entries, horizons=(2, 12)).frame,
            outcomes_at_horizons(stored, stored_entries, horizons=(2, 12)).frame,
        )


def test_fui_estimates_equal_in_memory_and_stored(parquet_path, memory_prepared, national):
    stored_sample = prepared(scan_panel(parquet_path), national.unemployment)[2]
    memory_sample = memory_prepared[2]
    pd.testing.assert_frame_equal(design_frame(stored_sample), design_frame(memory_sample))
    stored = fit_fui_regressions(stored_sample).effects()
    memory = fit_fui_regressions(memory_sample).effects()
    np.testing.assert_allclose(stored["estimate"], memory["estimate"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(stored["std_error"], memory["std_error"], rtol=1e-10)


def test_duckdb_table_source(tmp_path, in_memory, national):
    database = tmp_path / "register.duckdb"
    con = duckdb.connect(str(database))
    con.register("frame", national.panel)
    con.execute("CREATE TABLE panel_2016_2018 AS SELECT * FROM frame")
    con.close()
    stored = scan_panel(DuckDBTable(str(database), "panel_2016_2018"))
    assert stored.report == in_memory.report
    pd.testing.assert_frame_equal(plain(stored.collect()), plain(in_memory.frame))


def test_lazy_panel_frame_says_to_collect(parquet_path):
    stored = scan_panel(ParquetSource(str(parquet_path)))
    with pytest.raises(ValueError, match="collect"):
        stored.frame


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: pd.concat([d, d.iloc[[0, 1]]]), r"4 row\(s\) form 2 duplicate person-month"),
        (lambda d: d.assign(month=d["month"].where(d.index != 3, "March 2016")),
         r"1 row\(s\) hold values that cannot be read as a month: 'March 2016': 1 row \(persons \[1\]\)"),
        (lambda d: d.assign(nav_category=d["nav_category"].where(d.index != 1, "IKVAL")),
         r"not known NAV need categories: 'IKVAL': 1 row"),
        (lambda d: d.assign(employed=d["employed"].where(d.index != 2, 2)),
         r"column 'employed' \(role employed\): 1 row\(s\) hold values that cannot be read as a 0/1"),
        (lambda d: d.assign(birth_year=d["birth_year"].where(d.index != 2, 1990)),
         r"'birth_year' \(role birth_year\) must be constant within a person.*1 person"),
        (lambda d: d.assign(county=d["county"].where(d.index != 1, None)), r"'county'.*missing in 1 row"),
        (lambda d: d.drop(columns="employed"), r"no column 'employed' \(required role employed\)"),
    ],
    ids=["duplicates", "bad-month", "unknown-category", "non-binary", "varying-attribute",
         "county-missing-at-nav", "missing-column"],
)
def test_stored_panel_errors_match_in_memory(tmp_path, small_panel, edit, message):
    bad = edit(small_panel.astype({"month": object}))
    with pytest.raises(PanelValidationError, match=message) as memory:
        read_panel(bad)
    path = tmp_path / "bad.parquet"
    bad.astype({"month": str, "county": object}).to_parquet(path)
    with pytest.raises(PanelValidationError, match=message) as stored:
        scan_panel(path)
    assert memory.value.problems == stored.value.problems


def test_stored_panel_with_roles_and_codes(tmp_path, small_panel):
    data = small_panel.rename(columns={"person_id": "lopenr", "month": "aarmnd"})
    data["nav_category"] = data["nav_category"].replace({"standard": "IKVAL"})
    data["aarmnd"] = data["aarmnd"].str.replace("-", "").astype(int)  # 201601
    roles = ColumnRoles(person="lopenr", month="aarmnd", categories={"IKVAL": "standard"})
    data.to_parquet(tmp_path / "p.parquet")
    stored = scan_panel(tmp_path / "p.parquet", roles=roles)
    memory = read_panel(data, roles=roles)
    assert stored.report == memory.report
    got = stored.collect()
    assert plain(got)["nav_category"].tolist() == plain(memory.frame)["nav_category"].tolist()
    assert got["month"].tolist() == memory.frame["month"].tolist()


def test_in_memory_validation_sorts_and_labels_duplicates(small_panel):
    shuffled = small_panel.sample(frac=1.0, random_state=np.random.default_rng(1).integers(1e6))
    panel = read_panel(shuffled)
    pd.testing.assert_frame_equal(panel.frame, read_panel(small_panel).frame)
    dup = pd.concat([shuffled, shuffled.loc[[7]]])
    person, month = small_panel.loc[7, ["person_id", "month"]]  # examples show person and month
    with pytest.raises(PanelValidationError, match=rf"2 row\(s\) form 1 duplicate.*\n.*\n +{person} {month} +2$"):
        read_panel(dup)


def test_datetime_months_with_missing_and_time_zone():
    stamps = pd.Series([pd.Timestamp("2016-03-31 23:00"), pd.NaT, pd.Timestamp("1969-12-01")])
    assert to_month_index(stamps).tolist() == [24194, pd.NA, 23639]
    aware = stamps.dt.tz_localize("Europe/Oslo")
    assert to_month_index(aware).tolist() == [24194, pd.NA, 23639]


def test_cells_sum_to_entries(memory_prepared):
    outcomes = memory_prepared[1]
    cells = outcome_cells(outcomes, ["region", "entry_month", "female"], columns=["employed_6"])
    frame = outcomes.frame
    expected = frame.groupby(["region", "entry_month", "female"], observed=True)["employed_6"].agg(
        size="size", count="count", sum=lambda v: v.sum(min_count=1)
    )
    assert cells["n_entries"].tolist() == expected["size"].tolist()
    assert cells["n_employed_6"].tolist() == expected["count"].tolist()
    np.testing.assert_allclose(cells["sum_employed_6"], expected["sum"], rtol=1e-12)
    observed = cells["n_employed_6"] > 0
    means = cells.loc[observed, "sum_employed_6"] / cells.loc[observed, "n_employed_6"]
    assert observed.any() and ((means >= 0) & (means <= 1)).all()


def test_cells_reject_unknown_columns(memory_prepared):
    with pytest.raises(ValueError, match=r"\['parish'\] are not in the outcomes"):
        outcome_cells(memory_prepared[1], ["parish"])


def test_preparation_sql_is_portable(parquet_path, national):
    recorder = Recording(DuckDBEngine())
    panel = scan_panel(parquet_path, engine=recorder)
    prepared(panel, national.unemployment)
    # distinct values of each coded column, person checks, entries, outcomes
    assert len(recorder.texts) == len(panel.columns) - 1 + 3
    for text in recorder.texts:
        assert "::" not in text and '"' not in text and "`" not in text
        assert not re.search(r"\b(VARCHAR|ILIKE|QUALIFY|EXCLUDE|list_|struct_pack)\b", text)


# --- Spark ---------------------------------------------------------------------------

def test_spark_runs_the_same_sql_and_matches(spark, parquet_path, in_memory, memory_prepared, national):
    on_spark = Recording(SparkEngine(spark))
    on_duckdb = Recording(DuckDBEngine())
    stored_spark = scan_panel(parquet_path, engine=on_spark)
    stored_duckdb = scan_panel(parquet_path, engine=on_duckdb)
    assert stored_spark.report == in_memory.report
    spark_prepared = prepared(stored_spark, national.unemployment)
    prepared(stored_duckdb, national.unemployment)
    assert on_spark.texts == on_duckdb.texts  # one expression, two engines
    assert_same_preparation(memory_prepared, spark_prepared)
    pd.testing.assert_frame_equal(design_frame(spark_prepared[2]), design_frame(memory_prepared[2]))


def test_spark_on_an_in_memory_panel(spark, in_memory, memory_prepared, national):
    assert_same_preparation(memory_prepared, prepared(in_memory.with_engine(SparkEngine(spark)), national.unemployment))
