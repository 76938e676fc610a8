"""`make docs`: regenerates the README's generated sections (config reference, policy rules, architecture).

Each section sits between `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`; the
tests fail when the README differs from what this writes, so documentation cannot drift.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from components.config import PROJECT, PROJECT_DIR, Settings, iter_fields

README = PROJECT_DIR / "README.md"


def config_reference() -> str:
    """One row per setting, from the dataclasses in components/config.py (the single source)."""
    rows = [
        "| Key | Type | Default | Description |",
        "|---|---|---|---|",
    ]
    for key, type_name, default, field in iter_fields(Settings):
        meta = field.metadata
        notes = []
        if meta.get("choices"):
            notes.append("one of " + ", ".join(f"`{c}`" for c in meta["choices"]))
        if meta.get("minimum") is not None or meta.get("maximum") is not None:
            notes.append(f"range {_num(meta.get('minimum'))}..{_num(meta.get('maximum'))}")
        description = meta["description"] + (f" ({'; '.join(notes)})" if notes else "")
        rows.append(f"| `{PROJECT}:{key}` | {type_name} | {_default(default)} | {description.replace('|', '/')} |")
    return "\n".join(rows)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _default(value: Any) -> str:
    if value is dataclasses.MISSING:
        return "required"
    if value is None:
        return "none"
    if hasattr(value, "__dataclass_fields__"):
        return "see fields"
    text = json.dumps(list(value) if isinstance(value, tuple) else value)
    return f"`{text}`"


def policy_rules() -> str:
    from policies.readme_table import render_rules_table

    return render_rules_table().strip()


def architecture(resources: Sequence[Mapping[str, Any]] | None = None) -> str:
    from offline.artefacts import architecture_markdown
    from offline.engine import run_program

    diagram = architecture_markdown("prod", resources if resources is not None else run_program("prod").resources())
    return diagram[diagram.index("```mermaid") :].strip()


SECTIONS: dict[str, Callable[[], str]] = {
    "config-reference": config_reference,
    "policy-rules": policy_rules,
    "architecture": architecture,
}


def render(text: str, sections: Mapping[str, str]) -> str:
    """Replaces each generated section's body; a missing marker is an error, not a silent skip."""
    for name, body in sections.items():
        begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"README.md: markers for the generated section '{name}' are missing")
        text = pattern.sub(_literal(f"{begin}\n{body}\n{end}"), text)
    return text


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement re.sub takes verbatim (a string replacement would interpret backslashes)."""
    return lambda _match: text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    updated = render(current, {name: build() for name, build in SECTIONS.items()})
    if args.check:
        if updated != current:
            print("README.md is out of date: run `make docs`", file=sys.stderr)
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
