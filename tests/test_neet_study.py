"""The long-term NEET risk-factor analysis: reproduction of the note, recovery of a known truth, errors."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from evalkit.cli import main
from evalkit.errors import EvalkitError, StudyError
from evalkit.replications.neet import run_neet
from evalkit.replications.neet.logit import design, fit_logit, logit_sample
from evalkit.replications.neet.published import AREAS, TERMS, table_2
from evalkit.study import Study
from evalkit.replications.neet.synthetic import DEFAULT_SCALE, simulate_neet_population
from evalkit.replications.neet.variables import derive_variables


@pytest.fixture(scope="module")
def default_run():
    """The bundled study at the default scale (the Done criterion), with its runtime."""
    started = time.perf_counter()
    result = run_neet()
    return result, time.perf_counter() - started


@pytest.fixture(scope="module")
def small():
    return simulate_neet_population(scale=0.02, seed=11)


def test_default_scale_reproduces_table_2_within_two_published_se(default_run) -> None:
    result, seconds = default_run
    t2 = result.table_2
    published = table_2()
    tolerance = np.where(np.isclose(published["se"], 0.01), 0.05, 2 * published["se"])
    gap = (t2["estimate"] - published["coef"]).abs()
    assert (gap <= tolerance).all(), t2[["estimate", "published_coef", "difference"]]
    assert t2["within"].all()
    assert seconds < 120  # about 10 s on one free core


def test_default_scale_reproduces_tables_3_and_4_within_0_3_points(default_run) -> None:
    result, _ = default_run
    for table in (result.table_3, result.table_4):
        assert len(table) == 20 and table["published"].notna().all()
        assert (table["difference"].abs() <= 0.3).all(), table


def test_models_3_4_follow_the_text(default_run) -> None:
    other = default_run[0].other_models.set_index(["term", "model"])
    assert abs(other.loc[("dropout_1", "model_3"), "difference"]) < 0.03
    assert abs(other.loc[("tidlarb_1", "model_3"), "difference"]) < 0.03
    assert set(default_run[0].models) == {"model_1", "model_2", "model_3", "model_4"}
    assert "allhelse_1" not in default_run[0].models["model_3"].estimates.params


def test_hidden_seed_recovers_known_coefficients_within_3_se() -> None:
    truth = {
        "dropout_1": 0.8, "tidlarb_1": -0.6, "allhelse_1": 1.9, "sosbakgr_2": 0.2,
        "sosbakgr_3": 0.7, "grunnbelop_2": -0.5, "grunnbelop_3": -1.2, "innvandrerb_1": 0.7,
    }
    data = simulate_neet_population(scale=DEFAULT_SCALE, seed=918_273, coefficients=truth, noise="bernoulli")
    assert data.coefficients[list(TERMS)].to_dict() == pytest.approx(truth)
    result = run_neet(data=data, models=("model_1",))
    est = result.models["model_1"].estimates
    z = (est.params[list(TERMS)] - pd.Series(truth)) / est.std_errors[list(TERMS)]
    assert (z.abs() < 3).all(), z
    assert (z.abs() > 1e-3).any()  # bernoulli noise: not sitting exactly on the truth


def test_average_marginal_effects_are_average_discrete_changes(small) -> None:
    variables = derive_variables(small.monthly, small.persons)
    sample, _ = logit_sample(variables, AREAS)
    fit = fit_logit(sample, "model_1")
    b = fit.estimates.params
    X = design(sample, TERMS)
    for term in TERMS:
        on, off = X.assign(**{term: 1.0}), X.assign(**{term: 0.0})
        by_hand = np.mean(expit(on.to_numpy() @ b.to_numpy()) - expit(off.to_numpy() @ b.to_numpy()))
        assert fit.margins.loc[term, "ame"] == pytest.approx(by_hand, rel=1e-8)
    tidy = fit.tidy()
    assert np.allclose(tidy["odds_ratio"], np.exp(tidy["estimate"]), rtol=1e-12)
    assert list(tidy.columns[:8]) == ["model", "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


def test_long_term_status_comes_from_the_histories(small) -> None:
    variables = derive_variables(small.monthly, small.persons)
    ltn = variables["long_term_neet"].astype(bool)
    assert variables["long_term_neet"].notna().all()
    # a long-term NEET person is NEET at the reference month with income below 0.25 G
    assert variables.loc[ltn, "neet"].astype(bool).all()
    income = small.persons.set_index("person_id").loc[variables.loc[ltn, "person"], "income_g"]
    assert (income < 0.25).all()
    # some NEET with long spells are not long-term because of their income
    assert (variables["neet"].astype(bool) & ~ltn).any()


def test_synthetic_population_is_deterministic_by_seed() -> None:
    a = simulate_neet_population(scale=0.01, seed=5)
    b = simulate_neet_population(scale=0.01, seed=5)
    c = simulate_neet_population(scale=0.01, seed=6)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    pd.testing.assert_frame_equal(a.persons, b.persons)
    assert not a.persons.equals(c.persons)
    assert len(a.monthly) == 36 * len(a.persons)


def test_run_on_an_extract_with_other_column_names(small) -> None:
    monthly = small.monthly.rename(columns={"person_id": "lopenr", "employed": "arbeid"})
    persons = small.persons.rename(columns={"person_id": "lopenr", "county": "fylke"})
    columns = {"person": "lopenr", "employed": "arbeid", "area": "fylke"}
    result = run_neet(monthly, persons, columns=columns, models=("model_1",))
    reference = run_neet(data=small, models=("model_1",))
    pd.testing.assert_frame_equal(result.table_2, reference.table_2)
    assert result.source == "user data"
    monthly_before = monthly.copy()
    run_neet(monthly, persons, columns=columns, models=("model_1",))
    pd.testing.assert_frame_equal(monthly, monthly_before)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m, p: (m.drop(columns="in_programme"), p), r"monthly table lacks columns for roles in_programme \(column 'in_programme'\)"),
        (lambda m, p: (m, pd.concat([p, p.head(1)])), r"persons more than once in column 'person_id' \(e.g. \[1\]\)"),
        (lambda m, p: (m, p.iloc[1:]), r"1 persons of the monthly table are not in the persons table"),
        (lambda m, p: (m, p.assign(parents_education=p["parents_education"].replace(3, 4))), r"values outside 1, 2, 3"),
        (lambda m, p: (m, p.assign(female=2)), r"column 'female' of the persons table has \d+ of \d+ rows that are not 0/1"),
        (lambda m, p: (m.assign(employed=m["employed"].replace(1, 7)), p), r"activity column 'employed' has \d+ of"),
    ],
)
def test_bad_extracts_get_clear_errors(small, change, message) -> None:
    monthly, persons = change(small.monthly, small.persons)
    with pytest.raises(EvalkitError, match=message):
        run_neet(monthly, persons, models=("model_1",))


def test_bad_arguments() -> None:
    with pytest.raises(EvalkitError, match="give both monthly and persons"):
        run_neet(pd.DataFrame())
    with pytest.raises(EvalkitError, match=r"unknown models \['model_9'\]"):
        run_neet(models=("model_9",))
    with pytest.raises(EvalkitError, match=r"unknown column roles \['persn'\]"):
        derive_variables(pd.DataFrame(), pd.DataFrame(), columns={"persn": "id"})
    with pytest.raises(EvalkitError, match="coefficients has unknown terms"):
        simulate_neet_population(scale=0.01, coefficients={"dropout": 1.0})
    with pytest.raises(EvalkitError, match="scale must be a positive number"):
        simulate_neet_population(scale=-1)
    with pytest.raises(EvalkitError, match="noise must be"):
        simulate_neet_population(scale=0.01, noise="poisson")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"synthetc": {}}, r"unknown table 'synthetc'"),
        ({"data": {"synthetic": {"scale": "big"}}}, r"\[data.synthetic\] scale: expected a number, got 'big'"),
        ({"data": {"synthetic": {"scale": 0.001}}}, r"scale: expected a number of at least 0.005"),
        ({"definitions": {"min_month": 24}}, r"unknown key 'min_month'. Did you mean 'min_months'\?"),
        ({"definitions": {"reference_month": "soon"}}, r"\[definitions\] reference_month: cannot read 'soon' as a month"),
        ({"models": {"fit": ["model_5"]}}, r"\[models\] fit item 1: expected one of \['model_1'"),
        ({"data": {"monthly": "m.csv"}}, r"\[data\] monthly and .*\[data\] persons: give both"),
        ({"columns": {"persn": "id"}}, r"\[columns\] persn: unknown name 'persn'.*Did you mean 'person'\?"),
    ],
)
def test_bad_study_files(doc, message) -> None:
    with pytest.raises(StudyError, match=message):
        Study.from_dict({"kind": "neet_risk_factors", **doc}, source="s.toml")


def test_bundled_study_is_the_default_analysis() -> None:
    study = Study.from_toml("neet")
    assert study.get("data.synthetic.scale") == DEFAULT_SCALE
    assert tuple(study.get("population.areas")) == AREAS
    result = study.set("data.synthetic.scale", 0.02).set("models.fit", "model_1").run()
    assert list(result.models) == ["model_1"] and result.table_2["within"].all()


def test_cli_run_neet_equals_evalkit_neet(capsys, tmp_path) -> None:
    assert main(["run", "neet", "--set", "data.synthetic.scale=0.02", "--quiet"]) == 0
    run_out = capsys.readouterr().out
    assert main(["neet", "--scale", "0.02", "--quiet"]) == 0
    neet_out = capsys.readouterr().out
    assert run_out == neet_out
    assert "Table 2: logit of long-term NEET" in neet_out and "published_coef" in neet_out and "Table 4" in neet_out
    too_wide = [line for line in neet_out.splitlines() if len(line) > 100]
    assert not too_wide, too_wide  # the terminal output fits 100 columns
    assert "long-term NEET, immigrants" in neet_out and "[" in neet_out  # ours [published] cells
    assert main(["neet", "--scale", "0.02", "--quiet", "--json", "--out", str(tmp_path / "out")]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["study"] == "neet_risk_factors" and len(document["tables"]["table_3"]) == 20
    assert (tmp_path / "out" / "table_2.csv").is_file() and (tmp_path / "out" / "results.json").is_file()


def test_cli_neet_errors(capsys, tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('kind = "neet_risk_factors"\n[synthetic]\nscal = 1\n', encoding="utf-8")
    assert main(["neet", "--study", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown table 'synthetic'" in err and "Traceback" not in err
    assert main(["neet", "--monthly", str(bad)]) == 2
    assert "give both --monthly and --persons" in capsys.readouterr().err
    assert main(["neet", "--study", "fui"]) == 2
    assert "is not a NEET study" in capsys.readouterr().err


def test_result_is_read_only(small) -> None:
    result = run_neet(data=small, models=("model_1",))
    table = result.table_2
    table["estimate"] = 99.0
    assert (result.table_2["estimate"] != 99.0).all()
    with pytest.raises(TypeError):
        result.models["model_9"] = result.models["model_1"]  # type: ignore[index]
    assert "persons in the logit sample" in repr(result)


# --- expectations: `evalkit check` and assert_replicates on NEET results ---------------------


def test_the_bundled_neet_expectations_hold_and_fail_when_a_number_moves(default_run, tmp_path, capsys) -> None:
    from importlib import resources

    from evalkit.report.json_contract import validate
    from evalkit.testing import assert_replicates

    expect = resources.files("evalkit.replications.neet").joinpath("expect.toml")
    result, _ = default_run
    document = json.loads(json.dumps(Study.from_toml("neet").results_document(result)))
    validate(document)
    assert document["provenance"]["disclosure"]["min_cell"] == 5
    report = assert_replicates(result, expect)
    assert report.passed and len(report.results) == 48
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["check", str(path), "--expect", str(expect)]) == 0
    capsys.readouterr()
    # one share of table 3 moved by 0.5 points, one coefficient of table 2 by 0.1
    cell = next(r for r in document["tables"]["table_3"] if r["area"] == "Oslo" and r["measure"] == "neet")
    cell["estimate"] = cell["published"] + 0.5
    row = next(r for r in document["tables"]["table_2"] if r["term"] == "dropout_1")
    row["estimate"] = row["published_coef"] - 0.1
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["check", str(path), "--expect", str(expect)]) == 1
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "2 failed" in shown and "table 3, Oslo: neet" in shown and "dropout_1" in shown
    with pytest.raises(AssertionError, match="Oslo: neet"):
        assert_replicates(document, expect)


# --- disclosure control of the NEET tables ------------------------------------------------


def test_a_small_neet_cell_and_its_pair_are_suppressed_at_the_default_rule() -> None:
    from evalkit.replications.neet.disclosed import shares
    from evalkit.report.disclosure import DisclosureControl

    cells = pd.DataFrame({
        "area": ["Oslo"] * 4,
        "measure": ["neet", "neet_immigrants", "neet_rest_of_population", "long_term_neet"],
        "count": [40, 3, 37, 12], "persons": [400, 30, 370, 400],
    })
    table = cells.assign(estimate=100 * cells["count"] / cells["persons"], published=10.0, difference=0.1, within=True)
    _, mask = shares(table, cells, DisclosureControl())
    hidden = dict(zip(table["measure"], mask["estimate"]))
    # 3 immigrants NEET: hidden; the rest of the population too (NEET minus it would give the 3)
    assert hidden == {"neet": False, "neet_immigrants": True, "neet_rest_of_population": True, "long_term_neet": False}
    assert mask.loc[1, "count"] and not mask.loc[1, "persons"]
    _, mask = shares(table, cells, DisclosureControl.off())
    assert not mask.to_numpy().any()


def test_neet_tables_go_through_the_disclosure_rule_in_every_output(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    # a minimum cell of 200 makes the immigrants of each area a small cell at this scale
    args = ["-q", "run", "neet", "--set", "data.synthetic.scale=0.02", "--min-cell", "200"]
    assert main([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "<200" in text and "Disclosure control: counts of 1 to 199" in text
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["provenance"]["disclosure"]["min_cell"] == 200
    rows = {(r["area"], r["measure"]): r for r in doc["tables"]["table_4"]}
    small = rows[("Oslo", "long_term_neet_immigrants")]
    assert small["estimate"] is None and small["count"] is None and "estimate" in small["suppressed"]
    assert rows[("Oslo", "long_term_neet_rest_of_population")]["estimate"] is None  # its pair
    assert rows[("Norway", "neet_immigrants")]["estimate"] is not None  # a large cell is shown
    csv = pd.read_csv(out / "table_4.csv").set_index(["area", "measure"])
    assert csv.at[("Oslo", "long_term_neet_immigrants"), "estimate"] == "<200"
    assert "<200" in (out / "summary.txt").read_text(encoding="utf-8")
