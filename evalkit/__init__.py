"""evalkit: quasi-experimental evaluation of programmes rolled out region by region."""

from evalkit.errors import (
    DesignError,
    EvalkitError,
    EvalkitWarning,
    ExcludedRowsWarning,
    FewClustersWarning,
    PanelValidationError,
    ScheduleError,
)

__version__ = "0.1.0"

__all__ = [
    "DesignError",
    "EvalkitError",
    "EvalkitWarning",
    "ExcludedRowsWarning",
    "FewClustersWarning",
    "PanelValidationError",
    "ScheduleError",
    "__version__",
]
