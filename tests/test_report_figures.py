"""Publication figures: one legend per figure, integer ticks, stated CI level, range flags,
reproducible SVG bytes, 300 dpi PNG, labelled HonestDiD original interval."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evalkit.report.event_plot import (  # noqa: E402
    OKABE_ITO, Panel, plot_event_grid, plot_event_study, save_figure, svg_document, svg_text,
)
from evalkit.report.sensitivity_plot import plot_sensitivity  # noqa: E402


def _frame(shift: float = 0.0, outlier: float | None = None) -> pd.DataFrame:
    e = np.arange(-4, 4, dtype=float)
    est = 0.02 * e + shift
    if outlier is not None:
        est[-1] = outlier
    return pd.DataFrame({"event_time": e, "estimate": est, "conf_low": est - 0.05, "conf_high": est + 0.05})


def _texts(fig) -> str:
    out = [t.get_text() for t in fig.texts]
    for legend in fig.legends:
        out.append(legend.get_title().get_text())
        out += [t.get_text() for t in legend.get_texts()]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return "\n".join(out)


def _grid(**kwargs):
    panels = [Panel({"A": _frame(), "B": _frame(0.01)}, title=f"panel {i}", reference_lines={-0.5: "start"})
              for i in range(6)]
    return plot_event_grid(panels, ncols=3, **kwargs)


def test_one_legend_per_figure_and_none_per_panel() -> None:
    fig = _grid()
    assert len(fig.legends) == 1
    assert all(ax.get_legend() is None for ax in fig.axes)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["A", "B", "no effect (0)", "start"]  # series first, every reference line named


def test_integer_ticks_in_every_panel() -> None:
    fig = _grid()
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = ax.get_xticks()
        assert len(ticks) >= 3 and np.allclose(ticks, np.round(ticks))


@pytest.mark.parametrize("alpha, level", [(0.05, "95%"), (0.1, "90%")])
def test_ci_level_is_stated(alpha, level) -> None:
    assert f"{level} pointwise confidence intervals" in _texts(plot_event_study({"A": _frame()}, alpha=alpha))


def test_norwegian_labels() -> None:
    text = _texts(plot_event_study({"A": _frame()}, lang="nb"))
    assert "95 % punktvise konfidensintervaller" in text and "ingen effekt (0)" in text


def test_values_outside_the_range_are_flagged_and_do_not_set_the_scale() -> None:
    fig = plot_event_study({"A": _frame(outlier=-1.5)}, value_range=(-1, 1))
    assert "1 estimate(s) or interval(s) beyond the outcome's range [-1, 1]" in _texts(fig)
    low, high = fig.axes[0].get_ylim()
    assert low >= -1.1 and high <= 1.1
    quiet = plot_event_study({"A": _frame()}, value_range=(-1, 1))
    assert "beyond" not in _texts(quiet)


def test_shared_or_per_panel_scales() -> None:
    panels = [Panel({"A": _frame()}), Panel({"A": _frame() * 10})]
    shared = plot_event_grid(panels, ncols=2, sharey=True)
    apart = plot_event_grid(panels, ncols=2, sharey=False)
    assert shared.axes[0].get_ylim() == shared.axes[1].get_ylim()
    assert apart.axes[0].get_ylim() != apart.axes[1].get_ylim()


def test_okabe_ito_colours() -> None:
    fig = plot_event_study({"A": _frame(), "B": _frame()})
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in fig.axes[0].lines if line.get_label() in "AB"}
    assert colours <= {c.lower() for c in OKABE_ITO}


def test_svg_bytes_identical_across_runs_and_png_at_300_dpi(tmp_path) -> None:
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        save_figure(_grid(), tmp_path / run / "grid.svg")
        save_figure(_grid(), tmp_path / run / "grid.png")
    svg = (tmp_path / "a" / "grid.svg").read_bytes()
    assert svg == (tmp_path / "b" / "grid.svg").read_bytes()
    assert b"<dc:date>" not in svg
    assert (tmp_path / "a" / "grid.png").read_bytes() == (tmp_path / "b" / "grid.png").read_bytes()
    image = matplotlib.image.imread(tmp_path / "a" / "grid.png")
    width, height = _grid().get_size_inches()
    assert image.shape[:2] == (round(height * 300), round(width * 300))


def test_svg_document_is_the_file_save_figure_writes(tmp_path) -> None:
    save_figure(_grid(), tmp_path / "grid.svg")
    document = svg_document(_grid(), salt="grid")
    assert document.encode("utf-8") == (tmp_path / "grid.svg").read_bytes()
    element = svg_text(_grid(), salt="grid")
    assert element.startswith("<svg") and document.endswith(element)


def test_honest_did_original_interval_at_its_own_labelled_position() -> None:
    m = [0.0, 0.5, 1.0]
    fig = plot_sensitivity(m, [-0.1, -0.2, -0.3], [0.1, 0.2, 0.3], (-0.05, 0.05), alpha=0.05)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0].startswith("original") and labels[1:] == ["0", "0.5", "1"]
    assert ax.get_xticks()[0] < min(m) - 0.5  # not at Mbar = -0.5
    assert len(fig.legends) == 1 and ax.get_legend() is None
    assert "95% confidence interval" in _texts(fig)


def test_result_plot_methods_follow_the_rules() -> None:
    from evalkit.sensitivity import honest_did_arrays

    beta = np.array([0.01, -0.01, 0.0, 0.05, 0.06])
    sigma = np.diag(np.full(5, 0.01**2))
    fig = honest_did_arrays(beta, sigma, 3, 2, m=[0.5, 1.0]).plot(lang="nb")
    assert "opprinnelig" in [t.get_text() for t in fig.axes[0].get_xticklabels()][0]
    assert "95 % konfidensintervall" in _texts(fig)


def test_plot_draws_every_result() -> None:
    import evalkit
    from evalkit.estimators import event_study
    from evalkit.report import plot
    from evalkit.simulate import simulate_staggered

    sim = simulate_staggered(60, 8, {4: 0.5, 6: 0.5}, effect=1.0, rng=np.random.default_rng(2))
    res = event_study(sim.data, y="y", unit="unit", time="time", group="first_treated", min_e=-3, max_e=3)
    fig = plot(res)  # its own plot(): one legend, integer ticks, the level stated
    fig.canvas.draw()
    assert len(fig.legends) == 1 and np.allclose(fig.axes[0].get_xticks(), np.round(fig.axes[0].get_xticks()))
    assert "95% pointwise confidence intervals" in _texts(fig)
    data = pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0) % 7})
    coef = plot(evalkit.feols("y ~ x", data), alpha=0.1)  # a result of the layer below: drawn here
    assert len(coef.legends) == 1 and "90% confidence intervals" in _texts(coef)
    assert sorted(t.get_text() for t in coef.axes[0].get_yticklabels()) == ["Intercept", "x"]
