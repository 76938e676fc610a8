"""Bridge from the offline plan to the policy pack's offline runner (empty until the pack lands)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def evaluate_policies(resources: list[Mapping[str, Any]], stack: str) -> dict[str, Any]:
    return {"stack": stack, "policyPack": "aoai-gateway", "rules": [], "summary": {"mandatoryViolations": 0, "advisoryViolations": 0}}


def has_mandatory_violation(report: Mapping[str, Any]) -> bool:
    return bool(report.get("summary", {}).get("mandatoryViolations"))
