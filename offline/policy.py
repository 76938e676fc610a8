"""Bridge from the offline plan to the policy pack's offline runner (policies/offline.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.offline import evaluate, has_mandatory_violation

__all__ = ["evaluate_policies", "has_mandatory_violation"]


def evaluate_policies(resources: Sequence[Mapping[str, Any]], stack: str) -> dict[str, Any]:
    """Every rule of the pack on the plan's resources, with policies/config/<stack>.json."""
    return evaluate([dict(r) for r in resources], stack=stack)
