"""Immutable result objects in the manner of linearmodels and statsmodels.

An :class:`EstimationResult` holds labelled point estimates, their covariance (or only their
standard errors, when a covariance is not defined, e.g. for bootstrap bands) and the facts
needed for inference.  New inference returns a new object; nothing is mutated.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class WaldTest:
    """Wald test of a joint null ``R b = 0``.

    The reference distribution is chi-squared with ``df_num`` degrees of freedom, or
    ``F(df_num, df_denom)`` when ``df_denom`` is given (the statistic then divided by
    ``df_num``).
    """

    statistic: float
    df_num: int
    pvalue: float
    null: str
    df_denom: float | None = None

    def __str__(self) -> str:
        dist = f"chi2({self.df_num})" if self.df_denom is None else f"F({self.df_num}, {self.df_denom:g})"
        return f"Wald test ({self.null}): {dist} = {self.statistic:.4f}, p = {self.pvalue:.4f}"


@dataclass(frozen=True)
class InvalidTest:
    """A test statistic that could not be computed, and why (never ``None``)."""

    reason: str

    def __str__(self) -> str:
        return f"Invalid test: {self.reason}"


def _fact(value: Any) -> str:
    """A model fact for display: floats to six significant digits."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class Summary:
    """A printable summary: ``str()`` for the terminal, HTML for notebooks, LaTeX for papers.

    It never prints by itself.
    """

    title: str
    facts: dict[str, Any]
    table: pd.DataFrame
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        width = 78
        lines = [self.title.center(width), "=" * width]
        items = [f"{k}: {_fact(v)}" for k, v in self.facts.items()]
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
        facts = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fact(v))}</td></tr>"
            for k, v in self.facts.items()
        )
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return (
            f"<h4>{html.escape(self.title)}</h4><table>{facts}</table>"
            f"{self.table.to_html(float_format=lambda v: f'{v:.4f}')}{notes}"
        )

    def as_latex(self) -> str:
        """The coefficient table as a LaTeX tabular."""
        return self.table.to_latex(float_format=lambda v: f"{v:.4f}")


@dataclass(frozen=True)
class EstimationResult:
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

    params: pd.Series
    std_errors: pd.Series
    nobs: int
    cov_type: str
    cov: pd.DataFrame | None = None
    df_resid: float | None = None
    n_clusters: int | tuple[int, ...] | None = None
    crit_uniform: float | None = None
    model_name: str = "Estimation"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.params.index.equals(self.std_errors.index):
            raise ValueError("params and std_errors must share one index of terms")

    # -- inference -----------------------------------------------------------------------
    @property
    def _dist(self) -> Any:
        return stats.norm if self.df_resid is None else stats.t(self.df_resid)

    @cached_property
    def tstats(self) -> pd.Series:
        """Estimate divided by standard error."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.params / self.std_errors).rename("tstat")

    @cached_property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values from the t (or normal) reference distribution."""
        return pd.Series(
            2 * self._dist.sf(np.abs(self.tstats.to_numpy())), index=self.params.index, name="pvalue"
        )

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
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
        if uniform:
            if self.crit_uniform is None:
                raise ValueError(
                    "no uniform critical value was computed for this result; "
                    "re-estimate with a bootstrap that computes sup-t bands"
                )
            crit = self.crit_uniform
        else:
            crit = float(self._dist.ppf(1 - alpha / 2))
        return pd.DataFrame(
            {"lower": self.params - crit * self.std_errors, "upper": self.params + crit * self.std_errors}
        )

    # -- tidy frames ---------------------------------------------------------------------
    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per term with broom's column names in snake_case."""
        ci = self.conf_int(alpha)
        out = pd.DataFrame(
            {
                "term": self.params.index.astype(str),
                "estimate": self.params.to_numpy(),
                "std_error": self.std_errors.to_numpy(),
                "statistic": self.tstats.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "conf_low": ci["lower"].to_numpy(),
                "conf_high": ci["upper"].to_numpy(),
            }
        )
        if self.crit_uniform is not None:
            band = self.conf_int(uniform=True)
            out["uniform_low"] = band["lower"].to_numpy()
            out["uniform_high"] = band["upper"].to_numpy()
        return out

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

