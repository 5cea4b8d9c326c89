"""evalkit: quasi-experimental evaluation of programmes rolled out region by region.

The main entry points, by stage:

- panels: :func:`read_panel`, :class:`ColumnRoles`
- cohorts: :func:`find_entries`, :class:`RolloutSchedule`
- outcomes: :func:`outcomes_at_horizons`, :func:`transition_rates`,
  :func:`transition_matrix`, :func:`cumulative_incidence`
- estimators: :func:`feols`, :func:`did2x2`
- synthetic data: :func:`simulate_fui_panel`
- the FUI evaluation: :func:`run_fui`
"""

from evalkit.cohorts import Entries, RolloutSchedule, find_entries
from evalkit.errors import (
    DesignError,
    EvalkitError,
    EvalkitWarning,
    ExcludedRowsWarning,
    FewClustersWarning,
    PanelValidationError,
    ScheduleError,
)
from evalkit.estimators import DiD2x2Result, did2x2
from evalkit.outcomes import (
    cumulative_incidence,
    outcomes_at_horizons,
    transition_matrix,
    transition_rates,
)
from evalkit.panel import ColumnRoles, StatusPanel, read_panel
from evalkit.regression import OLSFit, RegressionResult, feols, fit_ols
from evalkit.replications.fui import FuiSpec, run_fui
from evalkit.simulate import FuiEffects, SyntheticFuiData, simulate_fui_panel, write_panel

__version__ = "0.1.0"

__all__ = [
    "ColumnRoles",
    "DesignError",
    "DiD2x2Result",
    "Entries",
    "EvalkitError",
    "EvalkitWarning",
    "ExcludedRowsWarning",
    "FewClustersWarning",
    "FuiEffects",
    "FuiSpec",
    "OLSFit",
    "PanelValidationError",
    "RegressionResult",
    "RolloutSchedule",
    "ScheduleError",
    "StatusPanel",
    "SyntheticFuiData",
    "__version__",
    "cumulative_incidence",
    "did2x2",
    "feols",
    "find_entries",
    "fit_ols",
    "outcomes_at_horizons",
    "read_panel",
    "run_fui",
    "simulate_fui_panel",
    "transition_matrix",
    "transition_rates",
    "write_panel",
]
