"""The event study's tails come from scipy.special, bit for bit those of scipy.stats.

att_gt's pre-test (chi-square), imputation's pre-trend test (F), HonestDiD (normal) and
the FLCI's critical value (noncentral chi-square) use :mod:`evalkit.results.distributions`,
so the FUI event study runs without importing :mod:`scipy.stats`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from evalkit.results.distributions import chi2_survival, f_survival, ncx2_quantile, upper_quantile
from evalkit.sensitivity.flci import cv_alpha

X = np.array([-np.inf, -1.0, -1e-300, 0.0, 1e-9, 0.5, 1.96, 3.84, 38.5, 1e3, np.inf, np.nan])


@pytest.mark.parametrize("df", [1, 2, 3, 7, 20, 2.5, 150])
def test_chi2_survival_is_that_of_scipy_stats(df):
    np.testing.assert_array_equal(chi2_survival(X, df), stats.chi2.sf(X, df))


@pytest.mark.parametrize(("df_num", "df_denom"), [(1, 5), (3, 17), (7, 1000), (2, 1e6), (2.5, 30.5)])
def test_f_survival_is_that_of_scipy_stats(df_num, df_denom):
    np.testing.assert_array_equal(f_survival(X, df_num, df_denom), stats.f.sf(X, df_num, df_denom))


def test_upper_quantile_and_noncentral_quantile_are_those_of_scipy_stats():
    p = np.array([1e-12, 0.0025, 0.005, 0.025, 0.05, 0.1, 0.5, 0.95, 1 - 1e-12])
    np.testing.assert_array_equal(upper_quantile(p), stats.norm.isf(p))
    for t in (1e-6, 0.3, 1.0, 2.5, 7.9):
        for alpha in (0.01, 0.05, 0.1):
            assert ncx2_quantile(1 - alpha, 1, t * t) == stats.ncx2.ppf(1 - alpha, df=1, nc=t * t)


@pytest.mark.parametrize("t", [0.0, 1e-13, 0.4, 3.0, 7.99, 8.01, 12.0])
def test_flci_critical_value_unchanged(t):
    alpha = 0.05
    if t < 1e-12:
        expected = stats.norm.isf(alpha / 2)
    elif t > 8.0:
        expected = t + stats.norm.isf(alpha)
    else:
        expected = np.sqrt(stats.ncx2.ppf(1 - alpha, df=1, nc=t * t))
    assert cv_alpha(t, alpha) == float(expected)


def test_the_event_study_code_does_not_import_scipy_stats():
    code = ("import sys, json\nimport evalkit.replications.fui.event_study, evalkit.estimators.two_stage\n"
            "import evalkit.sensitivity\nprint(json.dumps('scipy.stats' in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) is False
