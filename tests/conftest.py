"""Shared fixtures: stack config values, and the program run under the mock engine (cached per config)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from components.settings import PROJECT
from offline.engine import PlanResult, run_program, stack_config

_CACHE: dict[str, PlanResult] = {}


def with_overrides(stack: str, **overrides: Any) -> dict[str, Any]:
    """The stack's config with top-level keys replaced or, for dict values, deep-merged."""
    values = copy.deepcopy(stack_config(stack))
    for key, value in overrides.items():
        full = f"{PROJECT}:{key}"
        if isinstance(value, Mapping) and isinstance(values.get(full), Mapping):
            values[full] = _merge(values[full], value)
        else:
            values[full] = value
    return values


def _merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def plan_for(stack: str, config: Mapping[str, Any] | None = None) -> PlanResult:
    key = stack + json.dumps(config, sort_keys=True, default=str)
    if key not in _CACHE:
        _CACHE[key] = run_program(stack, config)
    return _CACHE[key]


@pytest.fixture(scope="session")
def dev_plan() -> PlanResult:
    return plan_for("dev")


@pytest.fixture(scope="session")
def prod_plan() -> PlanResult:
    return plan_for("prod")


@pytest.fixture
def plan() -> Callable[..., PlanResult]:
    return plan_for


def of_type(result: PlanResult, type_suffix: str) -> list[dict[str, Any]]:
    """Resources whose type token ends with `type_suffix` (e.g. "apimanagement:Backend")."""
    return [r for r in result.resources() if r["type"].endswith(type_suffix)]
