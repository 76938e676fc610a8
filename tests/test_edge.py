"""Edge under mocks: HTTPS-only WAF_v2 with a Key Vault certificate, Prevention in prod, probing APIM's status path."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.edge import APIM_STATUS_PATH, SSL_POLICY, Edge, EdgeArgs
from components.naming import Namer
from components.settings import Settings
from components.shared import Placement
from offline.engine import PlanResult, run_program
from offline.mocks import fake_guid
from tests.conftest import of_type, with_overrides
from tests.test_config import settings_for

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
GROUP = "rg-aoaigw-test"
GROUP_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
SUBNET_ID = f"{GROUP_ID}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-agw"
APIM_HOST = "apim-aoaigw-prod-swc-abcde.azure-api.net"
WORKSPACE_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"
TAGS = {"environment": "test", "managedBy": "pulumi"}
TAGGABLE = ("ApplicationGateway", "PublicIPAddress", "FirewallPolicy", "UserAssignedIdentity")
# Azure's built-in role id, written out rather than read from components.shared.BUILTIN_ROLES.
KV_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
OUTPUTS = ("public_ip_address", "public_fqdn", "gateway_url", "application_gateway_id", "identity_id")


def _run(stack: str, settings: Settings, *, zone_redundant: bool, config: dict[str, Any]) -> PlanResult:
    namer = Namer(settings.workload, settings.environment, stack, settings.location, settings.name_suffix)

    def program() -> None:
        edge = Edge(
            "edge",
            EdgeArgs(
                placement=Placement(resource_group_name=GROUP, location=settings.location, tags=TAGS),
                settings=settings.edge,
                namer=namer,
                subnet_id=SUBNET_ID,
                apim_gateway_host=APIM_HOST,
                subscription_id=SUBSCRIPTION,
                zone_redundant=zone_redundant,
                role_propagation_seconds=settings.role_propagation_seconds,
                workspace_id=WORKSPACE_ID,
            ),
        )
        for key in OUTPUTS:
            pulumi.export(key, getattr(edge, key))

    return run_program(stack, config=config, program=program)


@pytest.fixture(scope="module")
def prod() -> Settings:
    return settings_for("prod")


@pytest.fixture(scope="module")
def prod_plan(prod: Settings) -> PlanResult:
    return _run("prod", prod, zone_redundant=True, config=with_overrides("prod"))


@pytest.fixture(scope="module")
def lean_plan() -> PlanResult:
    certificates = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-certs/providers/Microsoft.KeyVault/vaults/kv-certs"
    overrides: dict[str, Any] = {
        "network": {"enabled": True},
        "edge": {"enabled": True, "ruleSet": "OWASP_3.2", "certificateKeyVaultId": certificates},
    }
    settings = settings_for("dev", **overrides)
    return _run("dev", settings, zone_redundant=False, config=with_overrides("dev", **overrides))


def one(result: PlanResult, type_suffix: str) -> dict[str, Any]:
    (resource,) = of_type(result, type_suffix)
    return resource


def gateway(result: PlanResult) -> dict[str, Any]:
    inputs: dict[str, Any] = one(result, "network:ApplicationGateway")["inputs"]
    return inputs


def named(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (item,) = [i for i in items if i["name"] == name]
    return item


def ref(result: PlanResult, reference: dict[str, Any]) -> dict[str, Any]:
    """Resolves a gateway sub-resource id to the child it names; fails if it points anywhere else."""
    agw = gateway(result)
    prefix = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.Network/"
        f"applicationGateways/{agw['applicationGatewayName']}/"
    )
    assert reference["id"].startswith(prefix), reference["id"]
    collection, name = reference["id"][len(prefix) :].split("/")
    return named(agw[collection], name)


def test_sku_autoscale_and_zones(prod_plan: PlanResult, prod: Settings) -> None:
    agw = gateway(prod_plan)
    assert agw["sku"] == {"name": "WAF_v2", "tier": "WAF_v2"}
    bounds = {"minCapacity": prod.edge.min_capacity, "maxCapacity": prod.edge.max_capacity}
    assert agw["autoscaleConfiguration"] == bounds
    assert agw["zones"] == ["1", "2", "3"]
    pip = one(prod_plan, "network:PublicIPAddress")["inputs"]
    assert pip["sku"]["name"] == "Standard" and pip["publicIPAllocationMethod"] == "Static"
    assert pip["zones"] == ["1", "2", "3"]
    assert pip["dnsSettings"]["domainNameLabel"]


def test_zones_only_when_zone_redundant(lean_plan: PlanResult) -> None:
    assert "zones" not in gateway(lean_plan)
    assert "zones" not in one(lean_plan, "network:PublicIPAddress")["inputs"]


def test_waf_policy_prevents_in_prod_and_inspects_bodies(prod_plan: PlanResult) -> None:
    waf = one(prod_plan, "network:WebApplicationFirewallPolicy")
    policy = waf["inputs"]["policySettings"]
    assert policy["mode"] == "Prevention" and policy["state"] == "Enabled"
    assert policy["requestBodyCheck"] is True and policy["requestBodyEnforcement"] is True
    # Azure accepts 8..2000 KB for the body limit.
    assert 8 <= policy["maxRequestBodySizeInKb"] <= 2000 and 0 < policy["fileUploadLimitInMb"] <= 4000
    scrubbed = {(r["matchVariable"], r["selector"]) for r in policy["logScrubbing"]["scrubbingRules"]}
    assert {
        ("RequestHeaderNames", "api-key"),
        ("RequestHeaderNames", "Authorization"),
        ("RequestArgNames", "subscription-key"),
    } <= scrubbed
    sets = {(s["ruleSetType"], s["ruleSetVersion"]) for s in waf["inputs"]["managedRules"]["managedRuleSets"]}
    assert ("Microsoft_DefaultRuleSet", "2.1") in sets
    assert gateway(prod_plan)["firewallPolicy"]["id"].endswith(f"/{waf['inputs']['policyName']}")
    assert "webApplicationFirewallConfiguration" not in gateway(prod_plan)


def test_rule_set_and_mode_follow_config(lean_plan: PlanResult) -> None:
    waf = one(lean_plan, "network:WebApplicationFirewallPolicy")["inputs"]
    assert waf["policySettings"]["mode"] == "Detection"
    sets = {(s["ruleSetType"], s["ruleSetVersion"]) for s in waf["managedRules"]["managedRuleSets"]}
    assert ("OWASP", "3.2") in sets and ("Microsoft_DefaultRuleSet", "2.1") not in sets


def test_https_listener_uses_the_key_vault_certificate(prod_plan: PlanResult, prod: Settings) -> None:
    agw = gateway(prod_plan)
    (https,) = [listener for listener in agw["httpListeners"] if listener["protocol"] == "Https"]
    assert https["hostName"] == prod.edge.host_name
    assert ref(prod_plan, https["frontendPort"])["port"] == 443
    certificate = ref(prod_plan, https["sslCertificate"])
    # Versionless: a renewed certificate is picked up without a deployment.
    vault_name = prod.edge.certificate_key_vault_id.rsplit("/", 1)[-1]
    expected = f"https://{vault_name}.vault.azure.net/secrets/{prod.edge.certificate_secret_name}"
    assert certificate["keyVaultSecretId"] == expected
    assert "data" not in certificate and "password" not in certificate
    assert agw["sslPolicy"] == {"policyType": "Predefined", "policyName": SSL_POLICY}
    (identity,) = agw["identity"]["userAssignedIdentities"]
    assert agw["identity"]["type"] == "UserAssigned"
    identity_name = one(prod_plan, "UserAssignedIdentity")["inputs"]["resourceName"]
    assert identity.endswith(f"/userAssignedIdentities/{identity_name}")


def test_port_80_only_redirects_to_https(prod_plan: PlanResult) -> None:
    agw = gateway(prod_plan)
    (http,) = [listener for listener in agw["httpListeners"] if listener["protocol"] == "Http"]
    assert ref(prod_plan, http["frontendPort"])["port"] == 80
    (rule,) = [r for r in agw["requestRoutingRules"] if ref(prod_plan, r["httpListener"]) is http]
    assert "backendAddressPool" not in rule and "backendHttpSettings" not in rule
    redirect = ref(prod_plan, rule["redirectConfiguration"])
    assert redirect["redirectType"] == "Permanent"
    assert redirect["includePath"] is True and redirect["includeQueryString"] is True
    target = ref(prod_plan, redirect["targetListener"])
    assert target["protocol"] == "Https" and ref(prod_plan, target["frontendPort"])["port"] == 443
    priorities = [r["priority"] for r in agw["requestRoutingRules"]]
    assert len(set(priorities)) == len(priorities)


def test_backend_is_apim_with_host_override_and_status_probe(prod_plan: PlanResult) -> None:
    agw = gateway(prod_plan)
    (https,) = [listener for listener in agw["httpListeners"] if listener["protocol"] == "Https"]
    (rule,) = [r for r in agw["requestRoutingRules"] if ref(prod_plan, r["httpListener"]) is https]
    pool = ref(prod_plan, rule["backendAddressPool"])
    assert pool["backendAddresses"] == [{"fqdn": APIM_HOST}]
    settings = ref(prod_plan, rule["backendHttpSettings"])
    assert (settings["port"], settings["protocol"]) == (443, "Https")
    assert settings["pickHostNameFromBackendAddress"] is True
    assert settings["requestTimeout"] == 330, "the edge waits as long as edge.requestTimeoutSeconds"
    probe = ref(prod_plan, settings["probe"])
    assert probe["path"] == APIM_STATUS_PATH and probe["protocol"] == "Https"
    assert probe["pickHostNameFromBackendHttpSettings"] is True
    assert probe["match"]["statusCodes"] == ["200-399"]
    assert (probe["interval"], probe["timeout"], probe["unhealthyThreshold"]) == (30, 30, 3)


def test_every_sub_resource_reference_resolves(prod_plan: PlanResult) -> None:
    def walk(value: Any) -> list[dict[str, Any]]:
        if isinstance(value, dict):
            found = [value] if "/applicationGateways/" in str(value.get("id", "")) else []
            return found + [r for v in value.values() for r in walk(v)]
        if isinstance(value, list):
            return [r for v in value for r in walk(v)]
        return []

    references = walk(gateway(prod_plan))
    assert len(references) >= 10
    for reference in references:
        ref(prod_plan, reference)


def test_identity_reads_the_certificate_before_the_gateway_exists(prod_plan: PlanResult, prod: Settings) -> None:
    identity = one(prod_plan, "managedidentity:UserAssignedIdentity")
    assignment = one(prod_plan, "authorization:RoleAssignment")
    assert assignment["inputs"]["roleDefinitionId"].endswith(KV_SECRETS_USER)
    # Only the certificate: the gateway's identity may read nothing else in that vault.
    assert assignment["inputs"]["scope"] == (
        f"{prod.edge.certificate_key_vault_id}/secrets/{prod.edge.certificate_secret_name}"
    )
    identity_id = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.ManagedIdentity/"
        f"userAssignedIdentities/{identity['inputs']['resourceName']}"
    )
    assert assignment["inputs"]["principalId"] == fake_guid("principal", identity_id)
    assert assignment["inputs"]["principalType"] == "ServicePrincipal"
    # The gateway waits for the grant to apply: a bounded sleep after it, which the gateway depends on.
    sleep = one(prod_plan, "time:index/sleep:Sleep")
    assert assignment["urn"] in sleep["dependsOn"] and sleep["inputs"]["createDuration"] == "120s"
    agw = one(prod_plan, "network:ApplicationGateway")
    assert sleep["urn"] in agw["dependsOn"]


def test_gateway_logs_go_to_the_workspace(prod_plan: PlanResult) -> None:
    setting = one(prod_plan, "monitor:DiagnosticSetting")["inputs"]
    assert setting["resourceUri"].endswith("/applicationGateways/" + gateway(prod_plan)["applicationGatewayName"])
    assert setting["workspaceId"] == WORKSPACE_ID
    assert setting["logAnalyticsDestinationType"] == "Dedicated"


def test_outputs(prod_plan: PlanResult, prod: Settings) -> None:
    out = prod_plan.outputs
    assert out["gateway_url"] == f"https://{prod.edge.host_name}"
    assert out["public_ip_address"].count(".") == 3
    assert out["public_fqdn"].endswith(f".{prod.location}.cloudapp.azure.com")
    assert out["application_gateway_id"].endswith("/applicationGateways/agw-aoaigw-prod-gwc")
    assert out["identity_id"].endswith("/userAssignedIdentities/id-aoaigw-prod-gwc-agw")


def test_children_are_parented_and_tagged(prod_plan: PlanResult) -> None:
    (component,) = [r for r in prod_plan.resources() if r["type"] == "aoai-gateway:edge:Edge"]
    children = [
        r for r in prod_plan.resources() if not r["type"].startswith("aoai-gateway:") and r["name"] != "vault-endpoint"
    ]
    taggable = [r for r in children if r["type"].endswith(TAGGABLE)]
    assert taggable, "no taggable child: the tag check would pass on nothing"
    for resource in children:
        assert resource["parent"] == component["urn"], resource["name"]
    for resource in taggable:
        assert resource["inputs"]["tags"] == TAGS, resource["name"]
