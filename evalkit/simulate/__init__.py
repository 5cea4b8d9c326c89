"""Generic simulators of panels with known effects (for tests, examples and teaching).

- :func:`simulate_staggered`: staggered adoption with known ATT(g,t), in the manner of R
  did's ``simulate_data``.
- :func:`simulate_switching`: persons moving into and out of treated regions (a
  non-absorbing treatment) with known effects of their switches (DID_l's estimand).
- :func:`stratified_ones`: binary draws with each cell's expected number of ones (up to
  rounding), so that regressions on a synthetic sample land on calibrated coefficients.

The synthetic panels calibrated to published tables belong to their applications:
:mod:`evalkit.replications.fui.synthetic`, :mod:`evalkit.replications.neet.synthetic`.
"""

from evalkit.simulate.rounding import stratified_ones
from evalkit.simulate.staggered import SimulatedPanel, simulate_staggered
from evalkit.simulate.switching import SwitchingPanel, simulate_switching

__all__ = ["SimulatedPanel", "SwitchingPanel", "simulate_staggered", "simulate_switching", "stratified_ones"]
