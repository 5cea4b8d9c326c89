"""Rollout schedules as data: which unit starts the programme in which month.

A schedule is a table ``unit -> start month`` (and optionally ``unit -> region``), never
code, so that a user can change it.  Units without a start month are never treated.  The
Norwegian 2017 schedule of *forsterket ungdomsinnsats* ships as data with the FUI
replication (:func:`evalkit.replications.fui.schedule.norway_2017_schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import pandas as pd

from evalkit.errors import ScheduleError
from evalkit.panel.months import month_label, to_month_index


@dataclass(frozen=True)
class RolloutSchedule:
    """Start month (month index, missing = never treated) and region of each unit."""

    frame: pd.DataFrame
    unit: str = "county"

    @classmethod
    def from_frame(
        cls,
        data: pd.DataFrame,
        *,
        unit: str = "county",
        start: str = "start_month",
        region: str | None = "region",
    ) -> "RolloutSchedule":
        """Build a schedule from a table with one row per unit.

        Raises :class:`ScheduleError` when the table is empty, a column is missing, a unit
        or region is missing or a unit appears twice, or a start month cannot be read.
        """
        if not isinstance(data, pd.DataFrame):
            raise ScheduleError(f"a rollout schedule is built from a pandas DataFrame, got {type(data).__name__}")
        needed = [unit, start] + ([region] if region else [])
        missing = [c for c in needed if c not in data.columns]
        if missing:
            raise ScheduleError(
                f"rollout schedule lacks column(s) {missing}; it has {list(data.columns)}"
            )
        if len(data) == 0:
            raise ScheduleError("rollout schedule has no rows; expected one row per unit with its start month")
        for column in [unit] + ([region] if region else []):
            gaps = data[column].isna() | (data[column].astype("string").str.strip() == "").fillna(False)
            if gaps.any():
                raise ScheduleError(
                    f"rollout schedule column {column!r} is missing in {int(gaps.sum())} row(s), e.g. row "
                    f"{data.index[gaps.to_numpy(dtype=bool)][0]!r}; every unit needs a name and a region"
                )
        dup = data[unit].duplicated(keep=False)
        if dup.any():
            raise ScheduleError(
                f"rollout schedule lists unit(s) {sorted(data.loc[dup, unit].astype(str).unique())} "
                "more than once; a unit has one start month (a unit in two regions is an error)"
            )
        months = to_month_index(data[start])
        bad = data[start].notna() & months.isna()
        if bad.any():
            raise ScheduleError(
                f"rollout schedule column {start!r}: cannot read {data.loc[bad, start].tolist()[:5]} "
                "as months (expected e.g. '2017-01')"
            )
        frame = pd.DataFrame(
            {
                "unit": data[unit].astype("string").to_numpy(),
                "start_month": months.to_numpy(),
                "region": (data[region].astype("string") if region else data[unit].astype("string")).to_numpy(),
            }
        )
        return cls(frame=frame, unit=unit)

    @classmethod
    def read_csv(cls, path: str | PathLike[str], **kwargs: str) -> "RolloutSchedule":
        """Read a schedule from a CSV file (columns as in :meth:`from_frame`)."""
        return cls.from_frame(pd.read_csv(path, dtype=str), **kwargs)

    @property
    def units(self) -> list[str]:
        return self.frame["unit"].tolist()

    def check_units(self, units: pd.Series, *, column: str) -> None:
        """Raise when ``units`` holds a value the schedule does not know."""
        unknown = units.dropna().astype("string")
        unknown = unknown[~unknown.isin(self.frame["unit"])]
        if len(unknown):
            counts = unknown.value_counts().head(10).to_dict()
            raise ScheduleError(
                f"column {column!r} holds unit(s) absent from the rollout schedule: {counts} "
                f"({len(unknown)} row(s)); the schedule knows {self.units}"
            )

    def lookup(self, units: pd.Series) -> pd.DataFrame:
        """``start_month`` and ``region`` for each value of ``units`` (aligned to its index).

        Each distinct unit is looked up once; its values are then repeated for its rows.
        """
        table = self.frame.set_index("unit")
        codes, keys = pd.factorize(units.astype("string"))
        keys = pd.Series(keys)
        return pd.DataFrame(
            {
                "start_month": keys.map(table["start_month"]).astype("Int64").array.take(codes, allow_fill=True),
                "region": keys.map(table["region"]).astype("string").array.take(codes, allow_fill=True),
            },
            index=units.index,
        )

    def __str__(self) -> str:
        rows = [
            f"  {u:<20} {r:<12} {month_label(s) if pd.notna(s) else 'never'}"
            for u, s, r in self.frame[["unit", "start_month", "region"]].itertuples(index=False)
        ]
        return f"rollout schedule by {self.unit}:\n" + "\n".join(rows)
