"""The one rule for randomness: an explicit generator or seed, never silent OS entropy.

Every function that draws (bootstrap, random permutations) takes
``rng: numpy.random.Generator | int | None`` and passes it through :func:`as_generator`:

* a ``numpy.random.Generator`` is used as it is (its state advances);
* an ``int`` seed ``>= 0`` gives ``numpy.random.default_rng(seed)``;
* ``None`` gives ``numpy.random.default_rng(DEFAULT_SEED)``: results are reproducible
  run to run.  Pass another seed (or generator) to see how much the draws matter.
"""

from __future__ import annotations

import numbers

import numpy as np

from evalkit.errors import EvalkitError

__all__ = ["DEFAULT_SEED", "RNG", "as_generator"]

#: Seed used when ``rng=None``.
DEFAULT_SEED = 20240601

RNG = np.random.Generator | int | None


def as_generator(rng: RNG) -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``rng`` by the rule in the module docstring.

    Raises
    ------
    EvalkitError
        For a negative or non-integer seed, a bool or any other type.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(DEFAULT_SEED)
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        raise EvalkitError(
            f"rng must be a numpy.random.Generator or a non-negative integer seed, got {rng!r} "
            "(e.g. rng=42 or rng=numpy.random.default_rng(42))"
        )
    if rng < 0:
        raise EvalkitError(f"rng seed must be a non-negative integer, got {rng}")
    return np.random.default_rng(int(rng))
