"""Jinja environments for the project's templates (APIM policies, the workbook), configured one way.

Delimiters are [[ ]], [% %] and [# #], so APIM's {{named-value}}, C# @(...) / @{...} expressions and
JSON or KQL braces pass through untouched; StrictUndefined makes a missing variable an error.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from types import TracebackType

from jinja2 import Environment, FileSystemLoader, StrictUndefined


def template_environment(directory: Path, *, autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
    )


def template_line(tb: TracebackType | None, filename: str | None) -> int | None:
    """The innermost line of `filename` in a traceback that Jinja rewrote to template lines."""
    lines = [line for frame, line in traceback.walk_tb(tb) if frame.f_code.co_filename == filename]
    return lines[-1] if lines else None
