"""evalkit: quasi-experimental evaluation of programmes rolled out region by region.

The main entry points, by stage:

- panels: :func:`read_panel`, :func:`scan_panel` (out of core, DuckDB or Spark),
  :class:`ColumnRoles`
- cohorts: :func:`find_entries`, :class:`RolloutSchedule`
- outcomes: :func:`outcomes_at_horizons`, :func:`transition_rates`,
  :func:`transition_matrix`, :func:`cumulative_incidence`
- estimators: :func:`feols`, :func:`did2x2`, :func:`event_study`, :func:`att_gt`,
  :func:`sun_abraham`, :func:`imputation_did`, :func:`two_stage_did`,
  :func:`bacon_decomposition`
- inference with few clusters: :func:`wild_cluster_bootstrap`, :func:`randomization_test`
- sensitivity to parallel-trend violations: :func:`honest_did`
- synthetic data: :func:`simulate_fui_panel`
- the FUI evaluation: :func:`run_fui`
"""

from evalkit.cohorts import Entries, RolloutSchedule, find_entries
from evalkit.engine import DuckDBEngine, DuckDBTable, ParquetSource, SparkEngine
from evalkit.errors import (
    DesignError,
    EvalkitError,
    EvalkitWarning,
    ExcludedRowsWarning,
    FewClustersWarning,
    PanelValidationError,
    ScheduleError,
)
from evalkit.estimators import (
    AggregateResult,
    ATTgtResult,
    DiD2x2Result,
    EventStudyResult,
    att_gt,
    bacon_decomposition,
    did2x2,
    event_study,
    imputation_did,
    sun_abraham,
    two_stage_did,
)
from evalkit.inference import did_randomization_test, randomization_test, wild_cluster_bootstrap
from evalkit.outcomes import (
    cumulative_incidence,
    outcomes_at_horizons,
    transition_matrix,
    transition_rates,
)
from evalkit.panel import ColumnRoles, StatusPanel, read_panel, scan_panel
from evalkit.regression import OLSFit, RegressionResult, feols, fit_ols
from evalkit.replications.fui import FuiSpec, run_fui
from evalkit.sensitivity import SensitivityResult, honest_did, honest_did_arrays
from evalkit.simulate import FuiEffects, SyntheticFuiData, simulate_fui_panel, write_panel
from evalkit.staggered import simulate_staggered

__version__ = "0.1.0"

__all__ = [
    "ATTgtResult",
    "AggregateResult",
    "ColumnRoles",
    "DuckDBEngine",
    "DuckDBTable",
    "DesignError",
    "DiD2x2Result",
    "Entries",
    "EventStudyResult",
    "EvalkitError",
    "EvalkitWarning",
    "ExcludedRowsWarning",
    "FewClustersWarning",
    "FuiEffects",
    "FuiSpec",
    "OLSFit",
    "ParquetSource",
    "PanelValidationError",
    "RegressionResult",
    "RolloutSchedule",
    "ScheduleError",
    "SensitivityResult",
    "SparkEngine",
    "StatusPanel",
    "SyntheticFuiData",
    "__version__",
    "att_gt",
    "bacon_decomposition",
    "cumulative_incidence",
    "did2x2",
    "did_randomization_test",
    "event_study",
    "feols",
    "find_entries",
    "fit_ols",
    "honest_did",
    "honest_did_arrays",
    "imputation_did",
    "outcomes_at_horizons",
    "randomization_test",
    "read_panel",
    "run_fui",
    "scan_panel",
    "simulate_fui_panel",
    "simulate_staggered",
    "sun_abraham",
    "transition_matrix",
    "transition_rates",
    "two_stage_did",
    "wild_cluster_bootstrap",
    "write_panel",
]
