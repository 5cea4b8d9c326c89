"""Generic simulators of panels with known effects (for tests, examples and teaching).

- :func:`simulate_staggered`: staggered adoption with known ATT(g,t), in the manner of R
  did's ``simulate_data``.
- :func:`stratified_ones`: binary draws with each cell's expected number of ones (up to
  rounding), so that regressions on a synthetic sample land on calibrated coefficients.

The synthetic panels calibrated to published tables belong to their applications:
:mod:`evalkit.replications.fui.synthetic`, :mod:`evalkit.replications.neet.synthetic`.
"""

from evalkit.simulate.rounding import stratified_ones
from evalkit.simulate.staggered import SimulatedPanel, simulate_staggered

__all__ = ["SimulatedPanel", "simulate_staggered", "stratified_ones"]
