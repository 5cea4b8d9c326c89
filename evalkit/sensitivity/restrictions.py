"""Restrictions on the differential trend ``delta`` of Rambachan & Roth (2023) as polyhedra.

The event-study coefficients are ``beta = (beta_pre, beta_post)`` with ``T_pre`` periods
before and ``T_post`` after the reference period, whose coefficient is normalised to 0.
Rambachan & Roth write ``beta = delta + (0, tau_post)``: ``delta`` is the difference in
trends (the bias), ``tau_post`` the dynamic effects.  A restriction ``delta in Delta`` is a
union of polyhedra ``{delta : A delta <= d}``:

* smoothness ``Delta^SD(M)`` (RR 2023, eq. 2.6): every second difference of ``delta``
  (the reference period included as ``delta_0 = 0``) lies in ``[-M, M]``; ``M = 0`` means
  linear trends that extrapolate exactly;
* relative magnitudes ``Delta^RM(Mbar)`` (RR 2023, eq. 2.5): every post-period first
  difference is at most ``Mbar`` times the largest pre-period first difference in
  absolute value.  It is the union over the pre-period first difference ``s`` that is the
  largest and its sign of polyhedra with ``d = 0`` (RR 2023, sec. 2.4.1 and footnote 9);
* smoothness and relative magnitudes ``Delta^SDRM(Mbar)`` (RR 2023, sec. 2.4.4): every
  post-period second difference (from the one centred on the reference period on) is at
  most ``Mbar`` times the largest pre-period second difference in absolute value; a union
  over which pre-period second difference is the largest and its sign (needs two pre periods);
* a sign restriction ``B`` (RR 2023, sec. 2.4.3): ``delta_post >= 0`` (``bias="positive"``)
  or ``<= 0`` (``"negative"``); intersected with SD it is ``Delta^SDB``, with RM ``Delta^RMB``,
  with SDRM ``Delta^SDRMB``;
* a monotonicity restriction ``I`` / ``D``: ``delta`` (the reference ``delta_0 = 0`` included)
  weakly increasing (``monotonicity="increasing"``) or decreasing; with SD ``Delta^SDM``,
  with RM ``Delta^RMM``, with SDRM ``Delta^SDRMM``.

The sign and monotonicity rows are added to every piece of a union, so each family is a
union of polyhedra of the same form.  The pieces follow the HonestDiD R package
(``.create_A_SDB``, ``.create_A_RMB``, ``.create_A_SDRMB``, ``.create_A_SDRMM``,
``.create_A_M``, ``.create_A_B``, ``.create_A_SDRM``); :func:`restriction_pieces` builds any
of them.

Lemma 2.1 of RR 2023 gives the identified set of ``theta = l'tau_post`` for a polyhedron:
``[l'beta_post - max l'delta_post, l'beta_post - min l'delta_post]`` over ``delta`` in the
polyhedron with ``delta_pre = beta_pre``; for a union, the hull of the pieces' sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.errors import DesignError, EvalkitError

__all__ = [
    "Bias",
    "Monotonicity",
    "Polyhedron",
    "Restriction",
    "identified_set",
    "monotonicity_rows",
    "relative_magnitude_polyhedra",
    "restriction_pieces",
    "sign_rows",
    "smoothness_polyhedron",
    "smoothness_relative_magnitude_polyhedra",
]

Restriction = Literal["relative_magnitudes", "smoothness", "smoothness_relative_magnitudes"]
Bias = Literal["positive", "negative"]
Monotonicity = Literal["increasing", "decreasing"]
RESTRICTIONS = ("relative_magnitudes", "smoothness", "smoothness_relative_magnitudes")


@dataclass(frozen=True)
class Polyhedron:
    """``{delta : A delta <= d}`` over ``delta`` of length ``T_pre + T_post`` (reference dropped).

    Attributes
    ----------
    A, d
        Constraint matrix and bound.
    label
        What the piece is (``"SD"``, ``"RM s=-2 +"``).
    """

    A: np.ndarray
    d: np.ndarray
    label: str


def _first_differences(num_pre: int, num_post: int) -> np.ndarray:
    """Rows ``delta_{t+1} - delta_t`` over the extended vector with the reference at ``num_pre``."""
    n = num_pre + num_post
    D = np.zeros((n, n + 1))
    for r in range(n):
        D[r, r], D[r, r + 1] = -1.0, 1.0
    return D


def second_differences(num_pre: int, num_post: int) -> np.ndarray:
    """Rows ``delta_{t+1} - 2 delta_t + delta_{t-1}`` with ``delta_0 = 0`` (reference column dropped)."""
    n = num_pre + num_post
    D = np.zeros((n - 1, n + 1))
    for r in range(n - 1):
        D[r, r : r + 3] = (1.0, -2.0, 1.0)
    return np.delete(D, num_pre, axis=1)


def smoothness_polyhedron(num_pre: int, num_post: int, m: float) -> Polyhedron:
    """``Delta^SD(M)``: ``|second differences of delta| <= M`` (RR 2023, eq. 2.6)."""
    D2 = second_differences(num_pre, num_post)
    return Polyhedron(A=np.vstack([D2, -D2]), d=np.full(2 * len(D2), float(m)), label="SD")


def _magnitude_pieces(D: np.ndarray, num_pre_rows: int, num_pre: int, m_bar: float, name: str) -> list[Polyhedron]:
    """Pieces of "every post-period row of ``D`` at most ``Mbar`` times the largest pre-period
    row in absolute value": for each pre-period row ``s`` and sign, ``|D_r delta| <= sign D_s delta``
    for the ``num_pre_rows`` pre-period rows and ``<= Mbar sign D_s delta`` for the others.
    ``D`` acts on the extended vector (reference at column ``num_pre``), which is dropped."""
    n_rows = len(D)
    scale = np.r_[np.ones(num_pre_rows), np.full(n_rows - num_pre_rows, float(m_bar))]
    pieces = []
    for s in range(num_pre_rows):
        for sign in (1.0, -1.0):
            ub = scale[:, None] * (sign * D[s])[None, :]
            A = np.vstack([D - ub, -D - ub])
            A = A[np.einsum("ij,ij->i", A, A) > 1e-10]
            A = np.delete(A, num_pre, axis=1)
            label = f"{name} s={s - num_pre_rows} {'+' if sign > 0 else '-'}"
            pieces.append(Polyhedron(A=A, d=np.zeros(len(A)), label=label))
    return pieces


def relative_magnitude_polyhedra(num_pre: int, num_post: int, m_bar: float) -> list[Polyhedron]:
    """The pieces of ``Delta^RM(Mbar)``, one per pre-period first difference ``s`` and sign.

    Piece ``(s, +)``: ``|delta_{r+1} - delta_r| <= (delta_{s+1} - delta_s)`` for every
    pre-period difference ``r`` and ``<= Mbar (delta_{s+1} - delta_s)`` for every post-period
    one; piece ``(s, -)`` the same with ``-(delta_{s+1} - delta_s)``.  ``s`` runs over all
    ``T_pre`` pre-period differences, the last one being ``delta_0 - delta_{-1}``.
    """
    return _magnitude_pieces(_first_differences(num_pre, num_post), num_pre, num_pre, m_bar, "RM")


def smoothness_relative_magnitude_polyhedra(num_pre: int, num_post: int, m_bar: float) -> list[Polyhedron]:
    """The pieces of ``Delta^SDRM(Mbar)``, one per pre-period second difference ``s`` and sign.

    The ``T_pre - 1`` pre-period second differences are those centred on pre periods; the
    ``T_post`` post-period ones are centred on the reference period and after it.
    """
    if num_pre < 2:
        raise DesignError(f"smoothness_relative_magnitudes needs at least two pre periods, got num_pre={num_pre}")
    n = num_pre + num_post
    D2 = np.zeros((n - 1, n + 1))
    for r in range(n - 1):
        D2[r, r : r + 3] = (1.0, -2.0, 1.0)
    return _magnitude_pieces(D2, num_pre - 1, num_pre, m_bar, "SDRM")


def sign_rows(num_pre: int, num_post: int, bias: Bias) -> np.ndarray:
    """Rows ``A`` with ``A delta <= 0`` iff ``delta_post >= 0`` (``"positive"``) or ``<= 0`` (``"negative"``)."""
    if bias not in ("positive", "negative"):
        raise EvalkitError(f"bias must be 'positive' or 'negative', got {bias!r}")
    A = -np.eye(num_pre + num_post)[num_pre:]
    return A if bias == "positive" else -A


def monotonicity_rows(num_pre: int, num_post: int, monotonicity: Monotonicity) -> np.ndarray:
    """Rows ``A`` with ``A delta <= 0`` iff ``delta`` (with ``delta_0 = 0``) is weakly increasing or decreasing."""
    if monotonicity not in ("increasing", "decreasing"):
        raise EvalkitError(f"monotonicity must be 'increasing' or 'decreasing', got {monotonicity!r}")
    A = np.delete(-_first_differences(num_pre, num_post), num_pre, axis=1)
    return A if monotonicity == "increasing" else -A


def restriction_pieces(
    method: Restriction,
    num_pre: int,
    num_post: int,
    m: float,
    *,
    bias: Bias | None = None,
    monotonicity: Monotonicity | None = None,
) -> list[Polyhedron]:
    """The polyhedra whose union is the restriction ``method`` with bound ``m``, intersected
    with a sign (``bias``) or monotonicity restriction when one is given (not both, as in
    the R package): SD, SDB, SDM, RM, RMB, RMM, SDRM, SDRMB, SDRMM."""
    if method not in RESTRICTIONS:
        raise EvalkitError(f"method must be one of {list(RESTRICTIONS)}, got {method!r}")
    if bias is not None and monotonicity is not None:
        raise EvalkitError("give a sign restriction (bias=) or a monotonicity restriction (monotonicity=), not both")
    if method == "smoothness":
        pieces = [smoothness_polyhedron(num_pre, num_post, m)]
    elif method == "relative_magnitudes":
        pieces = relative_magnitude_polyhedra(num_pre, num_post, m)
    else:
        pieces = smoothness_relative_magnitude_polyhedra(num_pre, num_post, m)
    if bias is None and monotonicity is None:
        return pieces
    extra = sign_rows(num_pre, num_post, bias) if bias is not None else monotonicity_rows(num_pre, num_post, monotonicity)
    tag = f" B{bias}" if bias is not None else f" M{monotonicity}"
    return [Polyhedron(A=np.vstack([p.A, extra]), d=np.r_[p.d, np.zeros(len(extra))], label=p.label + tag)
            for p in pieces]


def _piece_bounds(piece: Polyhedron, beta: np.ndarray, num_pre: int, l_vec: np.ndarray) -> tuple[float, float] | None:
    """``[min, max] l'delta_post`` over the piece with ``delta_pre = beta_pre`` (None: infeasible)."""
    from scipy.optimize import linprog  # scipy.optimize loaded only where a linear program is solved

    A_pre, A_post = piece.A[:, :num_pre], piece.A[:, num_pre:]
    rhs = piece.d - A_pre @ beta[:num_pre]
    out = []
    for sense in (1.0, -1.0):
        sol = linprog(sense * l_vec, A_ub=A_post, b_ub=rhs, bounds=[(None, None)] * len(l_vec), method="highs")
        if sol.status == 2:
            return None
        out.append(sense * sol.fun if sol.status == 0 else sense * -np.inf)
    return out[0], out[1]


def identified_set(
    beta: np.ndarray, pieces: list[Polyhedron], num_pre: int, l_vec: np.ndarray
) -> tuple[float, float]:
    """Identified set of ``theta = l'tau_post`` given the population ``beta`` (RR 2023, Lemma 2.1).

    Returns ``(nan, nan)`` when no piece is consistent with ``beta_pre``.
    """
    beta = np.asarray(beta, dtype=float)
    l_vec = np.asarray(l_vec, dtype=float)
    theta_hat = float(l_vec @ beta[num_pre:])
    lows, highs = [], []
    for piece in pieces:
        b = _piece_bounds(piece, beta, num_pre, l_vec)
        if b is not None:
            lows.append(theta_hat - b[1])
            highs.append(theta_hat - b[0])
    if not lows:
        return float("nan"), float("nan")
    return float(min(lows)), float(max(highs))
