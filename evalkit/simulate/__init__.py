"""Generic simulators of panels with known effects (for tests, examples and teaching).

- :func:`simulate_staggered`: staggered adoption with known ATT(g,t), in the manner of R
  did's ``simulate_data``.

The synthetic FUI register panel calibrated to the published tables is part of the FUI
application: :mod:`evalkit.replications.fui.synthetic`.
"""

from evalkit.simulate.staggered import SimulatedPanel, simulate_staggered

__all__ = ["SimulatedPanel", "simulate_staggered"]
