"""Shared fixtures: tiny hand-made status panels, and one local Spark session."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

HAS_SPARK = importlib.util.find_spec("pyspark") is not None


@pytest.fixture(scope="session")
def spark():
    """A local Spark session shared by every Spark test of a test process (started once)."""
    if not HAS_SPARK:
        pytest.skip("pyspark is not installed (pip install 'evalkit[spark]')")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("evalkit-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def person_rows(
    person: int,
    first: str,
    last: str,
    *,
    nav: dict[str, str] | None = None,
    employed: tuple[str, ...] = (),
    education: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
    county: str = "Oslo",
    female: int = 0,
    birth_year: int = 1995,
    education_level: str | None = "upper_secondary",
    **extra: object,
) -> list[dict[str, object]]:
    """Monthly rows of one person from ``first`` to ``last`` (inclusive), months as 'YYYY-MM'."""
    nav = nav or {}
    rows = []
    for period in pd.period_range(first, last, freq="M"):
        m = str(period)
        if m in skip:
            continue
        rows.append(
            {
                "person_id": person,
                "month": m,
                "county": county,
                "nav_category": nav.get(m),
                "employed": int(m in employed),
                "in_education": int(m in education),
                "female": female,
                "birth_year": birth_year,
                "education_level": education_level,
                **extra,
            }
        )
    return rows


@pytest.fixture
def make_person():
    return person_rows


@pytest.fixture
def small_panel() -> pd.DataFrame:
    rows = person_rows(1, "2016-01", "2016-06", nav={"2016-02": "standard"}, employed=("2016-04",))
    rows += person_rows(2, "2016-01", "2016-06", nav={"2016-03": "situational"}, education=("2016-05",))
    return pd.DataFrame(rows)
