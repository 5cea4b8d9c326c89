"""Exception and warning classes of evalkit.

Every error raised on bad input is an :class:`EvalkitError`, so that scripts can catch
evalkit's own complaints apart from bugs.  Messages name the column, the rows and what was
expected.
"""

from __future__ import annotations


class EvalkitError(ValueError):
    """Base class of all errors evalkit raises on bad input or an impossible design."""


class PanelValidationError(EvalkitError):
    """The status panel breaks rules: missing column, duplicate person-month, bad value.

    ``problems`` lists every problem found in one pass (the message shows them all).
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (message,)


class RolesError(EvalkitError):
    """A roles file (or :class:`~evalkit.panel.ColumnRoles`) is malformed; the message
    names the file, the key and the nearest valid name."""


class StudyError(EvalkitError):
    """A study file (or :class:`~evalkit.study.Study` setting) is malformed or describes an
    impossible design; the message names the file, the key (or the option that set it),
    what was expected and what was given."""


class DataFileError(EvalkitError):
    """A data file cannot be read: missing, empty, unknown format, undecodable text."""


class DesignError(EvalkitError):
    """The requested design cannot be estimated: empty group, collinear regressors, ...

    ``reason`` is the fact alone, without the message's advice on the arguments of the
    function that raised it (for a caller that chose those arguments itself); the whole
    message when there is no advice.
    """

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = message if reason is None else reason


class CellDesignError(DesignError):
    """One ATT(g,t) cell cannot be estimated; ``group`` (first treated period) and ``period``
    name it, and ``reason`` says why without naming the cell."""

    def __init__(self, message: str, *, group: float, period: float, reason: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.group = group
        self.period = period


class ScheduleError(EvalkitError):
    """A rollout schedule is malformed: unknown unit, treatment switching off, ..."""


class EvalkitWarning(UserWarning):
    """Base class of evalkit's warnings."""


class FewClustersWarning(EvalkitWarning):
    """Cluster-robust inference rests on few clusters (or few treated clusters)."""


class ExcludedRowsWarning(EvalkitWarning):
    """Rows were excluded from an analysis; the message says how many and why."""
