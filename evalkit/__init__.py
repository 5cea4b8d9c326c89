"""evalkit: quasi-experimental evaluation of programmes rolled out region by region.

The main entry points, by stage:

- panels: :func:`read_panel`, :func:`scan_panel` (out of core, DuckDB or Spark),
  :class:`ColumnRoles`
- cohorts: :func:`find_entries`, :class:`RolloutSchedule`
- outcomes: :func:`outcomes_at_horizons`, :func:`transition_rates`,
  :func:`transition_matrix`, :func:`cumulative_incidence`
- estimators: :func:`feols`, :func:`did2x2`, :func:`event_study`, :func:`att_gt`,
  :func:`sun_abraham`, :func:`imputation_did`, :func:`two_stage_did`,
  :func:`triple_diff`, :func:`bacon_decomposition`
- inference with few clusters: :func:`wild_cluster_bootstrap`, :func:`randomization_test`,
  :func:`did_randomization_test`, :func:`schedule_randomization_test`, :func:`conley_taber_test`
- sensitivity to parallel-trend violations: :func:`honest_did`; power of pre-trend tests:
  :func:`pretrend_power`
- planning a rollout: :func:`power` (power and MDE of planned schedules, ``evalkit power``)
- synthetic data: :func:`simulate_staggered`, :func:`simulate_fui_panel`
- the FUI evaluation: :func:`run_fui`
- studies (evaluations described as data, ``evalkit run``): :class:`Study`

``import evalkit`` is light: every name above is loaded from its module on first use
(module ``__getattr__``, PEP 562), so the FUI application, plotting (matplotlib), DuckDB,
Spark, formulaic and scipy load only when something that needs them is used.  The layers
and what each package owns: docs/architecture.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalkit.errors import (
    DesignError,
    EvalkitError,
    EvalkitWarning,
    ExcludedRowsWarning,
    FewClustersWarning,
    PanelValidationError,
    ScheduleError,
    StudyError,
)
from evalkit.lazy import lazy_module

__version__ = "0.1.0"

#: Public name -> module that defines it (loaded on first access).
_LAZY: dict[str, str] = {
    # panels and engines
    "ColumnRoles": "evalkit.panel",
    "StatusPanel": "evalkit.panel",
    "read_panel": "evalkit.panel",
    "scan_panel": "evalkit.panel",
    "DuckDBEngine": "evalkit.engine",
    "DuckDBTable": "evalkit.engine",
    "ParquetSource": "evalkit.engine",
    "SparkEngine": "evalkit.engine",
    # cohorts and outcomes
    "Entries": "evalkit.cohorts",
    "RolloutSchedule": "evalkit.cohorts",
    "find_entries": "evalkit.cohorts",
    "cumulative_incidence": "evalkit.outcomes",
    "long_term_neet": "evalkit.outcomes",
    "neet_spells": "evalkit.outcomes",
    "outcomes_at_horizons": "evalkit.outcomes",
    "transition_matrix": "evalkit.outcomes",
    "transition_rates": "evalkit.outcomes",
    # regression and estimators
    "OLSFit": "evalkit.regression",
    "RegressionResult": "evalkit.regression",
    "feols": "evalkit.regression",
    "fit_ols": "evalkit.regression",
    "ATTgtResult": "evalkit.estimators",
    "AggregateResult": "evalkit.estimators",
    "DiD2x2Result": "evalkit.estimators",
    "EventStudyResult": "evalkit.estimators",
    "att_gt": "evalkit.estimators",
    "att_gt_in_engine": "evalkit.estimators.att_gt_engine",
    "bacon_decomposition": "evalkit.estimators",
    "did2x2": "evalkit.estimators",
    "etwfe": "evalkit.estimators",
    "event_study": "evalkit.estimators",
    "event_study_in_engine": "evalkit.estimators.event_study_engine",
    "imputation_did": "evalkit.estimators",
    "imputation_in_engine": "evalkit.estimators.imputation_engine",
    "lpdid": "evalkit.estimators",
    "stacked_did": "evalkit.estimators",
    "sun_abraham": "evalkit.estimators",
    "synthdid": "evalkit.estimators",
    "SynthDiDResult": "evalkit.estimators",
    "dcdh": "evalkit.estimators",
    "staggered_efficient": "evalkit.estimators",
    "triple_diff": "evalkit.estimators",
    "two_stage_did": "evalkit.estimators",
    # results and inference
    "EstimationResult": "evalkit.results",
    "RandomizationTest": "evalkit.results",
    "ScheduleRandomizationTest": "evalkit.results",
    "WaldTest": "evalkit.results",
    "WildBootstrapTest": "evalkit.results",
    "did_randomization_test": "evalkit.inference",
    "randomization_test": "evalkit.inference",
    "schedule_randomization_test": "evalkit.inference",
    "conley_taber_test": "evalkit.inference",
    "wild_cluster_bootstrap": "evalkit.inference",
    "romano_wolf": "evalkit.inference",
    "westfall_young": "evalkit.inference",
    "StepdownResult": "evalkit.results",
    # sensitivity
    "SensitivityResult": "evalkit.sensitivity",
    "honest_did": "evalkit.sensitivity",
    "honest_did_arrays": "evalkit.sensitivity",
    "PretrendPower": "evalkit.sensitivity",
    "pretrend_power": "evalkit.sensitivity",
    "pretrend_power_arrays": "evalkit.sensitivity",
    # power of planned rollouts
    "PlannedRollout": "evalkit.planning",
    "PowerResult": "evalkit.planning",
    "power": "evalkit.planning",
    # simulation
    "simulate_staggered": "evalkit.simulate",
    "simulate_switching": "evalkit.simulate",
    "FuiEffects": "evalkit.replications.fui.synthetic",
    "SyntheticFuiData": "evalkit.replications.fui.synthetic",
    "simulate_fui_panel": "evalkit.replications.fui.synthetic",
    "write_panel": "evalkit.replications.fui.synthetic",
    "simulate_neet_population": "evalkit.replications.neet.synthetic",
    # the FUI application
    "FuiSpec": "evalkit.replications.fui",
    "run_fui": "evalkit.replications.fui",
    # the long-term NEET application
    "run_neet": "evalkit.replications.neet",
    # studies
    "Study": "evalkit.study",
}

__all__ = [
    "DesignError",
    "EvalkitError",
    "EvalkitWarning",
    "ExcludedRowsWarning",
    "FewClustersWarning",
    "PanelValidationError",
    "ScheduleError",
    "StudyError",
    "__version__",
    *sorted(_LAZY),
]


__getattr__, __dir__ = lazy_module(__name__, _LAZY)


if TYPE_CHECKING:  # for type checkers and IDEs; never executed
    from evalkit.cohorts import Entries, RolloutSchedule, find_entries
    from evalkit.engine import DuckDBEngine, DuckDBTable, ParquetSource, SparkEngine
    from evalkit.estimators.att_gt_engine import att_gt_in_engine
    from evalkit.estimators.event_study_engine import event_study_in_engine
    from evalkit.estimators.imputation_engine import imputation_in_engine
    from evalkit.estimators import (
        AggregateResult,
        ATTgtResult,
        DiD2x2Result,
        EventStudyResult,
        att_gt,
        bacon_decomposition,
        dcdh,
        did2x2,
        etwfe,
        event_study,
        imputation_did,
        lpdid,
        stacked_did,
        staggered_efficient,
        sun_abraham,
        synthdid,
        SynthDiDResult,
        triple_diff,
        two_stage_did,
    )
    from evalkit.inference import (
        conley_taber_test,
        did_randomization_test,
        randomization_test,
        romano_wolf,
        schedule_randomization_test,
        westfall_young,
        wild_cluster_bootstrap,
    )
    from evalkit.outcomes import cumulative_incidence, outcomes_at_horizons, transition_matrix, transition_rates
    from evalkit.panel import ColumnRoles, StatusPanel, read_panel, scan_panel
    from evalkit.planning import PlannedRollout, PowerResult, power
    from evalkit.regression import OLSFit, RegressionResult, feols, fit_ols
    from evalkit.replications.fui import FuiSpec, run_fui
    from evalkit.replications.fui.synthetic import FuiEffects, SyntheticFuiData, simulate_fui_panel, write_panel
    from evalkit.results import (
        EstimationResult,
        RandomizationTest,
        ScheduleRandomizationTest,
        StepdownResult,
        WaldTest,
        WildBootstrapTest,
    )
    from evalkit.sensitivity import (
        PretrendPower,
        SensitivityResult,
        honest_did,
        honest_did_arrays,
        pretrend_power,
        pretrend_power_arrays,
    )
    from evalkit.simulate import simulate_staggered, simulate_switching
    from evalkit.study import Study
