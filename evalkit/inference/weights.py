"""Bootstrap weight draws: one generator for the wild and the multiplier bootstrap.

Every distribution has mean 0 and variance 1:

* ``"rademacher"``: -1 or +1 with probability 1/2 each;
* ``"mammen"``: ``(1 - sqrt 5)/2`` with probability ``(sqrt 5 + 1)/(2 sqrt 5)``, else
  ``(1 + sqrt 5)/2`` (Mammen 1993; R did's multiplier default; third moment 1);
* ``"webb"``: ``+-sqrt(1/2), +-1, +-sqrt(3/2)`` with probability 1/6 each (Webb 2014;
  six points, so that few clusters still give many distinct draws).

Two-point weights are drawn from single-precision uniforms (half the memory and time of
double precision; a resolution of ``2**-24`` in the probability is immaterial), six-point
weights from uniform integers.  Draws are laid out ``(n_boot, n_clusters)`` in C order,
so a block of clusters drawn after another continues the stream deterministically.

References
----------
Mammen (1993), Annals of Statistics 21(1).  Webb (2014), "Reworking wild bootstrap based
inference for clustered errors", Queen's Economics WP 1315.  Roodman, MacKinnon, Nielsen
& Webb (2019), Stata Journal 19(1).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from evalkit.errors import EvalkitError

__all__ = ["WEIGHT_TYPES", "WeightType", "draw_weights", "enumerate_rademacher"]

WeightType = Literal["rademacher", "mammen", "webb"]
WEIGHT_TYPES: tuple[str, ...] = get_args(WeightType)

_SQRT5 = np.sqrt(5.0)
#: (low value, high value, probability of the low value) of each two-point distribution.
_TWO_POINT = {
    "rademacher": (-1.0, 1.0, 0.5),
    "mammen": ((1 - _SQRT5) / 2, (1 + _SQRT5) / 2, (_SQRT5 + 1) / (2 * _SQRT5)),
}
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
#: Largest number of clusters whose 2**G sign vectors are enumerated.
MAX_ENUMERATED_CLUSTERS = 24


def check_weight_type(weight_type: str) -> None:
    """Raise an :class:`~evalkit.errors.EvalkitError` naming the valid weight types."""
    if weight_type not in WEIGHT_TYPES:
        raise EvalkitError(f"weight_type must be one of {list(WEIGHT_TYPES)}, got {weight_type!r}")


def draw_weights(weight_type: WeightType, n_boot: int, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Random weights, one per draw and cluster, as an ``(n_boot, n_clusters)`` float array.

    Parameters
    ----------
    weight_type
        ``"rademacher"``, ``"mammen"`` or ``"webb"`` (module docstring).
    n_boot, n_clusters
        Shape of the draws.
    rng
        The generator (see :func:`evalkit.inference.rng.as_generator`).
    """
    check_weight_type(weight_type)
    shape = (int(n_boot), int(n_clusters))
    if weight_type == "webb":
        return _WEBB[rng.integers(0, 6, size=shape)]
    low, high, p_low = _TWO_POINT[weight_type]
    u = rng.random(shape, dtype=np.float32)
    return np.where(u < np.float32(p_low), low, high)


def enumerate_rademacher(n_clusters: int) -> np.ndarray:
    """All ``2**G`` Rademacher sign vectors as a ``(2**G, G)`` matrix (row 0 is all ones)."""
    if not 1 <= n_clusters <= MAX_ENUMERATED_CLUSTERS:
        raise EvalkitError(f"enumeration needs 1 to {MAX_ENUMERATED_CLUSTERS} clusters, got {n_clusters}")
    draws = np.arange(2**n_clusters)
    bits = (draws[:, None] >> np.arange(n_clusters)[None, :]) & 1
    return 1.0 - 2.0 * bits
