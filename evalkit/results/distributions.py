"""Tail probabilities and quantiles of the normal, t, chi-square and F reference distributions.

From :mod:`scipy.special` (``ndtr``, ``ndtri``, ``stdtr``, ``stdtrit``, ``chdtrc``,
``fdtrc``, ``chndtrix``), the functions ``scipy.stats.norm``, ``t``, ``chi2``, ``f`` and
``ncx2`` evaluate themselves, so the values are the same bit for bit, without importing
:mod:`scipy.stats` or building a frozen distribution per call.  ``df=None`` means the
normal; a ``df`` of 0, below 0 or NaN gives NaN, as ``scipy.stats.t`` does.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["chi2_survival", "f_survival", "ncx2_quantile", "quantile", "survival", "upper_quantile"]


def survival(x: np.ndarray | float, df: np.ndarray | float | None = None) -> np.ndarray:
    """``P(T > x)`` for ``T`` standard normal (``df=None``) or ``t(df)``; ``df`` broadcasts with ``x``."""
    x = np.asarray(x, dtype=float)
    return special.ndtr(-x) if df is None else special.stdtr(np.asarray(df, dtype=float), -x)


def quantile(q: np.ndarray | float, df: np.ndarray | float | None = None) -> np.ndarray:
    """The ``q`` quantile of the standard normal (``df=None``) or of ``t(df)``."""
    q = np.asarray(q, dtype=float)
    return special.ndtri(q) if df is None else special.stdtrit(np.asarray(df, dtype=float), q)


def upper_quantile(p: np.ndarray | float) -> np.ndarray:
    """``z`` with ``P(Z > z) = p`` for ``Z`` standard normal: ``-ndtri(p)``, ``scipy.stats.norm.isf``."""
    return -special.ndtri(np.asarray(p, dtype=float))


def chi2_survival(x: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """``P(X > x)`` for ``X`` chi-square with ``df`` degrees of freedom (``scipy.stats.chi2.sf``; 1 below 0)."""
    x = np.asarray(x, dtype=float)
    return np.where(x < 0, 1.0, special.chdtrc(np.asarray(df, dtype=float), np.maximum(x, 0.0)))


def f_survival(x: np.ndarray | float, df_num: np.ndarray | float, df_denom: np.ndarray | float) -> np.ndarray:
    """``P(F > x)`` for ``F`` with ``(df_num, df_denom)`` degrees of freedom (``scipy.stats.f.sf``; 1 below 0)."""
    x = np.asarray(x, dtype=float)
    return np.where(x < 0, 1.0, special.fdtrc(np.asarray(df_num, dtype=float), np.asarray(df_denom, dtype=float),
                                              np.maximum(x, 0.0)))


def ncx2_quantile(q: float, df: float, nc: float) -> float:
    """The ``q`` quantile (``0 < q < 1``) of the noncentral chi-square with ``nc > 0`` (``scipy.stats.ncx2.ppf``)."""
    return float(special.chndtrix(q, df, nc))
