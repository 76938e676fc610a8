"""Real LLM traffic at the edge: streaming, long answers, prompts full of code, a first deploy that cannot trip."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from lxml import etree

from components.settings import ConfigError, settings_from_config
from offline.engine import PlanResult
from offline.mocks import SUBSCRIPTION_ID
from tests.conftest import of_type, plan_for, with_overrides
from tests.test_config import refused

PROMPT_FIELDS = {"content", "text", "prompt", "input", "instructions", "arguments", "output"}
DRS_PROMPT_PRONE = ["SQLI", "XSS", "RCE", "LFI", "RFI", "PHP", "MS-ThreatIntel-SQLI"]


def one(result: PlanResult, type_suffix: str) -> dict[str, Any]:
    (resource,) = of_type(result, type_suffix)
    inputs: dict[str, Any] = resource["inputs"]
    return inputs


def api_policies(result: PlanResult) -> list[str]:
    """Both API surfaces' policies (deployment path and v1)."""
    policies = [resource["inputs"]["value"] for resource in of_type(result, "apimanagement:ApiPolicy")]
    assert len(policies) == 2
    return policies


def forward_request_timeouts(result: PlanResult) -> list[int]:
    return [
        int(timeout)
        for policy in api_policies(result)
        for timeout in re.findall(r'<forward-request timeout="(\d+)"', policy)
    ]


def test_streamed_answers_pass_the_edge_token_by_token(prod_plan: PlanResult) -> None:
    gateway = one(prod_plan, "network:ApplicationGateway")
    assert gateway["globalConfiguration"] == {"enableRequestBuffering": True, "enableResponseBuffering": False}
    assert gateway["enableHttp2"] is False, "HTTP/2 frontends have a fixed 180 s idle timeout"
    for policy in api_policies(prod_plan):
        forwards = etree.fromstring(policy.encode()).findall(".//backend//forward-request")
        assert forwards, "the API forwards the request itself"
        assert {f.get("buffer-response") for f in forwards} == {"false"}


def test_one_timeout_setting_drives_the_edge_the_ip_and_apim(prod_plan: PlanResult) -> None:
    gateway = one(prod_plan, "network:ApplicationGateway")
    (settings,) = gateway["backendHttpSettingsCollection"]
    edge_timeout = settings["requestTimeout"]
    assert edge_timeout == 330 and edge_timeout >= 300, "long enough for a slow non-streamed reasoning answer"
    (apim_timeout,) = set(forward_request_timeouts(prod_plan))
    assert apim_timeout == 300 and apim_timeout < edge_timeout, "APIM answers before the edge gives up"
    idle_minutes = one(prod_plan, "network:PublicIPAddress")["idleTimeoutInMinutes"]
    assert idle_minutes == 6 and idle_minutes * 60 >= edge_timeout
    for policy in api_policies(prod_plan):
        assert '"code": "Timeout"' in policy and 'code="504"' in policy, "the caller gets APIM's OpenAI-shaped 504"


def test_dev_without_an_edge_still_times_out_in_apim(dev_plan: PlanResult) -> None:
    assert not of_type(dev_plan, "network:ApplicationGateway")
    assert set(forward_request_timeouts(dev_plan)) == {300}


def test_timeouts_that_do_not_fit_are_refused() -> None:
    assert refused("prod", apim={"backendTimeoutSeconds": 330}) == (
        "aoai-gateway:apim.backendTimeoutSeconds = 330: must be shorter than edge.requestTimeoutSeconds (330), "
        "or the edge cuts slow answers off with its own 504 before APIM can answer"
    )
    assert refused("prod", edge={"requestTimeoutSeconds": 3600}) == (
        "aoai-gateway:edge.requestTimeoutSeconds = 3600: out of range; allowed 60..1800"
    )
    custom = settings_from_config(with_overrides("prod", apim={"backendTimeoutSeconds": 120}))
    assert custom.apim_backend_timeout_seconds == 120


@pytest.mark.parametrize(("seconds", "minutes"), [(60, 4), (330, 6), (1800, 30)])
def test_the_idle_timeout_covers_the_request(seconds: int, minutes: int) -> None:
    plan = plan_for("prod", with_overrides("prod", edge={"requestTimeoutSeconds": seconds}))
    assert one(plan, "network:PublicIPAddress")["idleTimeoutInMinutes"] == minutes >= math.ceil(seconds / 60)


def test_the_waf_skips_prompt_fields_for_the_rule_groups_that_misfire_on_code(prod_plan: PlanResult) -> None:
    waf = one(prod_plan, "network:WebApplicationFirewallPolicy")
    assert waf["policySettings"]["mode"] == "Prevention"
    rule_sets = [(s["ruleSetType"], s["ruleSetVersion"]) for s in waf["managedRules"]["managedRuleSets"]]
    assert rule_sets == [("Microsoft_DefaultRuleSet", "2.1"), ("Microsoft_BotManagerRuleSet", "1.0")]
    exclusions = waf["managedRules"]["exclusions"]
    assert {e["selector"] for e in exclusions} == PROMPT_FIELDS
    for exclusion in exclusions:
        # Values of fields whose (JSON path) name ends with the prompt field; the name itself is still inspected.
        assert (exclusion["matchVariable"], exclusion["selectorMatchOperator"]) == ("RequestArgValues", "EndsWith")
        (scope,) = exclusion["exclusionManagedRuleSets"]
        assert (scope["ruleSetType"], scope["ruleSetVersion"]) == ("Microsoft_DefaultRuleSet", "2.1")
        assert [group["ruleGroupName"] for group in scope["ruleGroups"]] == DRS_PROMPT_PRONE
        assert all("rules" not in group for group in scope["ruleGroups"])
    limits = waf["policySettings"]
    assert (limits["maxRequestBodySizeInKb"], limits["requestBodyInspectLimitInKB"]) == (2000, 128)
    assert limits["requestBodyEnforcement"] is True and limits["requestBodyCheck"] is True


