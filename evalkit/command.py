"""The ``evalkit`` console command: the process's thread settings, then :func:`evalkit.cli.main`.

The command's heavy passes over the data run in DuckDB, which has its own threads; what is
left for the BLAS library are many small products and factorisations (the 2x2 models of a
few tens of thousands of entrants, cluster moments, bootstrap and randomization draws).
For those a second BLAS thread mostly waits (on two cores the whole FUI run took 8-11 CPU
seconds with two BLAS threads and 6.4-7.2 with one, about the same wall time on an idle
machine and up to 1.5 times more on a busy one).  So the command runs BLAS on one thread, unless the user
chose a thread count in the environment.  The
setting must precede the first import of numpy (the BLAS library reads it when loaded),
which is why it lives here and not in :mod:`evalkit.cli`; code that imports evalkit keeps
the library's default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

#: Variables through which a user chooses BLAS threads (OpenBLAS, MKL, BLIS, OpenMP builds).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "OMP_NUM_THREADS")


def blas_threads(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables to set for one BLAS thread: none when ``environ`` names a thread count."""
    if any(environ.get(name, "").strip() for name in THREAD_VARIABLES):
        return {}
    return {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def main(environ: MutableMapping[str, str] = os.environ) -> int:
    """Set the BLAS threads of the process (:func:`blas_threads`), then run the command line."""
    environ.update(blas_threads(environ))
    from evalkit.cli import main as command_line

    return command_line()
