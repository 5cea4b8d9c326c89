"""Immutable result objects in the manner of linearmodels and statsmodels.

An :class:`EstimationResult` holds labelled point estimates, their covariance and the
facts needed for inference.  New inference returns a new object; nothing is mutated.

Immutable in fact, not only in name: the labelled fields (``params``, ``std_errors``,
``cov``) are stored as private copies and every access returns a new copy, ``extra`` is a
read-only mapping, and numpy arrays held by results are read-only (:func:`read_only`).
When a covariance is given, its diagonal must equal the squared standard errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.results.display import NotebookDisplay, fact_text, html_block

__all__ = ["EstimationResult", "Summary", "freeze_arrays", "read_only"]

#: Relative tolerance of the check that ``sqrt(diag(cov))`` equals ``std_errors``.
_COV_RTOL = 1e-8


def read_only(array: Any) -> Any:
    """A read-only copy of a numpy array (``None`` and non-arrays are returned unchanged)."""
    if not isinstance(array, np.ndarray):
        return array
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


def freeze_arrays(obj: Any) -> None:
    """Replace every numpy array attribute of a frozen dataclass by a read-only view.

    A view costs nothing and leaves the caller's arrays writable; writing through the
    result's attribute raises ``ValueError: assignment destination is read-only``.
    """
    for name, value in vars(obj).items():
        if isinstance(value, np.ndarray) and value.flags.writeable:
            view = value.view()
            view.setflags(write=False)
            object.__setattr__(obj, name, view)


class _Copied:
    """Descriptor of a dataclass field stored privately and returned as a copy on access.

    pandas objects are deep-copied both ways; mappings are stored as a read-only
    ``MappingProxyType`` of a copy.  A field with this descriptor has no default unless
    one is given.
    """

    _MISSING = object()

    def __init__(self, default: Any = _MISSING) -> None:
        self._default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            if self._default is _Copied._MISSING:
                raise AttributeError(self._name[1:])
            return self._default
        value = obj.__dict__[self._name]
        if isinstance(value, (pd.Series, pd.DataFrame)):
            return value.copy(deep=True)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        if isinstance(value, (pd.Series, pd.DataFrame)):
            value = value.copy(deep=True)
        elif isinstance(value, Mapping) or (value is None and self._name == "_extra"):
            value = MappingProxyType(dict(value or {}))
        obj.__dict__[self._name] = value


@dataclass(frozen=True)
class Summary:
    """A printable summary: ``str()`` for the terminal, HTML for notebooks, LaTeX for papers.

    It never prints by itself.  In a notebook it renders compactly
    (:func:`~evalkit.results.display.html_block`: long tables show head and tail).
    """

    title: str
    facts: dict[str, Any]
    table: pd.DataFrame
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        width = 78
        lines = [self.title.center(width), "=" * width]
        items = [f"{k}: {fact_text(v)}" for k, v in self.facts.items()]
        for i in range(0, len(items), 2):
            left = items[i]
            right = items[i + 1] if i + 1 < len(items) else ""
            lines.append(f"{left:<39}{right:>39}")
        lines.append("-" * width)
        lines.append(self.table.to_string(float_format=lambda v: f"{v:.4f}"))
        lines.append("=" * width)
        lines.extend(self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return html_block(self.title, self.facts, self.table, self.notes)

    def as_latex(self) -> str:
        """The coefficient table as a LaTeX tabular."""
        return self.table.to_latex(float_format=lambda v: f"{v:.4f}")


@dataclass(frozen=True)
class EstimationResult(NotebookDisplay):
    """Labelled estimates with standard errors and the facts needed for inference.

    Parameters
    ----------
    params
        Point estimates indexed by term.
    std_errors
        Standard errors indexed like ``params``.
    cov
        Covariance matrix of the estimates (``None`` when only standard errors are defined).
    nobs
        Number of observations used.
    cov_type
        Name of the covariance estimator (``"iid"``, ``"HC1"``, ``"CR1"``, ``"analytic"``, ...).
    df_resid
        Degrees of freedom of the t reference distribution; ``None`` means the normal.
    n_clusters
        Number of clusters (per clustering dimension) or ``None``.
    crit_uniform
        Critical value of a uniform (sup-t) band over all terms, when one was computed.
    extra
        Estimator-specific facts shown by ``glance()`` and ``summary()``.
    """

    params: pd.Series = _Copied()  # type: ignore[assignment]
    std_errors: pd.Series = _Copied()  # type: ignore[assignment]
    nobs: int
    cov_type: str
    cov: pd.DataFrame | None = _Copied(None)  # type: ignore[assignment]
    df_resid: float | None = None
    n_clusters: int | tuple[int, ...] | None = None
    crit_uniform: float | None = None
    model_name: str = "Estimation"
    extra: Mapping[str, Any] = _Copied(None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        params, se = self.__dict__["_params"], self.__dict__["_std_errors"]
        if not params.index.equals(se.index):
            raise ValueError("params and std_errors must share one index of terms")
        cov = self.__dict__["_cov"]
        if cov is not None:
            if not (cov.index.equals(params.index) and cov.columns.equals(params.index)):
                raise ValueError("cov must be indexed by the terms of params in rows and columns")
            with np.errstate(invalid="ignore"):
                implied = np.sqrt(np.diag(cov.to_numpy(dtype=float)))
            given = se.to_numpy(dtype=float)
            both = np.isfinite(implied) & np.isfinite(given)
            if not np.allclose(implied[both], given[both], rtol=_COV_RTOL, atol=0.0):
                raise ValueError("cov is inconsistent with std_errors: sqrt(diag(cov)) != std_errors")

    # -- inference -----------------------------------------------------------------------
    @property
    def _df(self) -> Any:
        """Degrees of freedom of the t reference distribution (per term or one); ``None``: the normal."""
        return self.df_resid

    def _array(self, name: str) -> np.ndarray:
        """The stored values of ``params`` or ``std_errors`` as floats (no copy of the Series)."""
        return self.__dict__["_" + name].to_numpy(dtype=float)

    def _tstat_values(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._array("params") / self._array("std_errors")

    def _pvalue_values(self) -> np.ndarray:
        from evalkit.results.distributions import survival  # scipy.special loads when p-values are drawn

        return 2 * survival(np.abs(self._tstat_values()), self._df)

    def _crit(self, alpha: float, uniform: bool) -> Any:
        if not 0 < alpha < 1:
            raise EvalkitError(f"alpha must lie in (0, 1), got {alpha}")
        if uniform:
            if self.crit_uniform is None:
                raise EvalkitError(
                    "no uniform critical value was computed for this result; "
                    "re-estimate with a bootstrap that computes sup-t bands"
                )
            return self.crit_uniform
        from evalkit.results.distributions import quantile  # scipy.special loads when intervals are drawn

        return quantile(1 - alpha / 2, self._df)  # one per term with per-term df

    @property
    def tstats(self) -> pd.Series:
        """Estimate divided by standard error."""
        return pd.Series(self._tstat_values(), index=self.__dict__["_params"].index, name="tstat")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values from the t (or normal) reference distribution."""
        return pd.Series(self._pvalue_values(), index=self.__dict__["_params"].index, name="pvalue")

    def conf_int(self, alpha: float = 0.05, uniform: bool = False) -> pd.DataFrame:
        """Confidence intervals with columns ``lower`` and ``upper``.

        Parameters
        ----------
        alpha
            One minus the coverage.
        uniform
            Use the uniform (sup-t) critical value stored with the result (simultaneous
            coverage over all terms); raises if none was computed.
        """
        crit = self._crit(alpha, uniform)
        est, se = self._array("params"), self._array("std_errors")
        return pd.DataFrame(
            {"lower": est - crit * se, "upper": est + crit * se}, index=self.__dict__["_params"].index
        )

    # -- tidy frames ---------------------------------------------------------------------
    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per term with broom's column names in snake_case.

        Computed once per ``alpha`` (the result is immutable); each call returns a copy.
        """
        cache = self.__dict__.setdefault("_tidy_cache", {})
        if alpha not in cache:
            crit = self._crit(alpha, False)
            est, se = self._array("params"), self._array("std_errors")
            columns = {
                "term": self.__dict__["_params"].index.astype(str),
                "estimate": est,
                "std_error": se,
                "statistic": self._tstat_values(),
                "p_value": self._pvalue_values(),
                "conf_low": est - crit * se,
                "conf_high": est + crit * se,
            }
            if self.crit_uniform is not None:
                columns["uniform_low"] = est - self.crit_uniform * se
                columns["uniform_high"] = est + self.crit_uniform * se
            cache[alpha] = pd.DataFrame(columns)
        return cache[alpha].copy()

    def glance(self) -> pd.DataFrame:
        """One row of model facts."""
        row: dict[str, Any] = {"model": self.model_name, "nobs": self.nobs, "cov_type": self.cov_type}
        if self.n_clusters is not None:
            row["n_clusters"] = self.n_clusters
        row.update({k: v for k, v in self.extra.items() if np.isscalar(v)})
        return pd.DataFrame([row])

    def summary(self, alpha: float = 0.05) -> Summary:
        """A printable summary object (it does not print by itself)."""
        ci = self.conf_int(alpha)
        table = pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": self.std_errors,
                "t": self.tstats,
                "p": self.pvalues,
                f"{100 * alpha / 2:g}%": ci["lower"],
                f"{100 * (1 - alpha / 2):g}%": ci["upper"],
            }
        )
        facts: dict[str, Any] = {"Observations": self.nobs, "Covariance": self.cov_type}
        if self.n_clusters is not None:
            facts["Clusters"] = self.n_clusters
        facts.update({k: v for k, v in self.extra.items() if np.isscalar(v)})
        return Summary(title=self.model_name, facts=facts, table=table)

    def with_inference(self, **changes: Any) -> "EstimationResult":
        """A copy with new inference (e.g. other standard errors); the original is unchanged."""
        return replace(self, **changes)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model_name}: {len(self.params)} terms, nobs={self.nobs}, cov={self.cov_type}>"

