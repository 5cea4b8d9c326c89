"""Stage messages and progress bars of long runs, on stderr when it is a terminal.

    for draw in progress(range(n_boot), "bootstrap draws"):
        ...

draws a `tqdm <https://tqdm.github.io>`_ bar (count, percentage, rate, time left, at most
100 columns) once the loop has run for ``delay`` seconds (short loops print nothing).
Long runs also announce their stages: ``stage("fitting the published models")`` writes
``evalkit: fitting the published models`` (above a bar that is being drawn), so that a
run of many minutes never shows a blank screen.

Both are written only when the stream is a terminal: piped or redirected output, CI logs
and captured streams stay clean.  Nothing is written inside ``with silenced():`` (the
command line's ``--quiet``) or when the environment variable ``EVALKIT_PROGRESS`` is ``0``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import TextIO, TypeVar

__all__ = ["Progress", "progress", "silenced", "stage"]

T = TypeVar("T")
#: Widest line a bar draws (terminal output fits 100 columns).
WIDTH = 100
_silenced = 0


def enabled(stream: TextIO) -> bool:
    """Whether progress is shown on ``stream``: a terminal, not silenced, ``EVALKIT_PROGRESS`` not ``0``."""
    if _silenced or os.environ.get("EVALKIT_PROGRESS", "1").strip() == "0":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """Counts units of work on a tqdm bar (see the module docstring).

    Parameters
    ----------
    total
        Number of units expected (``None`` when unknown: a count and rate, no bar).
    label
        What is counted, e.g. ``"bootstrap draws"``.
    stream
        Where to write (default ``sys.stderr``); nothing is drawn unless it is a terminal.
    delay
        Seconds before the bar first appears.
    """

    def __init__(self, total: int | None, label: str, *, stream: TextIO | None = None, delay: float = 2.0) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.active = enabled(self.stream)
        self._done = 0
        self._bar = None
        if self.active:  # tqdm (and the multiprocessing it loads) only where a bar can be drawn
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, file=self.stream, delay=delay, ncols=WIDTH, mininterval=0.1,
                             leave=True, ascii=False)

    @property
    def count(self) -> int:
        """Units of work recorded so far."""
        return self._done if self._bar is None else int(self._bar.n)

    def update(self, k: int = 1) -> None:
        """Record ``k`` more units of work done."""
        if self._bar is None:
            self._done += k
        else:
            self._bar.update(k)

    def close(self) -> None:
        """Draw the final state and end the line (only if the bar was drawn)."""
        if self._bar is not None:
            self._bar.close()


def progress(items: Iterable[T], label: str, *, total: int | None = None, stream: TextIO | None = None,
             delay: float = 2.0) -> Iterator[T]:
    """Iterate over ``items`` while showing a :class:`Progress` bar (``total`` from ``len``)."""
    if total is None and isinstance(items, Sized):
        total = len(items)
    bar = Progress(total, label, stream=stream, delay=delay)
    try:
        for item in items:
            yield item
            bar.update()
    finally:
        bar.close()


@contextmanager
def silenced() -> Iterator[None]:
    """Within this block no progress bar or stage message is written (``--quiet``)."""
    global _silenced
    _silenced += 1
    try:
        yield
    finally:
        _silenced -= 1


def stage(message: str, *, stream: TextIO | None = None) -> None:
    """Announce a stage of a long run: ``evalkit: <message>`` on stderr when it is a terminal.

    Written above a bar being drawn (``tqdm.write``); silent when the stream is not a
    terminal, inside :func:`silenced` and when ``EVALKIT_PROGRESS`` is ``0``.
    """
    out = sys.stderr if stream is None else stream
    if not enabled(out):
        return
    from tqdm import tqdm

    tqdm.write(f"evalkit: {message}", file=out)
