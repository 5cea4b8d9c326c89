"""Disclosure control: the minimum-cell rule, on its own and on a FUI panel with small cells."""

from __future__ import annotations

import json

import pytest

from evalkit.cli import main
from evalkit.errors import EvalkitError
from evalkit.replications.fui import run_fui
from evalkit.replications.fui.descriptives import table_rows
from evalkit.replications.fui.report_text import to_text
from evalkit.replications.fui.results_json import results_document
from evalkit.replications.fui.synthetic import simulate_fui_panel
from evalkit.report.disclosure import DEFAULT_MIN_CELL, DisclosureControl
from evalkit.report.json_contract import dumps, validate

SMALL = ["--scale", "0.002", "--seed", "5", "--no-event-study", "--no-few-clusters"]


def test_counts_below_the_minimum_are_small_zero_is_not() -> None:
    rule = DisclosureControl()
    assert rule.min_cell == DEFAULT_MIN_CELL == 5
    assert [rule.small(n) for n in (0, 1, 4, 5, 6)] == [False, True, True, False, False]
    assert rule.too_few(4) and not rule.too_few(5) and not rule.too_few(None)
    assert rule.rate_hidden(3, 1000) and rule.rate_hidden(0, 4) and not rule.rate_hidden(0, 10)
    assert rule.marker == "<5" and "suppressed" in rule.note
    off = DisclosureControl.off()
    assert not off.small(1) and not off.too_few(1) and "off" in off.note


def test_secondary_suppression_protects_the_hidden_cell_of_an_additive_group() -> None:
    rule = DisclosureControl()
    # 3 alone would be recovered as total - 40 - 17: the smallest other non-zero cell goes too
    assert rule.additive([40, 3, 17, 0]) == [False, True, True, False]
    assert rule.additive([40, 3, 2]) == [False, True, True]  # two hidden already
    assert rule.additive([40, 30]) == [False, False]
    assert rule.additive([3, 17], total_shown=False) == [True, False]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "5"])
def test_min_cell_must_be_a_positive_whole_number(bad) -> None:
    with pytest.raises(EvalkitError, match="min_cell"):
        DisclosureControl(min_cell=bad)


@pytest.fixture(scope="module")
def tiny():
    """A panel so small that many cells of table 8.1 hold 1-4 persons."""
    data = simulate_fui_panel(scale=0.002, seed=5)
    return run_fui(data.panel, data.unemployment, few_clusters=False, event_study=False, placebo=False)


def shown_small(values, rule) -> list:
    return [v for v in values if v is not None and rule.small(v)]


def test_json_shows_no_small_count_and_marks_every_suppressed_cell(tiny) -> None:
    rule = DisclosureControl()
    doc = json.loads(dumps(results_document(tiny, disclosure=rule)))
    validate(doc)
    table = doc["tables"]["table_8_1"]
    assert shown_small([r["count"] for r in table], rule) == []
    hidden = [r for r in table if "suppressed" in r]
    assert hidden, "the tiny panel has cells of 1-4 persons"
    for r in hidden:
        assert all(r[c] is None for c in r["suppressed"])
        assert "value" in r["suppressed"]  # a percentage never reveals a hidden count
    # the raw table does have such cells: they were suppressed, not absent
    raw = [c for cells in tiny.descriptives["rows"].values() for c, _ in cells]
    assert shown_small(raw, rule)
    # no additive group (one characteristic within one group) has exactly one hidden cell
    blocks: dict[str, list[str]] = {}
    for row, (column, _, _) in table_rows(tiny.sample.spec).items():
        blocks.setdefault(column, []).append(row)
    for group in tiny.descriptives["columns"]:
        for members in blocks.values():
            n_hidden = sum(r["count"] is None for r in table if r["group"] == group and r["row"] in members)
            assert n_hidden != 1, (group, members)
    for model in doc["sample_sizes"]:
        assert shown_small([model["entrants"], model["used"], *model["excluded"].values()], rule) == []
    assert shown_small([e["count"] for e in doc["entries"]], rule) == []
    assert doc["provenance"]["disclosure"]["min_cell"] == 5 and doc["provenance"]["disclosure"]["enabled"]


def test_text_marks_suppressed_cells_and_says_so(tiny) -> None:
    text = to_text(tiny)
    assert "<5" in text and "Disclosure control: counts of 1 to 4 persons" in text
    table = text[text.index("Table 8.1"):text.index("Entrants in each model")]
    for line in table.splitlines()[3:]:
        for token in line.split()[1:]:
            assert not (token.isdigit() and 0 < int(token) < 5), line


def test_the_minimum_is_configurable_and_off_only_when_asked(tiny) -> None:
    strict = results_document(tiny, disclosure=DisclosureControl(min_cell=10))
    default = results_document(tiny)
    off = results_document(tiny, disclosure=DisclosureControl.off())
    count = lambda doc: sum("suppressed" in r for r in doc["tables"]["table_8_1"])
    assert count(strict) > count(default) > count(off) == 0
    assert shown_small([r["count"] for r in off["tables"]["table_8_1"]], DisclosureControl())


def test_cli_min_cell_and_no_disclosure_control(capsys) -> None:
    assert main(["fui", *SMALL, "--json", "-q"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert main(["fui", *SMALL, "--json", "-q", "--no-disclosure-control"]) == 0
    off = json.loads(capsys.readouterr().out)
    assert main(["fui", *SMALL, "--json", "-q", "--min-cell", "8"]) == 0
    strict = json.loads(capsys.readouterr().out)
    n = [sum("suppressed" in r for r in d["tables"]["table_8_1"]) for d in (strict, default, off)]
    assert n[0] > n[1] > n[2] == 0
    assert off["provenance"]["disclosure"]["enabled"] is False and strict["provenance"]["options"]["min_cell"] == 8
    assert main(["fui", *SMALL, "--min-cell", "0"]) == 2
    assert "--min-cell" in capsys.readouterr().err


def test_contamination_shares_of_small_groups_are_withheld_in_warnings(tiny) -> None:
    rule = DisclosureControl(min_cell=25)  # every group of the tiny panel has fewer entrants
    doc = json.loads(dumps(results_document(tiny, disclosure=rule)))
    assert all(r["share_exposed"] is None for r in doc["contamination"])
    contaminated = [w for w in doc["warnings"] if w["code"] == "contamination"]
    assert contaminated
    for w in contaminated:
        assert w["share_exposed"] is None and "% of group" not in w["message"] and "<25" in w["message"]
    text = to_text(tiny, disclosure=rule)
    assert "% of group" not in text and "some entrants (<25) of group" in text


def test_estimates_of_models_with_too_few_persons_are_withheld(tiny) -> None:
    import dataclasses

    import pandas as pd

    fake = pd.DataFrame({"outcome": ["employed"], "horizon": [1], "estimate": [0.1], "wild_p": [0.2],
                         "n_clusters": [18]})
    rep = dataclasses.replace(tiny, few_clusters=fake)
    used = int(tiny.exclusions()["used"].max())
    doc = json.loads(dumps(results_document(rep, disclosure=DisclosureControl(min_cell=used + 1))))
    validate(doc)
    for rows in (doc["tables"]["table_8_2"], doc["effects"], doc["inference"], doc["few_clusters"]):
        assert all(r["estimate"] is None and "estimate" in r["suppressed"] for r in rows)
    assert doc["few_clusters"][0]["n_clusters"] is None and doc["comparison"]["cells"] == 0
    shown = json.loads(dumps(results_document(rep, disclosure=DisclosureControl(min_cell=used))))
    assert all(r["estimate"] is not None for r in shown["inference"])
