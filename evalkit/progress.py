"""A dependency-free progress bar for long loops (bootstrap draws, per-cell loops, sweeps).

    for draw in progress(range(n_boot), "bootstrap draws"):
        ...

writes ``bootstrap draws  412/999  41%  [########..........]  83.1/s  eta 7 s`` to stderr,
redrawn in place at most ten times a second and only once the loop has run for
``delay`` seconds (short loops print nothing).  It is silent when the stream is not a
terminal (logs, CI, notebooks' captured stderr) and when the environment variable
``EVALKIT_PROGRESS`` is ``0``.

Long runs also announce their stages (``stage("fitting the published models")`` writes
``evalkit: fitting the published models`` to stderr, terminal or not), so that a run of
many minutes never shows a blank screen.  Inside ``with silenced():`` (the command line's
``--quiet``) neither bars nor stages are written.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import TextIO, TypeVar

__all__ = ["Progress", "progress", "silenced", "stage"]

T = TypeVar("T")
_WIDTH = 20
_silenced = 0


def enabled(stream: TextIO) -> bool:
    """Whether progress is shown on ``stream``: a terminal, and ``EVALKIT_PROGRESS`` not ``0``."""
    if _silenced or os.environ.get("EVALKIT_PROGRESS", "1").strip() == "0":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """Counts units of work and redraws one status line (see the module docstring).

    Parameters
    ----------
    total
        Number of units expected (``None`` when unknown: no percentage or bar).
    label
        What is counted, e.g. ``"bootstrap draws"``.
    stream
        Where to write (default ``sys.stderr``).
    delay
        Seconds before the first line is drawn.
    clock
        Time source (seconds); replaceable in tests.
    """

    def __init__(self, total: int | None, label: str, *, stream: TextIO | None = None, delay: float = 2.0,
                 clock: "callable[[], float] | None" = None) -> None:  # type: ignore[valid-type]
        self.total, self.label = total, label
        self.stream = sys.stderr if stream is None else stream
        self.clock = time.monotonic if clock is None else clock
        self.delay, self.count = delay, 0
        self.active = enabled(self.stream)
        self.start = self.clock()
        self._last_draw = -1.0
        self._drawn = False

    def update(self, k: int = 1) -> None:
        """Record ``k`` more units of work done."""
        self.count += k
        if not self.active:
            return
        now = self.clock()
        if now - self.start >= self.delay and now - self._last_draw >= 0.1:
            self._draw(now)

    def line(self, now: float) -> str:
        """The status line at time ``now``."""
        elapsed = max(now - self.start, 1e-9)
        rate = self.count / elapsed
        parts = [self.label]
        if self.total:
            share = min(self.count / self.total, 1.0)
            filled = int(round(share * _WIDTH))
            parts += [f"{self.count}/{self.total}", f"{share:4.0%}", "[" + "#" * filled + "." * (_WIDTH - filled) + "]"]
        else:
            parts.append(str(self.count))
        parts.append(f"{rate:.1f}/s")
        if self.total and rate > 0 and self.count < self.total:
            parts.append(f"eta {(self.total - self.count) / rate:.0f} s")
        return "  ".join(parts)

    def _draw(self, now: float) -> None:
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()
        self._last_draw, self._drawn = now, True

    def close(self) -> None:
        """Draw the final line and end it (only if anything was drawn)."""
        if self.active and self._drawn:
            self._draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()


def progress(items: Iterable[T], label: str, *, total: int | None = None, stream: TextIO | None = None,
             delay: float = 2.0) -> Iterator[T]:
    """Iterate over ``items`` while showing a :class:`Progress` line (``total`` from ``len``)."""
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
    """Announce a stage of a long run on stderr: ``evalkit: <message>``.

    Written whether or not the stream is a terminal (a log of a long run shows where it
    is); silent inside :func:`silenced` and when ``EVALKIT_PROGRESS`` is ``0``.
    """
    if _silenced or os.environ.get("EVALKIT_PROGRESS", "1").strip() == "0":
        return
    out = sys.stderr if stream is None else stream
    out.write(f"evalkit: {message}\n")
    out.flush()
