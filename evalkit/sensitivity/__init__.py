"""Sensitivity to violations of parallel trends: Rambachan & Roth (2023) robust intervals."""

from evalkit.sensitivity.flci import FLCI, optimal_flci
from evalkit.sensitivity.honest_did import (
    SensitivityResult,
    honest_did,
    honest_did_arrays,
)
from evalkit.sensitivity.restrictions import (
    Polyhedron,
    identified_set,
    relative_magnitude_polyhedra,
    smoothness_polyhedron,
)

__all__ = [
    "FLCI",
    "Polyhedron",
    "SensitivityResult",
    "honest_did",
    "honest_did_arrays",
    "identified_set",
    "optimal_flci",
    "relative_magnitude_polyhedra",
    "smoothness_polyhedron",
]
