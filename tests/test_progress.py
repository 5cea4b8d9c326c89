"""Stage messages and the tqdm progress bar: drawn on a (fake) terminal, silent otherwise."""

from __future__ import annotations

import io
import re

import pytest

from evalkit.progress import WIDTH, Progress, progress, silenced, stage


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def last_line(stream: io.StringIO) -> str:
    return stream.getvalue().rstrip("\n").rsplit("\r", 1)[-1]


def test_draws_count_share_and_bar_on_a_terminal() -> None:
    stream = FakeTTY()
    bar = Progress(100, "draws", stream=stream, delay=0.0)
    bar.update(40)
    bar.close()
    line = last_line(stream)
    assert line.startswith("draws:  40%") and "40/100" in line and "it/s" in line
    assert "█" in line and len(line) <= WIDTH
    assert stream.getvalue().endswith("\n") and bar.count == 40


def test_nothing_before_the_delay() -> None:
    stream = FakeTTY()
    bar = Progress(10, "cells", stream=stream, delay=5.0)
    bar.update(10)
    bar.close()
    assert stream.getvalue() == ""


def test_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    assert list(progress(range(5), "x", stream=stream, delay=0.0)) == [0, 1, 2, 3, 4]
    stage("fitting", stream=stream)
    assert stream.getvalue() == ""


@pytest.mark.parametrize("how", ["environment", "quiet"])
def test_silent_when_disabled(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = FakeTTY()
    if how == "environment":
        monkeypatch.setenv("EVALKIT_PROGRESS", "0")
        assert list(progress(range(3), "x", stream=stream, delay=0.0)) == [0, 1, 2]
        stage("fitting", stream=stream)
    else:
        with silenced():
            assert list(progress(range(3), "x", stream=stream, delay=0.0)) == [0, 1, 2]
            stage("fitting", stream=stream)
    assert stream.getvalue() == ""


def test_wrapper_counts_every_item_and_unknown_total_has_no_bar() -> None:
    stream = FakeTTY()
    out = list(progress(iter(range(4)), "sweeps", stream=stream, delay=0.0))
    assert out == [0, 1, 2, 3]
    line = last_line(stream)
    assert re.match(r"sweeps: 4it \[", line) and "%" not in line and "█" not in line


def test_stage_messages_on_a_terminal() -> None:
    stream = FakeTTY()
    stage("fitting 24 linear probability models", stream=stream)
    assert stream.getvalue() == "evalkit: fitting 24 linear probability models\n"


@pytest.mark.parametrize("quiet", [False, True])
def test_evalkit_fui_announces_its_stages_on_a_terminal_only(quiet: bool, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from evalkit.cli import main

    terminal = FakeTTY()
    monkeypatch.setattr("sys.stderr", terminal)
    args = ["fui", "--scale", "0.05", "--seed", "6", "--no-event-study", "--no-few-clusters", "--json"]
    assert main([*args, "-q"] if quiet else args) == 0
    capsys.readouterr()
    stages = [line for line in terminal.getvalue().splitlines() if line.startswith("evalkit: ")]
    if quiet:
        assert stages == []
    else:
        text = "\n".join(stages)
        for words in ("simulating", "finding new users and their outcomes", "fitting 24 linear probability models",
                      "placebo"):
            assert words in text
        assert all(len(line) <= WIDTH for line in stages)
