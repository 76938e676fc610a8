"""components.text: the one-line form and the clipped form of text shown in reports and errors."""

from __future__ import annotations

from components.text import clip, one_line


def test_one_line_joins_every_run_of_whitespace_with_one_space() -> None:
    assert one_line("  fix:\n\tset  it\r\nto true ") == "fix: set it to true"


def test_clip_keeps_text_that_fits_and_marks_a_cut_within_the_limit() -> None:
    assert clip("x" * 10, 10) == "x" * 10
    assert clip("x" * 11, 10) == "xxxxxxx..."
