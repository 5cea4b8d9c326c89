"""The console command runs BLAS on one thread unless the user chose a count; no timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from evalkit.command import THREAD_VARIABLES, blas_threads

ROOT = Path(__file__).resolve().parents[1]


def test_one_blas_thread_unless_the_user_chose_a_count():
    assert blas_threads({}) == {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert blas_threads({"OPENBLAS_NUM_THREADS": " "}) == {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for name in THREAD_VARIABLES:
        assert blas_threads({name: "4"}) == {}


def _blas_threads_of_the_command(extra: dict[str, str]) -> list[int]:
    """The thread counts of the BLAS libraries numpy and scipy load in a process that ran
    the command (``evalkit --version``) the way its console script does."""
    pytest.importorskip("threadpoolctl")
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES} | extra
    code = ("import sys\nsys.argv = ['evalkit', '--version']\nfrom evalkit.command import main\nmain()\n"
            "import json, numpy, scipy.linalg\nfrom threadpoolctl import threadpool_info\n"
            "print(json.dumps([i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_command_loads_blas_with_one_thread():
    threads = _blas_threads_of_the_command({})
    assert threads and set(threads) == {1}


def test_the_users_thread_count_is_kept():
    assert set(_blas_threads_of_the_command({"OPENBLAS_NUM_THREADS": "2"})) == {2}


def test_the_console_script_is_the_command():
    scripts = {e.name: e.value for e in metadata.entry_points(group="console_scripts") if e.name == "evalkit"}
    assert scripts == {"evalkit": "evalkit.command:main"}
