"""A planned rollout: waves (start month, number of units) and the 2x2 entry windows it implies.

The 2x2 design compares units that start by the first month of the post window (the
treated waves) with units that start after its last month or never (the comparison),
between a pre window and the post window, as in the FUI evaluation (6 South-West
counties in January 2017, the rest in July; windows March-June 2016 and 2017).  Which
units form which wave is not part of the plan: the power analysis draws them.

Text form (the command line's ``--candidate``)::

    "2017-01:6,2017-07:rest"                       # 6 units in January, the rest in July
    "2017-01:9,2017-07:rest;post=2017-03..2017-06"  # windows given
    "2017-01:6;post=2017-02..2017-09;pre=2016-02..2016-09"   # the rest never treated
    "2017-01:4,2017-04:4,2017-07:rest;span=2016-03..2017-06"  # event-study months given

The event study (``estimator="event_study"``) uses every month of :meth:`PlannedRollout.event_span`:
the waves start inside it and units start treated in their wave's month (staggered).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from evalkit.cohorts import RolloutSchedule
from evalkit.errors import DesignError
from evalkit.panel.months import month_label, parse_month

__all__ = ["REST", "PlannedRollout"]

#: Wave size meaning "every unit not in another wave".
REST = "rest"

#: Months from the first wave's start to the post window's first month by default
#: (FUI: January start, entry window from March).
DEFAULT_LAG = 2


def _month(value: object, what: str) -> int:
    try:
        return parse_month(value)
    except ValueError as err:
        raise DesignError(f"{what}: cannot read {value!r} as a month; expected e.g. '2017-01'") from err


def _window(span: object, what: str) -> tuple[int, int]:
    if isinstance(span, str):
        first, sep, last = span.partition("..")
        if not sep:
            raise DesignError(f"{what}: expected 'first..last' such as '2017-03..2017-06', got {span!r}")
        span = (first.strip(), last.strip())
    if not isinstance(span, (tuple, list)) or len(span) != 2:
        raise DesignError(f"{what}: expected (first month, last month), got {span!r}")
    first, last = _month(span[0], what), _month(span[1], what)
    if first > last:
        raise DesignError(f"{what} ends before it starts: {month_label(first)}..{month_label(last)}")
    return first, last


@dataclass(frozen=True)
class PlannedRollout:
    """A planned schedule: waves of units and the pre and post entry windows of its 2x2.

    Parameters
    ----------
    waves
        ``(start month, number of units)`` per wave, e.g. ``[("2017-01", 6), ("2017-07",
        "rest")]``; ``"rest"`` (at most once) is every unit not in another wave.  Units in
        no wave are never treated (comparison).
    post
        The post entry window ``(first, last)`` or ``"first..last"``; default from the
        month two months after the first wave's start to the month before the next wave
        starts (the FUI windows: March-June 2017), or to 3 months on when there is no
        other wave.
    pre
        The pre entry window; default the post window 12 months earlier (same calendar
        months).
    name
        Label of the schedule in tables and plots (default: its text form).
    span
        The event study's months ``(first, last)`` or ``"first..last"``; default
        :meth:`event_span` (the 2x2 design ignores it).

    Raises
    ------
    DesignError
        Naming the wave or window: unreadable months, non-positive or non-integer sizes,
        ``"rest"`` twice, windows that overlap or end before they start, or a wave that
        does not fit the 2x2 (a wave starting inside the post window, or before the pre
        window ends).
    """

    waves: tuple[tuple[int, int | str], ...]
    post: tuple[int, int]
    pre: tuple[int, int]
    name: str = ""
    span: tuple[int, int] | None = None

    @classmethod
    def make(
        cls,
        waves: Sequence[tuple[object, int | str]],
        *,
        post: object = None,
        pre: object = None,
        name: str = "",
        span: object = None,
    ) -> "PlannedRollout":
        """Build and check a planned rollout from months as text (see the class)."""
        if isinstance(waves, (str, bytes)) or not len(waves):
            raise DesignError(f"waves must be a list of (start month, number of units), got {waves!r}")
        parsed: list[tuple[int, int | str]] = []
        for i, wave in enumerate(waves):
            if not isinstance(wave, (tuple, list)) or len(wave) != 2:
                raise DesignError(f"wave {i + 1} must be (start month, number of units), got {wave!r}")
            start, size = wave
            start = _month(start, f"wave {i + 1} start")
            if size != REST and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1):
                raise DesignError(f"wave {i + 1} ({month_label(start)}): size must be a positive whole number "
                                  f"or 'rest', got {size!r}")
            parsed.append((start, size if size == REST else int(size)))
        if sum(size == REST for _, size in parsed) > 1:
            raise DesignError("only one wave can have size 'rest'")
        starts = [s for s, _ in parsed]
        if len(set(starts)) != len(starts):
            raise DesignError(f"two waves start in the same month: {[month_label(s) for s in starts]}")
        parsed.sort()
        first = parsed[0][0]
        if post is None:
            following = [s for s, _ in parsed if s > first + DEFAULT_LAG]
            post_span = (first + DEFAULT_LAG, (following[0] - 1) if following else first + DEFAULT_LAG + 3)
        else:
            post_span = _window(post, "post window")
        pre_span = (post_span[0] - 12, post_span[1] - 12) if pre is None else _window(pre, "pre window")
        if pre_span[1] >= post_span[0]:
            raise DesignError(
                f"the pre window {month_label(pre_span[0])}..{month_label(pre_span[1])} must end before the post "
                f"window {month_label(post_span[0])}..{month_label(post_span[1])} starts"
            )
        for start, size in parsed:
            where = f"wave {month_label(start)} ({size} units)"
            if start <= pre_span[1]:
                raise DesignError(f"{where} starts before the pre window {_label(pre_span)} ends: its units "
                                  "would be exposed in the pre window")
            if post_span[0] < start <= post_span[1]:
                raise DesignError(f"{where} starts inside the post window {_label(post_span)}: its units are "
                                  "neither treated throughout the window nor a comparison")
        if parsed[0][0] > post_span[0]:
            raise DesignError(f"no wave starts by the first month of the post window {_label(post_span)}: "
                              "the 2x2 has no treated units")
        event_span = None if span is None else _window(span, "event-study span")
        if event_span is not None and not event_span[0] < parsed[0][0] <= event_span[1]:
            raise DesignError(f"the event-study span {_label(event_span)} must contain the first wave's start "
                              f"{month_label(parsed[0][0])} and at least one month before it")
        rollout = cls(waves=tuple(parsed), post=post_span, pre=pre_span, name=name, span=event_span)
        return rollout if name else replace(rollout, name=rollout.text)

    @classmethod
    def parse(cls, text: str, *, name: str = "") -> "PlannedRollout":
        """Read the text form ``"2017-01:6,2017-07:rest;post=2017-03..2017-06;pre=..."``."""
        if not isinstance(text, str) or not text.strip():
            raise DesignError(f"a planned schedule must be text such as '2017-01:6,2017-07:rest', got {text!r}")
        parts = [p.strip() for p in text.split(";")]
        waves = []
        for item in parts[0].split(","):
            start, sep, size = item.strip().partition(":")
            if not sep:
                raise DesignError(f"schedule {text!r}: wave {item.strip()!r} must be 'month:units' such as '2017-01:6'")
            size = size.strip()
            if size != REST:
                if not size.isdigit():
                    raise DesignError(f"schedule {text!r}: wave {item.strip()!r} needs a whole number of units or 'rest'")
                size = int(size)
            waves.append((start.strip(), size))
        windows: dict[str, str] = {}
        for part in parts[1:]:
            key, sep, value = part.partition("=")
            if not sep or key.strip() not in ("pre", "post", "span"):
                raise DesignError(f"schedule {text!r}: {part!r} must be 'pre=first..last', 'post=first..last' or "
                                  "'span=first..last'")
            windows[key.strip()] = value.strip()
        return cls.make(waves, post=windows.get("post"), pre=windows.get("pre"), span=windows.get("span"),
                        name=name)

    @classmethod
    def from_schedule(cls, schedule: RolloutSchedule, *, post: object = None, pre: object = None,
                      name: str = "", span: object = None) -> "PlannedRollout":
        """The waves of a rollout schedule table: the number of units starting in each month."""
        starts = schedule.frame["start_month"].dropna().astype(int)
        if starts.empty:
            raise DesignError("the rollout schedule has no unit with a start month")
        counts = starts.value_counts().sort_index()
        return cls.make([(month_label(m), int(n)) for m, n in counts.items()], post=post, pre=pre, name=name,
                        span=span)

    @property
    def text(self) -> str:
        """The text form (:meth:`parse` reads it back)."""
        waves = ",".join(f"{month_label(s)}:{n}" for s, n in self.waves)
        span = "" if self.span is None else f";span={_label(self.span)}"
        return f"{waves};post={_label(self.post)};pre={_label(self.pre)}{span}"

    def treated_waves(self) -> tuple[bool, ...]:
        """Per wave: treated (started by the post window's first month) or comparison."""
        return tuple(start <= self.post[0] for start, _ in self.waves)

    def sizes(self, n_units: int) -> tuple[int, int]:
        """Numbers of treated and comparison units among ``n_units`` (units in no wave: comparison).

        Raises
        ------
        DesignError
            When the waves need more units than there are, or leave no comparison unit.
        """
        fixed = sum(n for _, n in self.waves if n != REST)
        if fixed > n_units or (fixed == n_units and any(n == REST for _, n in self.waves)):
            raise DesignError(f"schedule {self.name!r} needs {fixed} units"
                              + (" plus at least one for 'rest'" if fixed == n_units else "")
                              + f" but the data have {n_units}")
        rest = n_units - fixed
        treated = sum(rest if n == REST else n for (_, n), t in zip(self.waves, self.treated_waves()) if t)
        if treated >= n_units:
            raise DesignError(f"schedule {self.name!r} treats all {n_units} units by the post window: "
                              "the 2x2 has no comparison units")
        return treated, n_units - treated

    def design_span(self) -> tuple[int, int]:
        """First and last entry month of the 2x2 (the pre window's first, the post window's last)."""
        return self.pre[0], self.post[1]

    def wave_sizes(self, n_units: int) -> tuple[int, ...]:
        """Units per wave among ``n_units`` (``"rest"`` resolved; checked by :meth:`sizes`)."""
        self.sizes(n_units)
        fixed = sum(n for _, n in self.waves if n != REST)
        return tuple(n_units - fixed if n == REST else int(n) for _, n in self.waves)

    def event_span(self, n_units: int) -> tuple[int, int]:
        """The event study's months: ``span`` when given, else from the pre window's first month to
        the month before the last wave when every unit has a wave (no comparison is left after it),
        or to as many months after the last wave's start as the post window ends after the first's."""
        if self.span is not None:
            return self.span
        last_start = self.waves[-1][0]
        if sum(self.wave_sizes(n_units)) == n_units:
            last = last_start - 1
        else:
            last = max(self.post[1], last_start + self.post[1] - self.waves[0][0])
        return self.pre[0], last

    def starts(self, n_units: int, strata: np.ndarray | None = None) -> np.ndarray:
        """A template assignment: the start month of each of ``n_units`` units (0: in no wave).

        Without ``strata`` the waves are laid out in order.  With a stratum label per unit the
        planned wave sizes are spread over the strata in proportion to their sizes by
        systematic allocation: units are ordered by ``(rank within stratum + 1/2) / stratum
        size`` and take the waves in that order, so every stratum gets each wave's share of its
        size to within one unit and the totals per wave are the planned ones (Cochran 1977,
        ch. 5, proportional allocation).  Permuting the template within strata
        (:func:`evalkit.inference.schedule_assignments`) keeps these counts per stratum.
        """
        values = np.zeros(n_units, dtype=np.int64)
        layout = np.concatenate([np.full(n, start, dtype=np.int64) for (start, _), n in
                                 zip(self.waves, self.wave_sizes(n_units))] + [values[:0]])
        layout = np.concatenate([layout, np.zeros(n_units - layout.size, dtype=np.int64)])
        if strata is None:
            return layout
        codes, _ = pd.factorize(pd.Series(np.asarray(strata, dtype=object)), sort=True)
        if codes.size != n_units:
            raise DesignError(f"strata: {codes.size} labels for {n_units} units")
        rank = pd.Series(codes).groupby(codes).cumcount().to_numpy()
        size = np.bincount(codes)[codes]
        order = np.lexsort((codes, (rank + 0.5) / size))
        values[order] = layout
        return values

    def shifted(self, months: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """The pre and post windows moved by ``months`` (negative: earlier)."""
        return (self.pre[0] + months, self.pre[1] + months), (self.post[0] + months, self.post[1] + months)

    def describe(self) -> pd.DataFrame:
        """One row per wave: start month, units, role in the 2x2."""
        return pd.DataFrame(
            {
                "start": [month_label(s) for s, _ in self.waves],
                "units": [str(n) for _, n in self.waves],
                "role": ["treated" if t else "comparison" for t in self.treated_waves()],
            }
        )


def _label(span: tuple[int, int]) -> str:
    return f"{month_label(span[0])}..{month_label(span[1])}"
