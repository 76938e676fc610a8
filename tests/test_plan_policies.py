"""The offline plan and the policy pack together: clean stacks pass, a weakened stack fails the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline import __main__ as plan_cli
from offline.engine import PlanResult
from policies.offline import evaluate, has_mandatory_violation
from tests.conftest import plan_for, with_overrides
from tools import docs

PACK_CONFIG = Path(__file__).resolve().parents[1] / "policies" / "config"

WEAKENED = {
    "authMode": "apiKey",
    "apim": {"sku": "Premium", "capacity": 1, "virtualNetworkType": "External", "zoneRedundant": False},
    "edge": {"wafMode": "Detection"},
    "network": {"publicEndpoints": True, "unsafeAllowPublicAccessInProd": True},
}


def violated(report: dict) -> set[str]:
    return {rule["name"] for rule in report["rules"] if rule["violations"] and rule["enforcementLevel"] == "mandatory"}


@pytest.mark.parametrize("fixture", ["dev_plan", "prod_plan"])
def test_dev_and_prod_pass_every_mandatory_rule(fixture: str, request: pytest.FixtureRequest) -> None:
    result: PlanResult = request.getfixturevalue(fixture)
    report = evaluate(result.resources(), stack=result.stack)
    assert len(report["rules"]) >= 40
    assert violated(report) == set()
    assert not has_mandatory_violation(report)


def test_weakened_prod_fails_the_plan_with_the_expected_violations(tmp_path: Path) -> None:
    summary, failed = plan_cli.write_plan("prod", tmp_path, with_overrides("prod", **WEAKENED))
    assert failed
    report = json.loads((tmp_path / "prod" / "policy-report.json").read_text())
    assert violated(report) == {
        "openai-local-auth-disabled",
        "openai-public-network-disabled",
        "openai-network-acl-deny",
        "keyvault-public-network-disabled",
        "keyvault-network-acl-deny",
        "apim-vnet-mode",
        "waf-prevention-mode",
    }
    assert "mandatory violations" in summary


def test_mandatory_violation_exits_1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(plan_cli, "write_plan", lambda stack, out: ("summary\n", True))
    assert plan_cli.main(["--stack", "prod", "--out", str(tmp_path)]) == 1


def test_generated_docs_are_current(prod_plan: PlanResult) -> None:
    documents = docs.generated(prod_plan.resources())
    assert {path.name for path in documents} == {
        "configuration.md",
        "stack-config.schema.json",
        "policy-rules.md",
        "architecture.md",
    }
    assert docs.stale(documents) == [], "docs/ is out of date: run `make docs`"


def test_api_key_mode_is_an_opt_in_on_both_sides(tmp_path: Path) -> None:
    resources = plan_for("dev", with_overrides("dev", authMode="apiKey")).resources()
    report = evaluate(resources, stack="dev")
    assert violated(report) == {"openai-local-auth-disabled"}
    (rule,) = [r for r in report["rules"] if r["name"] == "openai-local-auth-disabled"]
    assert "allowLocalAuth" in rule["violations"][0]["message"]
    config = json.loads((PACK_CONFIG / "dev.json").read_text())
    config["openai-local-auth-disabled"] = {"allowLocalAuth": True}
    (tmp_path / "dev.json").write_text(json.dumps(config))
    assert violated(evaluate(resources, stack="dev", config_path=tmp_path / "dev.json")) == set()


def test_body_logging_is_allowed_in_dev_and_refused_in_prod() -> None:
    dev = plan_for("dev", with_overrides("dev", monitoring={"logBodyBytes": 1024})).resources()
    assert violated(evaluate(dev, stack="dev")) == set()
    prod = plan_for("prod", with_overrides("prod", monitoring={"logBodyBytes": 1024})).resources()
    assert violated(evaluate(prod, stack="prod")) == {"apim-diagnostic-payload-limited"}


def test_each_architecture_diagram_sits_under_its_own_heading(prod_plan: PlanResult) -> None:
    lines = docs.architecture(prod_plan.resources()).splitlines()
    captions = [
        next(line for line in reversed(lines[:index]) if line.strip())
        for index, line in enumerate(lines)
        if line == "```mermaid"
    ]
    assert captions == ["## How a request flows", '## Components and their dependencies (an arrow means "depends on")']
