"""Fixtures shared by the policy-pack tests: the hand-written plans and a rule-result lookup."""

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def hardened_resources():
    return json.loads((FIXTURES / "hardened_resources.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def weakened_resources():
    return json.loads((FIXTURES / "weakened_resources.json").read_text(encoding="utf-8"))


@pytest.fixture
def rule_result():
    """rule_result(report, name) -> that rule's entry in an offline report."""

    def find(report, name):
        matches = [entry for entry in report["rules"] if entry["name"] == name]
        assert matches, f"rule {name!r} is missing from the report"
        return matches[0]

    return find
