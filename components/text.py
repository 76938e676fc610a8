"""Text shown to people in one-line reports and errors: flattened to one line, clipped to a width.

Dependency-free, so the smoke test imports it without the program's packages."""


def one_line(text: str) -> str:
    """`text` with every run of whitespace, newlines included, as one space."""
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the cut marked with "..."."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
