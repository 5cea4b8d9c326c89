"""Tables, plots and reports built from public results.

``etable`` (side-by-side tables in Markdown, HTML, LaTeX, Word, Excel), ``plot`` (a figure of
any result) and ``save_figure`` (300 dpi PNG, reproducible SVG) load their module on first
use, so importing a submodule stays light (PEP 562).
"""

from __future__ import annotations

from evalkit.lazy import lazy_module

_LAZY = {
    "etable": "evalkit.report.tables",
    "as_column": "evalkit.report.tables",
    "published_column": "evalkit.report.tables",
    "ReportTable": "evalkit.report.tables",
    "plot": "evalkit.report.plots",
    "plot_coefficients": "evalkit.report.plots",
    "plot_event_study": "evalkit.report.event_plot",
    "plot_event_grid": "evalkit.report.event_plot",
    "save_figure": "evalkit.report.event_plot",
    "plot_sensitivity": "evalkit.report.sensitivity_plot",
    "plot_synthdid": "evalkit.report.synthdid_plot",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_module(__name__, _LAZY)
