"""Wild cluster bootstrap-t from influence functions (``att_gt`` and its aggregations,
imputation, two-stage DiD).

For an estimator that is not one regression there is no model to refit, but the estimate
is asymptotically linear: ``theta^ - theta ~ sum_g S_g`` with ``S_g`` the cluster sum of its
influence function, and ``theta`` moves one for one with the outcomes of the observations
it averages, with weights ``omega_g`` per cluster (summing to one;
:class:`~evalkit.inference.wild_bootstrap_scores.InfluenceScores`).  This is the linear
model ``y_g = theta + u_g`` as seen through the influence function, and the wild cluster
bootstrap of that model is, with ``c = G / (G - 1)``:

* **null imposed** (default; the restricted WCR of Cameron, Gelbach & Miller 2008, as the
  restricted score bootstrap of Kline & Santos 2012): the restricted scores are
  ``S~_g(r) = S_g + omega_g (theta^ - r)`` (the cluster's contribution had the estimate been
  ``r``), and per draw ``b`` with weights ``v_bg``::

      theta*_b - r = sum_g v_bg S~_g(r) = N_b(r),
      psi*_bg = v_bg S~_g(r) - omega_g N_b(r),            (re-estimating theta in the draw)
      t*_b(r) = N_b(r) / sqrt(c sum_g psi*_bg^2);

* **null not imposed** (``impose_null=False``, the WCU analogue): ``S~ = S``, and
  ``t*_b = N_b / sqrt(c sum_g psi*_bg^2)`` does not depend on ``r``.

The observed statistic is ``(theta^ - r) / se`` with ``se^2 = c sum_g (S_g - omega_g
sum_h S_h)^2``, the same formula at ``v = 1``.  For the mean ``theta = sum_g omega_g y_g``
this is exactly the wild cluster bootstrap of the regression of ``y`` on a constant.  The
nuisance parameters (comparison-group means, unit and period effects, propensity scores)
are held at their estimates: their estimation error enters through the influence
function, not through a refit, so the restricted variant imposes the null on the target
parameter only.  Without the re-centring by ``omega`` (``psi* = v S``) Rademacher weights
give a constant denominator and the bootstrap-t is the normal approximation again.

References
----------
Cameron, Gelbach & Miller (2008), REStat 90(3); Kline & Santos (2012), J. Econometric
Methods 1(1); MacKinnon & Webb (2017), J. Applied Econometrics 32(2); Roodman, MacKinnon,
Nielsen & Webb (2019), Stata Journal 19(1).
"""

from __future__ import annotations

import numpy as np

from evalkit.inference.wild_bootstrap_moments import Moments
from evalkit.inference.wild_bootstrap_scores import InfluenceScores

__all__ = ["influence_moments"]


def influence_moments(scores: InfluenceScores, V: np.ndarray, impose_null: bool) -> tuple[list[Moments], np.ndarray]:
    """Bootstrap moments of every term and the observed standard errors.

    Parameters
    ----------
    scores
        Cluster sums ``S``, weight shares ``omega`` (``G x m``) and estimates.
    V
        ``(G, B)`` wild weights, one column per draw.
    impose_null
        Restricted scores ``S~(r) = S0 - r omega`` with ``S0 = S + omega theta^``, or ``S``.

    Returns
    -------
    moments
        One :class:`~evalkit.inference.wild_bootstrap_moments.Moments` per term: with
        ``A_g = v_g S0_g - omega_g n0`` and ``B_g = omega_g (v_g - n1)`` the per-draw scores
        are ``A - r B``; ``q00, q01, q11`` are ``sum_g A^2, AB, B^2``, expanded so that no
        ``(G, B)`` array per term is formed.
    se
        ``(m,)`` standard errors ``sqrt(c sum_g (S_g - omega_g sum_h S_h)^2)``.
    """
    S, W = scores.scores, scores.shares
    G = S.shape[0]
    c = G / (G - 1)
    S0 = S + W * scores.estimates if impose_null else S
    W1 = W if impose_null else np.zeros_like(W)
    V2 = (V**2).T
    n0, n1 = V.T @ S0, V.T @ W1  # (B, m)
    vs0w, vw2 = V.T @ (S0 * W), V.T @ (W1 * W)
    w2 = (W**2).sum(axis=0)
    q00 = V2 @ S0**2 - 2.0 * n0 * vs0w + n0**2 * w2
    q11 = V2 @ W1**2 - 2.0 * n1 * vw2 + n1**2 * w2
    q01 = V2 @ (S0 * W1) - n1 * vs0w - n0 * vw2 + n0 * n1 * w2
    centred = S - W * S.sum(axis=0)
    se = np.sqrt(c * (centred**2).sum(axis=0))
    moments = [
        Moments(n0[:, k].copy(), n1[:, k].copy(), q00[:, k].copy(), q01[:, k].copy(), q11[:, k].copy(), c)
        for k in range(S.shape[1])
    ]
    return moments, se
