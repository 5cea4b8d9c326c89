"""The progress bar: drawn on a (fake) terminal after the delay, silent otherwise."""

from __future__ import annotations

import io

import pytest

from evalkit.progress import Progress, progress


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_draws_counts_rate_and_eta_on_a_terminal() -> None:
    stream, clock = FakeTTY(), Clock()
    bar = Progress(100, "draws", stream=stream, delay=1.0, clock=clock)
    clock.now = 2.0
    bar.update(40)
    bar.close()
    text = stream.getvalue()
    assert "draws  40/100   40%  [########............]  20.0/s  eta 3 s" in text
    assert text.startswith("\r") and text.endswith("\n")


def test_nothing_before_the_delay() -> None:
    stream, clock = FakeTTY(), Clock()
    bar = Progress(10, "cells", stream=stream, delay=5.0, clock=clock)
    clock.now = 1.0
    bar.update(10)
    bar.close()
    assert stream.getvalue() == ""


def test_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    assert list(progress(range(5), "x", stream=stream, delay=0.0)) == [0, 1, 2, 3, 4]
    assert stream.getvalue() == ""


def test_silent_when_disabled_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALKIT_PROGRESS", "0")
    stream = FakeTTY()
    assert list(progress(range(3), "x", stream=stream, delay=0.0)) == [0, 1, 2]
    assert stream.getvalue() == ""


def test_wrapper_counts_every_item_and_unknown_total_has_no_bar() -> None:
    stream = FakeTTY()
    out = list(progress(iter(range(4)), "sweeps", stream=stream, delay=0.0))
    assert out == [0, 1, 2, 3]
    last = stream.getvalue().rsplit("\r", 1)[-1]
    assert last.startswith("sweeps  4  ") and "%" not in last and "#" not in last
