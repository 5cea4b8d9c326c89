"""etable comparison tables: every format written and read back, values as printed."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit.errors import EvalkitError
from evalkit.report.tables import FORMATS, as_column, etable, published_column

CELL = re.compile(r"(-?\d+\.\d+)(\**)\s*\((\d+\.\d+)\)")


@pytest.fixture(scope="module")
def fits():
    rng = np.random.default_rng(3)
    n = 400
    data = pd.DataFrame({"x": rng.normal(size=n), "g": rng.integers(0, 8, n)})
    data["y"] = 0.3 * data["x"] + 0.1 * data["g"] + rng.normal(size=n)
    return evalkit.feols("y ~ x", data), evalkit.feols("y ~ x | g", data)


@pytest.fixture(scope="module")
def table(fits):
    ols, fe = fits
    pub = published_column({"x": {"coef": 0.25, "se": 0.05, "p": 0.0001}}, name="published")
    return etable({"OLS": ols, "FE": fe, "published": pub}, labels={"x": "slope"}, caption="Slopes")


def _expected(result, term: str) -> tuple[str, str]:
    return f"{result.params[term]:.3f}", f"{result.std_errors[term]:.3f}"


def _cells(text: str) -> list[tuple[str, str, str]]:
    return CELL.findall(text)


def test_layout_has_stars_legend_n_fixed_effects_and_covariance(fits, table) -> None:
    ols, fe = fits
    frame = table.frame
    labels = [i[-1] for i in frame.index]
    assert labels[:2] == ["slope", "Intercept"]
    assert "Fixed effects: g" in labels and "N" in labels and "Standard errors" in labels
    n_row = frame.loc[[i for i in frame.index if i[-1] == "N"][0]]
    assert list(n_row)[:2] == ["400", "400"]
    fe_row = frame.loc[[i for i in frame.index if i[-1] == "Fixed effects: g"][0]]
    assert list(fe_row) == ["-", "x", "-"]
    assert "*** p < 0.01, ** p < 0.05, * p < 0.1" in table.notes
    assert ols.pvalues["x"] < 0.01 and "***" in frame.iloc[0, 0]


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_every_format_is_written_and_read_back(fits, table, tmp_path, suffix) -> None:
    ols, fe = fits
    path = table.save(tmp_path / f"slopes{suffix}")
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(path).active
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        assert rows[0][0] == "Slopes"
        slope = next(r for r in rows if r[0] == "slope")
        text = " ".join(str(v) for v in slope[1:])
    elif suffix == ".docx":
        import docx

        doc = docx.Document(str(path))
        cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
        slope = next(r for r in cells if r[0] == "slope")
        text = " ".join(slope[1:])
    else:
        content = path.read_text(encoding="utf-8")
        if suffix == ".tex":
            positions = [content.index(rule) for rule in (r"\toprule", r"\midrule", r"\bottomrule")]
            assert positions == sorted(positions)  # booktabs rules in order
            line = next(l for l in content.splitlines() if l.startswith("slope &"))
            text = line.replace(r"\\", " ")
        elif suffix == ".md":
            line = next(l for l in content.splitlines() if l.startswith("| slope |"))
            text = line
        else:
            assert "<table" in content and "<script" not in content
            text = re.sub(r"<[^>]+>", " ", content[content.index("slope"):])
    got = _cells(text)[:3]
    assert [(b, se) for b, _, se in got] == [_expected(ols, "x"), _expected(fe, "x"), ("0.250", "0.050")]
    assert got[2][1] == "***"  # the published p-value decides its stars


def test_html_bytes_are_reproducible(table, tmp_path) -> None:
    a = table.save(tmp_path / "a.html").read_bytes()
    b = table.save(tmp_path / "b.html").read_bytes()
    assert a.replace(b'id="a"', b"").replace(b"#a ", b"") == b.replace(b'id="b"', b"").replace(b"#b ", b"")
    assert table.to_html(table_id="t") == table.to_html(table_id="t")


def test_norwegian_labels_and_missing_p_from_the_normal_approximation() -> None:
    col = published_column({"x": {"coef": 0.2, "se": 0.1}})
    assert col.estimates.loc["x", "p_value"] == pytest.approx(0.0455, abs=1e-4)
    nb = etable([col], lang="nb")
    assert "Signifikans" in nb.notes and any(i[-1] == "Standardfeil" for i in nb.frame.index)


def test_errors_name_what_was_given(table, tmp_path) -> None:
    with pytest.raises(EvalkitError, match=r"'\.pdf'.*\.md"):
        table.save(tmp_path / "t.pdf")
    with pytest.raises(EvalkitError, match="has no tidy"):
        as_column(object())
    with pytest.raises(EvalkitError, match="needs 'coef' and 'se'"):
        published_column({"x": {"coef": 1.0}})
    with pytest.raises(EvalkitError, match="lang must be one of"):
        etable([published_column({"x": {"coef": 1.0, "se": 1.0}})], lang="de")
    with pytest.raises(EvalkitError, match="no results"):
        etable([])


@pytest.fixture(scope="module")
def fui():
    from evalkit.replications.fui import run_fui
    from evalkit.replications.fui.synthetic import simulate_fui_panel

    data = simulate_fui_panel(scale=0.1, seed=7)
    return run_fui(data.panel, data.unemployment, few_clusters=False, event_study=False, placebo=False)


def test_fui_tables_8_2_and_8_3_equal_the_results_as_printed(fui, tmp_path) -> None:
    from openpyxl import load_workbook

    from evalkit.replications.fui.labels import label
    from evalkit.replications.fui.published import TABLE_KEYS, TERMS, published
    from evalkit.replications.fui.report_html import published_tables

    tables = published_tables(fui)
    assert set(tables) == {"table_8_1", "table_8_2", "table_8_3"}
    for outcome, key in TABLE_KEYS.items():
        ws = load_workbook(tables[key[:9]].save(tmp_path / f"{key}.xlsx")).active
        rows = {r[0].value: [c.value for c in r[1:]] for r in ws.iter_rows() if r[0].value}
        mine, ref = fui.conventional.table(outcome), published()[key]
        for term in TERMS:
            cells = _cells(" ".join(str(v) for v in rows[label(term, "en")]))
            expected = []
            for h in fui.sample.spec.horizons:
                expected += [(f"{mine[term][str(h)]['coef']:.3f}", f"{mine[term][str(h)]['se']:.3f}"),
                             (f"{ref[term][str(h)]['coef']:.3f}", f"{ref[term][str(h)]['se']:.3f}")]
            assert [(b, se) for b, _, se in cells] == expected, term
        used = fui.exclusions().set_index(["outcome", "horizon"])["used"]
        assert rows["N"][0::2] == [f"{used[(outcome, h)]:,}" for h in fui.sample.spec.horizons]


def test_fui_table_8_1_in_every_format(fui, tmp_path) -> None:
    import docx

    from evalkit.replications.fui.report_html import table_8_1_etable

    table = table_8_1_etable(fui, lang="nb")
    for suffix in FORMATS:
        assert table.save(tmp_path / f"t81{suffix}").stat().st_size > 0
    doc = docx.Document(str(tmp_path / "t81.docx"))
    first = [c.text for c in doc.tables[0].rows[0].cells]
    assert "Sør/Vest, t1" in first
    n = fui.descriptives["n_total"]["south_west_t1"]
    assert f"{n:,}" in (tmp_path / "t81.md").read_text(encoding="utf-8")


def _word_table(path) -> tuple:
    """What a reader of a Word table sees: cell texts, merged spans, run fonts and alignment, caption."""
    import docx

    doc = docx.Document(str(path))
    rows = doc.tables[0].rows
    return ([[c.text for c in row.cells] for row in rows],
            [[tc.grid_span for tc in row._tr.tc_lst] for row in rows],
            [[(r.font.name, r.font.size, str(r.font.color.rgb), p.alignment)
              for c in row.cells for p in c.paragraphs for r in p.runs] for row in rows],
            [p.text for p in doc.paragraphs])


def test_word_tables_show_what_maketables_writes(table, fui, tmp_path) -> None:
    """The one-pass Word writer against maketables' own Word output of the same layout."""
    from evalkit.replications.fui.report_html import published_tables

    shown = {"slopes": table, **{f"{k}_nb": t for k, t in published_tables(fui, lang="nb").items()}}
    for name, report_table in shown.items():
        report_table._table.make("docx").save(str(tmp_path / f"{name}_maketables.docx"))
        mine = _word_table(report_table.to_docx(tmp_path / f"{name}.docx"))
        theirs = _word_table(tmp_path / f"{name}_maketables.docx")
        assert mine == theirs, name
        assert any(span > 1 for row in mine[1] for span in row)  # merged headings or notes were compared
