"""Start-up of the command line and lazy packages: what is imported, not how long it takes.

Each check runs in a fresh interpreter and reads ``sys.modules``; no timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from evalkit.lazy import lazy_module

ROOT = Path(__file__).resolve().parents[1]

#: Libraries the command line must not load before a command needs them.
NOT_AT_START = ["matplotlib", "scipy.stats", "docx", "openpyxl", "maketables", "great_tables", "statsmodels",
                "formulaic", "evalkit.replications.fui.run"]


def _loaded_after(code: str, watched: list[str] = NOT_AT_START, timeout: float = 120) -> list[str]:
    """The modules of ``watched`` that a fresh interpreter has loaded after running ``code``."""
    script = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        # import evalkit.cli, build every subcommand's parser, print the help of evalkit fui
        "from evalkit.cli import main\nmain(['fui', '--help'])",
        "from evalkit.outcomes import MONTHLY_STATES, outcomes_at_horizons",
    ],
    ids=["fui-help", "outcome-states"],
)
def test_start_up_loads_no_heavy_library(code) -> None:
    assert _loaded_after(code) == []


def test_the_published_fui_analysis_loads_no_event_study_code() -> None:
    """run_fui and the FUI writers import the event study and the triple difference (att_gt,
    scipy.stats, formulaic) and matplotlib only when those parts run or a figure is drawn."""
    code = ("import evalkit.replications.fui.report, evalkit.replications.fui.report_text\n"
            "import evalkit.replications.fui.results_json\nfrom evalkit.replications.fui import run_fui")
    assert _loaded_after(code) == ["evalkit.replications.fui.run"]


#: Code the published FUI analysis (``--no-few-clusters --no-event-study``) never runs.
NOT_IN_PUBLISHED = ["evalkit.replications.fui.inference", "evalkit.inference.wild_bootstrap",
                    "evalkit.inference.randomization", "evalkit.inference.stepdown", "evalkit.inference.conley_taber",
                    "evalkit.replications.fui.synthetic.generate"]


def test_reading_the_fui_study_loads_neither_the_analysis_nor_the_generator() -> None:
    """Study.from_toml checks the design against the sample's columns and the synthetic panel's horizons,
    without importing run_fui, the few-cluster tests or the synthetic panel's generator (scipy.special)."""
    watched = [*NOT_IN_PUBLISHED, "evalkit.replications.fui.run", "scipy.special"]
    assert _loaded_after("from evalkit.study import Study\nStudy.from_toml('fui')", watched) == []


def test_the_published_fui_analysis_loads_no_few_cluster_tests(tmp_path) -> None:
    """run_fui, its writers and the text report import the wild bootstrap, randomization inference and
    step-down corrections only when the few-cluster inference runs; nothing loads the generator."""
    from evalkit.replications.fui.synthetic import simulate_fui_panel

    sim = simulate_fui_panel(scale=0.05, seed=3)
    sim.panel.to_parquet(tmp_path / "panel.parquet")
    sim.unemployment.to_parquet(tmp_path / "unemployment.parquet")
    code = (
        "import contextlib, io\nfrom evalkit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['fui', '--data', {str(tmp_path / 'panel.parquet')!r}, '--unemployment', "
        f"{str(tmp_path / 'unemployment.parquet')!r}, '--quiet', '--no-few-clusters', '--no-event-study', "
        f"'--out', {str(tmp_path / 'out')!r}])"
    )
    assert _loaded_after(code, NOT_IN_PUBLISHED, timeout=600) == []
    assert (tmp_path / "out" / "results.json").exists()


def test_the_check_sees_a_heavy_import() -> None:
    assert _loaded_after("import evalkit.cli\nimport evalkit.outcomes.rates") == ["scipy.stats", "statsmodels"]


@pytest.fixture
def package(monkeypatch):
    """A throw-away package ``fake_pkg`` with a submodule ``fake_pkg.tool`` defining ``tool``."""
    pkg = types.ModuleType("fake_pkg")
    pkg.__path__ = []
    sub = types.ModuleType("fake_pkg.tool")
    sub.tool = lambda: "the function"
    sub.helper = 42
    monkeypatch.setitem(sys.modules, "fake_pkg", pkg)
    monkeypatch.setitem(sys.modules, "fake_pkg.tool", sub)
    getattr_, dir_ = lazy_module("fake_pkg", {"tool": "fake_pkg.tool", "helper": "fake_pkg.tool"})
    pkg.__getattr__, pkg.__dir__ = getattr_, dir_
    return pkg, sub


def test_lazy_module_loads_on_first_access_and_keeps_the_value(package) -> None:
    pkg, sub = package
    assert "helper" not in vars(pkg) and "helper" in dir(pkg) and "tool" in dir(pkg)
    assert pkg.helper == 42
    assert vars(pkg)["helper"] == 42  # later accesses are plain attributes
    with pytest.raises(AttributeError, match="module 'fake_pkg' has no attribute 'nothing'"):
        pkg.nothing  # noqa: B018


def test_a_function_spelled_like_its_submodule_stays_the_function(package) -> None:
    pkg, sub = package
    pkg.tool = sub  # what the import system does when fake_pkg.tool is imported
    assert pkg.tool() == "the function"
    pkg.other = sub  # a name not in the table is bound as usual
    assert pkg.other is sub


def test_packages_share_the_one_helper() -> None:
    script = (
        "import evalkit, evalkit.estimators, evalkit.outcomes, evalkit.planning, evalkit.report\n"
        "import evalkit.estimators.did2x2\n"
        "from evalkit.estimators import did2x2\n"
        "mods = [evalkit, evalkit.estimators, evalkit.outcomes, evalkit.planning, evalkit.report]\n"
        "print(all(m.__getattr__.__module__ == 'evalkit.lazy' for m in mods), callable(did2x2),\n"
        "      'evalkit.estimators.att_gt' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", "import sys\n" + script], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "False"]


def test_the_event_study_estimators_load_no_optimizer_or_formula_parser() -> None:
    """att_gt with listed covariates and HonestDiD's relative magnitudes (the FUI event
    study's) import scipy.optimize and formulaic only where an optimizer runs or a formula
    is parsed; a formula loads formulaic."""
    data = (
        "import warnings\nwarnings.simplefilter('ignore')\nimport numpy as np, pandas as pd\n"
        "from evalkit.estimators.att_gt import att_gt\n"
        "rng = np.random.default_rng(0)\n"
        "d = pd.DataFrame({'unit': np.repeat(np.arange(60), 8), 'time': np.tile(np.arange(1, 9), 60)})\n"
        "d['g'] = np.repeat(rng.choice([0, 5, 6], 60), 8)\n"
        "d['x'] = np.repeat(rng.integers(0, 2, 60), 8).astype(float)\n"
        "d['y'] = rng.normal(size=len(d)) + ((d['g'] > 0) & (d['time'] >= d['g']))\n"
    )
    listed = (
        "att_gt(d, y='y', time='time', group='g', unit='unit', covariates=['x'], panel=False)\n"
        "from evalkit.estimators.two_stage import two_stage_did\nfrom evalkit.sensitivity import honest_did\n"
        "staged = two_stage_did(d, y='y', time='time', group='g', unit='unit', ref=-1)\n"
        "honest_did(staged, method='relative_magnitudes', m=[0.5, 1.0], target='average')"
    )
    formula = "att_gt(d, y='y', time='time', group='g', unit='unit', covariates='~ x', panel=False)"
    assert _loaded_after(data + listed, ["scipy.optimize", "formulaic"]) == []
    assert _loaded_after(data + formula, ["formulaic"]) == ["formulaic"]
