"""True FUI effects of the synthetic panel: outcome -> horizon -> effect on the probability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evalkit.replications.fui.synthetic.published import HORIZONS, OUTCOME_TABLES, published_coefficients


def _published(outcome: str) -> dict[int, float]:
    coefs = published_coefficients(outcome)["coef"]
    return {h: float(coefs[("fui_effect", h)]) for h in HORIZONS}


def _per_horizon(outcome: str, value: float | Mapping[int, float]) -> dict[int, float]:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(HORIZONS))
        if unknown:
            raise ValueError(
                f"effects[{outcome!r}] has horizons {unknown}; expected a subset of {HORIZONS}"
            )
        base = _published(outcome)
        base.update({int(h): float(v) for h, v in value.items()})
        return base
    return {h: float(value) for h in HORIZONS}


@dataclass(frozen=True)
class FuiEffects:
    """True effects of FUI on the probability of each outcome, per horizon (1, 3, 6, 9).

    An effect is the coefficient of the exposure indicator in the linear probability model
    that generates the outcome: exposed entrants' probability is higher by exactly this
    amount (before clipping to [0, 1]).

    Parameters
    ----------
    employment, education
        Horizon -> effect (a probability difference, e.g. ``0.03`` = 3 percentage points).
    """

    employment: Mapping[int, float]
    education: Mapping[int, float]

    def __post_init__(self) -> None:
        for outcome in OUTCOME_TABLES:
            value = getattr(self, outcome)
            if set(value) != set(HORIZONS):
                raise ValueError(
                    f"FuiEffects.{outcome} must give horizons {HORIZONS}, got {sorted(value)}"
                )
            object.__setattr__(self, outcome, {h: float(value[h]) for h in HORIZONS})

    @classmethod
    def published(cls) -> FuiEffects:
        """The published ``fui_effect`` coefficients of tables 8.2 and 8.3."""
        return cls(employment=_published("employment"), education=_published("education"))

    @classmethod
    def from_value(cls, value: FuiEffects | Mapping[str, Any] | None) -> FuiEffects:
        """Effects from ``None`` (published), a ``FuiEffects`` or a mapping.

        A mapping has keys ``"employment"`` and/or ``"education"``; each value is one
        number for all horizons or a mapping horizon -> number.  Outcomes or horizons not
        given keep their published values.
        """
        if value is None:
            return cls.published()
        if isinstance(value, FuiEffects):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(
                f"effects must be FuiEffects, a mapping or None, not {type(value).__name__}"
            )
        unknown = sorted(set(value) - set(OUTCOME_TABLES))
        if unknown:
            raise ValueError(
                f"effects has unknown outcomes {unknown}; expected {sorted(OUTCOME_TABLES)}"
            )
        base = cls.published()
        return cls(
            **{
                outcome: (
                    _per_horizon(outcome, value[outcome])
                    if outcome in value
                    else getattr(base, outcome)
                )
                for outcome in OUTCOME_TABLES
            }
        )

    def as_dict(self) -> dict[str, dict[int, float]]:
        """``{outcome: {horizon: effect}}``."""
        return {outcome: dict(getattr(self, outcome)) for outcome in OUTCOME_TABLES}
