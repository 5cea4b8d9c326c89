"""Terminal output of ``evalkit fui``: every line fits 100 columns, p-values read ``< 0.001``."""

from __future__ import annotations

from evalkit.cli import main
from evalkit.report.text import WIDTH, format_p, paragraph, table


def test_every_line_of_the_terminal_output_fits_100_columns(capsys) -> None:
    assert main(["fui", "--scale", "0.1", "--seed", "7", "--n-boot", "99"]) == 0
    out = capsys.readouterr().out
    long = [line for line in out.splitlines() if len(line) > WIDTH]
    assert WIDTH == 100 and not long, "\n".join(long)
    for section in ("Table 8.1", "Table 8.2", "Table 8.3", "Inference with few treated counties", "Event study",
                    "Pre-trend tests", "Sensitivity", "Placebo", "Design diagnostics", "Disclosure control"):
        assert section in out
    assert "0.0000" not in out


def test_p_values_below_the_last_digit_read_less_than() -> None:
    assert format_p(0.00002) == "< 0.001" and format_p(0.0421) == "0.042" and format_p(float("nan")) == ""
    assert format_p(0.0) == "< 0.001" and format_p(1.0) == "1.000"


def test_wide_tables_and_long_prose_wrap() -> None:
    import pandas as pd

    frame = pd.DataFrame({f"horizon {h}": ["-0.123 (0.045)***"] * 3 for h in range(12)})
    lines = table(frame).splitlines()
    assert max(map(len, lines)) <= WIDTH and len(lines) > 4
    text = paragraph("word " * 80)
    assert max(map(len, text.splitlines())) <= WIDTH
