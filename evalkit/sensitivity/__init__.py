"""Sensitivity to violations of parallel trends: Rambachan & Roth (2023) robust intervals and the
power of pre-trend tests (Roth 2022)."""

from evalkit.sensitivity.flci import FLCI, optimal_flci
from evalkit.sensitivity.honest_did import (
    SensitivityResult,
    honest_did,
    honest_did_arrays,
)
from evalkit.sensitivity.pretrend_power import (
    PretrendPower,
    pretrend_power,
    pretrend_power_arrays,
    slope_for_power,
)
from evalkit.sensitivity.restrictions import (
    Polyhedron,
    identified_set,
    relative_magnitude_polyhedra,
    restriction_pieces,
    smoothness_polyhedron,
    smoothness_relative_magnitude_polyhedra,
)

__all__ = [
    "FLCI",
    "Polyhedron",
    "PretrendPower",
    "SensitivityResult",
    "honest_did",
    "honest_did_arrays",
    "identified_set",
    "optimal_flci",
    "pretrend_power",
    "pretrend_power_arrays",
    "relative_magnitude_polyhedra",
    "restriction_pieces",
    "slope_for_power",
    "smoothness_polyhedron",
    "smoothness_relative_magnitude_polyhedra",
]
