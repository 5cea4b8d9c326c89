"""Per-draw moments from which the wild bootstrap's t-statistics follow for any null value.

Both wild bootstraps in evalkit (the regression one of
:mod:`~evalkit.inference.wild_bootstrap` and the influence-function one of
:mod:`~evalkit.inference.wild_bootstrap_influence`) have, under the null ``theta = r``
imposed, a bootstrap numerator linear in ``r`` and bootstrap cluster scores linear in
``r``, so

    t*_b(r) = (n0_b - r n1_b) / sqrt(ssc (q00_b - 2 r q01_b + r^2 q11_b)).

Without the null imposed ``n1 = q01 = q11 = 0``.  Five vectors of length ``B`` give the
draws for every ``r``, which makes test inversion cheap (Roodman et al. 2019, sec. 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Moments"]

#: ``q11`` below this share of its largest value is rounding noise of an exact zero.
_ZERO_RTOL = 1e-24


@dataclass(frozen=True)
class Moments:
    """``n0, n1, q00, q01, q11`` (length ``B`` each) and the small-sample factor ``ssc``."""

    n0: np.ndarray
    n1: np.ndarray
    q00: np.ndarray
    q01: np.ndarray
    q11: np.ndarray
    ssc: float

    def __post_init__(self) -> None:
        # Draws whose scores do not depend on r (v = +-1 with the null imposed: y* = +-y)
        # have q11 = 0 in exact arithmetic; zero their rounding noise so that far-away
        # nulls keep the exact tie.
        exact_zero = self.q11 <= _ZERO_RTOL * max(float(self.q11.max(initial=0.0)), np.finfo(float).tiny)
        self.q01[exact_zero] = 0.0
        self.q11[exact_zero] = 0.0

    def t_star(self, r: float) -> np.ndarray:
        """Bootstrap t-statistics under the null value ``r``."""
        num = self.n0 - r * self.n1
        den2 = self.q00 - 2 * r * self.q01 + r * r * self.q11
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / np.sqrt(self.ssc * np.maximum(den2, 0.0))
