"""The README's rules table, generated from the rule definitions so it cannot drift (see tools/docs.py)."""

from __future__ import annotations

from .rules.catalogue import RULES, Rule

# Environments, as policies/config/<environment>.json names them.
STACKS = ("prod", "test", "dev")


def _enforcement(rule: Rule) -> str:
    levels = {stack: rule.enforcement_for(stack).value for stack in STACKS}
    if len(set(levels.values())) == 1:
        return levels[STACKS[0]]
    return "; ".join(f"{stack}: {level}" for stack, level in levels.items())


def render_rules_table() -> str:
    """Markdown table: one row per rule, grouped by concern."""
    lines = [
        "| Concern | Rule | Resource types | Severity | Enforcement | Source IDs |",
        "|---|---|---|---|---|---|",
    ]
    for rule in sorted(RULES, key=lambda rule: (rule.concern, rule.name)):
        types = ", ".join(f"`{t.removeprefix('azure-native:')}`" for t in rule.resource_types)
        kind = " (stack rule)" if rule.stack_rule else ""
        sources = "<br>".join(rule.sources).replace("|", "\\|") or "—"
        lines.append(
            f"| {rule.concern} | `{rule.name}`{kind} | {types} | {rule.severity.value} | "
            f"{_enforcement(rule)} | {sources} |"
        )
    return "\n".join(lines) + "\n"
