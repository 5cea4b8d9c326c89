"""``evalkit check`` and ``assert_replicates``: the bundled expectations hold, changed ones fail readably."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from evalkit.cli import main
from evalkit.report.check import ExpectationError, check_results, load_expectations
from evalkit.report.json_contract import SchemaError
from evalkit.testing import assert_replicates

BUNDLED = resources.files("evalkit.replications.fui").joinpath("expect.toml")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``evalkit fui --out DIR`` on the bundled demo panel (fewer bootstrap draws than the default)."""
    out = tmp_path_factory.mktemp("demo")
    assert main(["fui", "--n-boot", "999", "--out", str(out), "-q"]) == 0
    return out / "results.json"


@pytest.fixture(scope="module")
def document(demo) -> dict:
    return json.loads(demo.read_text(encoding="utf-8"))


def changed(tmp_path, old: str, new: str) -> str:
    text = BUNDLED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "expect.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


def test_the_bundled_expectations_hold(demo, capsys) -> None:
    assert main(["check", str(demo), "--expect", str(BUNDLED)]) == 0
    out = capsys.readouterr().out
    n = len(load_expectations(BUNDLED)["estimate"])
    assert "expectations hold" in out and "FAIL" not in out and n == 9


def test_one_changed_expectation_fails_with_a_readable_message(demo, tmp_path, capsys) -> None:
    expect = changed(tmp_path, "value = 0.0292", "value = 0.035")
    assert main(["check", str(demo), "--expect", expect]) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1, out
    assert "FUI effect on education at 3 months (county-clustered model)" in failed[0]
    assert "vs expected 0.035" in failed[0] and "> abs_tol 0.001" in failed[0]
    assert "1 failed" in out


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('code = "bad_control"', 'code = "no_such_warning"', "absent (codes in the document: bad_control"),
        ("below = 0.01\n", "above = 0.5\n", "is not above 0.5"),
        ('horizon = 6\nwithin_published_se = 1', 'horizon = 6\nwithin_published_se = 0.01',
         "published SE (> 0.01)"),
        ('path = "comparison.max_abs_diff_in_se"\nmax = 2', 'path = "comparison.max_abs_diff_in_se"\nmax = 0.01',
         "above max 0.01"),
        ('term = "fui_effect"\nhorizon = 1', 'term = "fui_effect"\nhorizon = 2', "no record of tables.table_8_2"),
    ],
)
def test_each_kind_of_expectation_can_fail(demo, tmp_path, capsys, old, new, words) -> None:
    assert main(["check", str(demo), "--expect", changed(tmp_path, old, new)]) == 1
    assert words in capsys.readouterr().out


def test_warning_absent_and_ambiguous_records(document) -> None:
    report = check_results(document, {
        "warning": [{"code": "contamination", "present": False}, {"code": "few_clusters", "present": True}],
        "estimate": [{"table": "inference", "outcome": "employed", "value": 0, "abs_tol": 1}],
    })
    failed = {r.kind: r.detail for r in report.failures}
    assert set(failed) == {"warning (absent)", "estimate"}
    assert failed["warning (absent)"].startswith("present: horizon")
    assert "records (add key fields to pick one)" in failed["estimate"]


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("within_published_se = 1", "within_published_se = 1\ntolerance = 2", "unknown key 'tolerance'"),
        ('schema = "evalkit.expect/1"', 'schema = "evalkit.expect/1"\nstudies = "fui"', "unknown key 'studies'"),
        ("below = 0.01", "below = 0.01\nabove = 0.001", "exactly one of below = p or above = p"),
        ("abs_tol = 0.001", "", "give exactly one tolerance"),
        ("within_published_se = 1", 'within_published_se = "one"', "must be a finite number"),
        ("[[warning]]\ncode", "[[warning]]\nkode", "unknown key 'kode'"),
        ('schema = "evalkit.expect/1"', 'schema = "evalkit.expect/9"', "this evalkit reads 'evalkit.expect/1'"),
        ("[[value]]", "[[value]\n", "not valid TOML"),
    ],
)
def test_invalid_expectation_files_exit_2_naming_the_problem(demo, tmp_path, capsys, old, new, words) -> None:
    assert main(["check", str(demo), "--expect", changed(tmp_path, old, new)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evalkit: error: --expect") and words in err and "Traceback" not in err


def test_unreadable_or_invalid_results_exit_2(tmp_path, capsys) -> None:
    bad = tmp_path / "results.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["check", str(bad), "--expect", str(BUNDLED)]) == 2
    assert "not a JSON results document" in capsys.readouterr().err
    bad.write_text('{"schema": "evalkit.results/1"}', encoding="utf-8")
    assert main(["check", str(bad), "--expect", str(BUNDLED)]) == 2
    assert "'provenance' is a required property" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing.json"), "--expect", str(BUNDLED)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_assert_replicates_in_pytest(demo, document, tmp_path) -> None:
    assert assert_replicates(document, BUNDLED).passed
    assert assert_replicates(demo, str(BUNDLED)).passed
    with pytest.raises(AssertionError, match=r"1 failed:\nFAIL estimate FUI effect on education at 3 months"):
        assert_replicates(document, changed(tmp_path, "value = 0.0292", "value = 0.035"))
    with pytest.raises(ExpectationError, match="no expectations"):
        assert_replicates(document, {"study": "fui"})
    with pytest.raises(SchemaError):
        check_results({"schema": "x"}, BUNDLED)


def test_suppressed_values_fail_saying_why(document) -> None:
    doc = json.loads(json.dumps(document))
    row = next(r for r in doc["inference"] if r["method"] == "wild" and r["outcome"] == "employed")
    row.update(p_value=None, suppressed=["p_value"])
    report = check_results(doc, {"p_value": [{"table": "inference", "method": "wild", "outcome": "employed",
                                              "horizon": row["horizon"], "above": 0.05}]})
    assert not report.passed and "p_value is null (suppressed by disclosure control)" in report.summary()
