"""The HTML and Markdown reports: structure, language, reproducibility and a real browser.

The browser test renders ``report.html`` in headless Chromium (Debian's ``chromium``; CI
installs it, see ``.ci/run``) at a 1200 px wide viewport, with a script that writes into the
page the list of section ids and every table wider than its container.
"""

from __future__ import annotations

import json
import os
from html import escape
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from evalkit.replications.fui import report, run_fui  # noqa: E402
from evalkit.replications.fui.labels import words  # noqa: E402
from evalkit.replications.fui.report_html import event_study_figure, sections, to_markdown  # noqa: E402
from evalkit.replications.fui.synthetic import simulate_fui_panel  # noqa: E402

SECTIONS = ["findings", "warnings", "table-8-1", "exclusions", "table-8-2", "table-8-3", "comparison", "effects",
            "few-clusters", "event-study", "pretrend", "sensitivity", "placebo", "contamination", "provenance"]

CHECK = """<script>window.addEventListener('load', function () {
  var root = document.documentElement, r = {sections: [], overflow: [], width: root.clientWidth};
  document.querySelectorAll('section').forEach(function (s) { r.sections.push(s.id); });
  document.querySelectorAll('table').forEach(function (t, i) {
    var box = t.parentElement, s = t.closest('section');
    if (t.scrollWidth > box.clientWidth || t.getBoundingClientRect().right > root.clientWidth) {
      r.overflow.push({table: i, section: s ? s.id : '', width: t.scrollWidth, room: box.clientWidth});
    }
  });
  var out = document.createElement('pre'); out.id = 'layout-check'; out.textContent = JSON.stringify(r);
  document.body.appendChild(out);
});</script>"""


@pytest.fixture(scope="module")
def rep():
    data = simulate_fui_panel(scale=0.1, seed=7)
    return run_fui(data.panel, data.unemployment, n_boot=99)


@pytest.fixture(scope="module")
def written(rep, tmp_path_factory):
    out = {}
    for lang in ("en", "nb"):
        path = tmp_path_factory.mktemp(f"report_{lang}")
        report.write(rep, path, lang=lang)
        out[lang] = path
    return out


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but chromium is not installed (.ci/run installs Debian's chromium package)")
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def layout(html_file: Path, tmp_path: Path) -> dict:
    """Render ``html_file`` in headless Chromium 1200 px wide; the sections and overflowing tables."""
    browser = _chromium()
    page = tmp_path / f"checked_{html_file.stem}.html"
    page.write_text(html_file.read_text(encoding="utf-8").replace("</body>", CHECK + "</body>"), encoding="utf-8")
    result = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,900",
         "--virtual-time-budget=10000", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )
    found = re.search(r'<pre id="layout-check">([^<]*)</pre>', result.stdout)
    assert found, f"chromium wrote no layout check (exit {result.returncode}): {result.stderr[-800:]}"
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.parametrize("lang", ["en", "nb"])
def test_browser_every_section_present_and_no_table_overflows(written, lang, tmp_path) -> None:
    checked = layout(written[lang] / "report.html", tmp_path)
    assert checked["width"] <= 1200
    assert checked["sections"] == SECTIONS
    assert checked["overflow"] == []


def test_browser_check_detects_an_overflowing_table(written, tmp_path) -> None:
    wide = "<table>" + "<tr>" + "".join(f"<td>column_{i:03d}_wide_cell</td>" for i in range(40)) + "</tr></table>"
    page = tmp_path / "wide.html"
    html = (written["en"] / "report.html").read_text(encoding="utf-8")
    page.write_text(html.replace("<section id='provenance'>", f"<section id='provenance'>{wide}"), encoding="utf-8")
    checked = layout(page, tmp_path)
    assert [o["section"] for o in checked["overflow"]] == ["provenance"]


def test_findings_and_warnings_first_provenance_last(written, rep) -> None:
    html = (written["en"] / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r"<section id='([^']+)'>", html)
    assert ids == SECTIONS
    findings = html[html.index("<section id='findings'>"):html.index("<section id='warnings'>")]
    assert "FUI effect" in findings and "within 1 published SE" in findings and "Pre-trend tests" in findings
    assert html.index(rep.warnings()[0].split(",")[0]) < html.index("<section id='table-8-1'>")
    for sid, title, explain, _ in sections(rep):
        if explain:
            assert escape(explain.split(".")[0]) in html  # each section explains itself in plain words


def test_self_contained_and_reproducible(written, rep, tmp_path) -> None:
    html = (written["en"] / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<script" not in html
    assert not re.search(r"(src|href)=['\"]?(https?:|file:|[\w./-]+\.(png|svg|css|js))", html)
    assert "<svg" in html  # the figure is inline
    assert "p = 0.0000" not in html and "0.0000" not in html
    again = tmp_path / "again"
    report.write(rep, again, lang="en")
    for name in ("report.html", "report.md", "event_study.svg", "table_8_2.html", "table_8_2.tex", "table_8_2.md"):
        assert (again / name).read_bytes() == (written["en"] / name).read_bytes(), name


def test_norwegian_reaches_every_heading_table_and_figure(written, rep) -> None:
    html = (written["nb"] / "report.html").read_text(encoding="utf-8")
    nb, en = words("nb"), words("en")
    for key in ("findings", "warnings", "s_table_8_1", "s_table_8_2", "s_event_study", "s_provenance"):
        assert f"<h2>{nb[key]}</h2>" in html
        assert f"<h2>{en[key]}</h2>" not in html
    assert "Forsterket ungdomsinnsats (t2 x Sør- og Vestlandet)" in html and "FUI effect (t2" not in html
    assert "Sør/Vest, t1" in html and "1 måned etter tilgang" in html
    fig = event_study_figure(rep, lang="nb")
    assert fig.axes[0].get_title() == "I arbeid, 1 måned etter tilgang"
    assert "95 % punktvise konfidensintervaller" in fig.legends[0].get_title().get_text()
    assert "Standardfeil" in (written["nb"] / "table_8_2.md").read_text(encoding="utf-8")


def test_markdown_has_the_same_structure(written, rep) -> None:
    markdown = (written["en"] / "report.md").read_text(encoding="utf-8")
    titles = re.findall(r"^## (.+)$", markdown, flags=re.M)
    assert titles == [title for _, title, _, _ in sections(rep)]
    assert "Significance: *** p < 0.01" in markdown and "![event_study](event_study.svg)" in markdown
    assert markdown == to_markdown(rep)


def test_event_study_table_is_transposed_to_fit(rep) -> None:
    from evalkit.replications.fui.report_html import event_study_table

    table = event_study_table(rep)
    assert len(table.columns) == len(rep.sample.spec.outcomes) * len(rep.sample.spec.horizons)
    assert table.index.name == "event time"
    assert [int(e) for e in table.index] == sorted(int(e) for e in table.index)


def test_cli_lang_reaches_the_reports(tmp_path, capsys) -> None:
    from evalkit.cli import main

    args = ["fui", "--scale", "0.1", "--no-event-study", "--no-few-clusters", "--lang", "nb", "--out", str(tmp_path)]
    assert main(args) == 0
    capsys.readouterr()
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<html lang='nb'>" in html and f"<h2>{words('nb')['findings']}</h2>" in html
    assert "Kvinne" in (tmp_path / "table_8_2.tex").read_text(encoding="utf-8")
