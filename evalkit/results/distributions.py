"""Tail probabilities and quantiles of the normal and t reference distributions.

From :mod:`scipy.special` (``ndtr``, ``ndtri``, ``stdtr``, ``stdtrit``), the functions
``scipy.stats.norm`` and ``scipy.stats.t`` evaluate themselves, so the values are the
same bit for bit, without importing :mod:`scipy.stats` or building a frozen distribution
per call.  ``df=None`` means the normal; a ``df`` of 0, below 0 or NaN gives NaN, as
``scipy.stats.t`` does.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["quantile", "survival"]


def survival(x: np.ndarray | float, df: np.ndarray | float | None = None) -> np.ndarray:
    """``P(T > x)`` for ``T`` standard normal (``df=None``) or ``t(df)``; ``df`` broadcasts with ``x``."""
    x = np.asarray(x, dtype=float)
    return special.ndtr(-x) if df is None else special.stdtr(np.asarray(df, dtype=float), -x)


def quantile(q: np.ndarray | float, df: np.ndarray | float | None = None) -> np.ndarray:
    """The ``q`` quantile of the standard normal (``df=None``) or of ``t(df)``."""
    q = np.asarray(q, dtype=float)
    return special.ndtri(q) if df is None else special.stdtrit(np.asarray(df, dtype=float), q)
