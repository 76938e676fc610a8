"""The rule catalogue: every rule of the pack by name, and the pulumi-policy objects built from them."""

from __future__ import annotations

from pulumi_policy import Policy

from . import apim_gateway, identity_secrets, monitoring, network_exposure, openai, tagging_naming
from ._model import Rule

RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            rule
            for concern in (apim_gateway, identity_secrets, monitoring, network_exposure, openai, tagging_naming)
            for rule in concern.CONCERN.rules
        ),
        key=lambda rule: rule.name,
    )
)
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}

if len(RULES_BY_NAME) != len(RULES):
    raise RuntimeError("two rules share a name; rule names must be unique within the pack")


def build_policies() -> list[Policy]:
    """The pulumi-policy objects for every rule, in catalogue order."""
    return [rule.to_policy() for rule in RULES]


__all__ = ["RULES", "RULES_BY_NAME", "Rule", "build_policies"]