def test_exclusion_groups_follow_the_rule_set_and_refuse_unknown_names() -> None:
    owasp = settings_from_config(with_overrides("prod", edge={"ruleSet": "OWASP_3.2"}))
    assert "REQUEST-942-APPLICATION-ATTACK-SQLI" in owasp.edge.exclusion_groups
    drs22 = settings_from_config(with_overrides("prod", edge={"ruleSet": "Microsoft_DefaultRuleSet_2.2"}))
    assert drs22.edge.exclusion_groups[-1] == "MS-ThreatIntel-XSS"
    message = refused("prod", edge={"promptExclusionGroups": ["SQLI", "SQL-INJECTION"]})
    assert message.startswith(
        "aoai-gateway:edge.promptExclusionGroups[1] = 'SQL-INJECTION': not a rule group of "
        "Microsoft_DefaultRuleSet_2.1; allowed: General, METHOD-ENFORCEMENT"
    )
    assert refused("prod", edge={"maxRequestBodyKb": 4096}) == (
        "aoai-gateway:edge.maxRequestBodyKb = 4096: out of range; allowed 8..2000"
    )


def test_a_certificate_vault_in_another_subscription_is_refused() -> None:
    other = "11111111-2222-3333-4444-555555555555"
    elsewhere = f"/subscriptions/{other}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-certs"
    values = with_overrides("prod", edge={"certificateKeyVaultId": elsewhere})
    assert settings_from_config(values).edge.certificate_key_vault_id == elsewhere, "shape alone is fine"
    with pytest.raises(ConfigError) as caught:
        settings_from_config(values, subscription_id=SUBSCRIPTION_ID)
    assert str(caught.value) == (
        f"aoai-gateway:edge.certificateKeyVaultId = {repr(elsewhere)[:57]}...: the vault is in subscription {other}, "
        f"but the stack deploys to {SUBSCRIPTION_ID}; Application Gateway v2 reads certificates only from a vault "
        "in its own subscription"
    )


def test_a_pre_granted_identity_needs_no_role_assignment_on_the_vault() -> None:
    identity = (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-certs/providers/Microsoft.ManagedIdentity/"
        "userAssignedIdentities/id-agw-certs"
    )
    plan = plan_for("prod", with_overrides("prod", edge={"certificateReaderIdentityId": identity}))
    edge = [r for r in plan.resources() if r["urn"].split("::")[2].startswith("aoai-gateway:edge:Edge$")]
    assert edge, "the edge's resources"
    types = {r["type"].rsplit(":", 1)[-1] for r in edge}
    assert not types & {"RoleAssignment", "UserAssignedIdentity", "Sleep"}
    assert one(plan, "network:ApplicationGateway")["identity"]["userAssignedIdentities"] == [identity]


def test_the_gateway_does_not_wait_for_api_management(prod_plan: PlanResult) -> None:
    resources = {r["urn"]: r for r in prod_plan.resources()}
    (gateway,) = [r for r in resources.values() if r["type"] == "azure-native:network:ApplicationGateway"]
    waits, pending = set(), list(gateway["dependsOn"])
    while pending:
        urn = pending.pop()
        if urn not in waits:
            waits.add(urn)
            pending += resources[urn]["dependsOn"] if urn in resources else []
    assert waits, "the gateway has dependencies (subnet, WAF policy, identity)"
    apim = [urn for urn in waits if "ApiManagement" in urn or "apimanagement" in urn or "ApimPrivateDns" in urn]
    assert apim == [], "the backend's host name is known before APIM exists"
    assert gateway["inputs"]["backendAddressPools"][0]["backendAddresses"] == [
        {"fqdn": "apim-aoaigw-prod-gwc-3b46e.azure-api.net"}
    ]


def test_role_assignment_names_derive_from_scope_principal_and_role(prod_plan: PlanResult) -> None:
    assignments = of_type(prod_plan, "authorization:RoleAssignment")
    assert len(assignments) >= 5
    names = [a["inputs"]["roleAssignmentName"] for a in assignments]
    assert len(set(names)) == len(names)
    import uuid

    for assignment in assignments:
        inputs = assignment["inputs"]
        role = inputs["roleDefinitionId"].rsplit("/", 1)[-1]
        expected = uuid.uuid5(uuid.NAMESPACE_URL, f"{inputs['scope'].lower()}/{inputs['principalId'].lower()}/{role}")
        assert inputs["roleAssignmentName"] == str(expected)


def test_what_needs_a_fresh_grant_waits_for_it(prod_plan: PlanResult) -> None:
    sleeps = {s["urn"]: s for s in of_type(prod_plan, "time:index/sleep:Sleep")}
    assert len(sleeps) == 2, "after APIM's Key Vault readers and after the gateway's certificate reader"
    for named_value in of_type(prod_plan, "apimanagement:NamedValue"):
        assert set(named_value["dependsOn"]) & set(sleeps)
    for sleep in sleeps.values():
        assert sleep["inputs"]["createDuration"] == "120s"
        assert all(":RoleAssignment::" in urn for urn in sleep["dependsOn"])
