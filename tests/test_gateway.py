"""Core gateway under the mock engine: hardened accounts, Key Vault named values, the patched spec, policies."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from lxml import etree

from components.apim.policies.lint import Scope, lint_policy
from components.naming import REGION_ABBREVIATIONS
from components.settings import PROJECT_DIR
from components.shared import wire
from offline.engine import PlanResult
from offline.mocks import arm_id, fake_key
from tests.conftest import of_type, plan_for, with_overrides
from tests.test_config import settings_for

KV_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"


@pytest.fixture(scope="module")
def api_key_plan() -> PlanResult:
    return plan_for("dev", with_overrides("dev", authMode="apiKey"))


def by_urn(result: PlanResult) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in result.resources()}


def one(result: PlanResult, type_suffix: str) -> dict[str, Any]:
    found = of_type(result, type_suffix)
    assert len(found) == 1, f"expected one {type_suffix}, found {len(found)}"
    return found[0]


# ---------------------------------------------------------------- OpenAI accounts


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_accounts_are_hardened(stack: str) -> None:
    result = plan_for(stack)
    accounts = [a for a in of_type(result, "cognitiveservices:Account") if a["inputs"]["kind"] == "OpenAI"]
    assert len(accounts) == len(settings_for(stack).openai_backends), "one account per configured backend"
    for account in accounts:
        assert account["inputs"]["accountName"].split("-")[3] == REGION_ABBREVIATIONS[account["inputs"]["location"]]
        inputs = account["inputs"]
        props = inputs["properties"]
        assert inputs["kind"] == "OpenAI"
        assert inputs["identity"] == {"type": "SystemAssigned"}
        assert props["customSubDomainName"] == inputs["accountName"]
        assert props["disableLocalAuth"] is True
        if stack == "prod":
            assert props["publicNetworkAccess"] == "Disabled"
            assert props["networkAcls"]["defaultAction"] == "Deny"
        else:
            assert props["publicNetworkAccess"] == "Enabled"


def test_one_account_per_backend_in_its_region(prod_plan: PlanResult) -> None:
    openai = [a for a in of_type(prod_plan, "cognitiveservices:Account") if a["inputs"]["kind"] == "OpenAI"]
    assert {a["inputs"]["location"] for a in openai} == {"swedencentral", "francecentral", "germanywestcentral"}


def test_private_endpoints_live_in_the_vnet_region(prod_plan: PlanResult) -> None:
    vnet_location = one(prod_plan, "network:VirtualNetwork")["inputs"]["location"]
    endpoints = of_type(prod_plan, "network:PrivateEndpoint")
    assert len(endpoints) == 5  # three OpenAI accounts in three regions, the vault, Content Safety
    assert {e["inputs"]["location"] for e in endpoints} == {vnet_location}


def test_deployments_of_one_account_are_chained(prod_plan: PlanResult) -> None:
    deployments = of_type(prod_plan, "cognitiveservices:Deployment")
    by_account: dict[str, list[dict[str, Any]]] = {}
    for dep in deployments:
        by_account.setdefault(dep["inputs"]["accountName"], []).append(dep)
    assert len(by_account) == 3
    assert min(len(group) for group in by_account.values()) >= 2, "every account has deployments to chain"
    for group in by_account.values():
        group.sort(key=lambda d: d["inputs"]["deploymentName"])
        for earlier, later in itertools.pairwise(group):
            assert earlier["urn"] in later["dependsOn"], "a deployment waits for the previous one on its account"
        assert not any(d["urn"] in group[0]["dependsOn"] for d in group[1:])


def test_deployment_shape(prod_plan: PlanResult) -> None:
    ptu = [
        d
        for d in of_type(prod_plan, "cognitiveservices:Deployment")
        if d["inputs"]["sku"]["name"] == "DataZoneProvisionedManaged"
    ]
    assert ptu and ptu[0]["inputs"]["sku"]["capacity"] == 15
    props = ptu[0]["inputs"]["properties"]
    assert props["model"] == {"format": "OpenAI", "name": "gpt-5.4", "version": "2026-03-05"}
    assert props["versionUpgradeOption"] == "NoAutoUpgrade" and props["raiPolicyName"] == "Microsoft.DefaultV2"


# ---------------------------------------------------------------- Key Vault and named values


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_key_vault_is_hardened(stack: str) -> None:
    props = one(plan_for(stack), "keyvault:Vault")["inputs"]["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    # Purge protection cannot be undone: prod only, so dev can be destroyed and re-created.
    assert props.get("enablePurgeProtection") is (True if stack == "prod" else None)
    assert props["softDeleteRetentionInDays"] == (90 if stack == "prod" else 7)
    assert props["publicNetworkAccess"] == ("Disabled" if stack == "prod" else "Enabled")


def test_named_values_are_key_vault_references_after_the_role(api_key_plan: PlanResult) -> None:
    resources = by_urn(api_key_plan)
    named_values = of_type(api_key_plan, "apimanagement:NamedValue")
    assert {nv["inputs"]["namedValueId"] for nv in named_values} == {"appinsights-connection-string", "openai-key-swc"}
    for nv in named_values:
        inputs = nv["inputs"]
        assert inputs["secret"] is True and "value" not in inputs
        assert inputs["keyVault"]["secretIdentifier"].startswith("https://kv-")
        # After the readers' grants have had time to apply: a sleep that waits for the role assignments.
        (sleep,) = [resources[d] for d in nv["dependsOn"] if resources[d]["type"] == "time:index/sleep:Sleep"]
        roles = [resources[d] for d in sleep["dependsOn"]]
        assert {r["type"] for r in roles} == {"azure-native:authorization:RoleAssignment"}
        (role,) = [r for r in roles if r["inputs"]["scope"].endswith(f"/secrets/{inputs['namedValueId']}")]
        assert role["inputs"]["roleDefinitionId"].endswith(KV_SECRETS_USER)


def test_api_key_mode_stores_keys_in_key_vault_with_content_type(api_key_plan: PlanResult) -> None:
    secrets = {s["inputs"]["secretName"]: s for s in of_type(api_key_plan, "keyvault:Secret")}
    key = secrets["openai-key-swc"]["inputs"]["properties"]
    assert key["value"] == "[secret]" and key["contentType"].startswith("text/plain")
    account = one(api_key_plan, "cognitiveservices:Account")
    assert account["inputs"]["properties"]["disableLocalAuth"] is False
    backend = next(
        b for b in of_type(api_key_plan, "apimanagement:Backend") if b["inputs"]["backendId"] == "openai-swc"
    )
    assert backend["inputs"]["credentials"] == {"header": {"api-key": ["{{openai-key-swc}}"]}}


def test_managed_identity_mode_grants_openai_user_and_reads_no_key(dev_plan: PlanResult) -> None:
    roles = [r["inputs"]["roleDefinitionId"] for r in of_type(dev_plan, "authorization:RoleAssignment")]
    accounts = of_type(dev_plan, "cognitiveservices:Account")
    assert accounts, "the dev plan declares no OpenAI account"
    assert sum(r.endswith(OPENAI_USER) for r in roles) == len(accounts)
    assert not [s for s in of_type(dev_plan, "keyvault:Secret") if s["inputs"]["secretName"].startswith("openai-key")]
    backends = of_type(dev_plan, "apimanagement:Backend")
    assert backends, "the dev plan declares no backend"
    assert all("credentials" not in b["inputs"] for b in backends)


@pytest.mark.parametrize("fixture", ["dev_plan", "prod_plan", "api_key_plan"])
def test_no_secret_appears_in_plain_text(fixture: str, request: pytest.FixtureRequest) -> None:
    result: PlanResult = request.getfixturevalue(fixture)
    text = json.dumps(result.resources()) + json.dumps(result.outputs)
    accounts = [a["inputs"]["accountName"] for a in of_type(result, "cognitiveservices:Account")]
    sids = [s["inputs"]["sid"] for s in of_type(result, "apimanagement:Subscription")]
    leaked = [fake_key(a, n) for a in accounts for n in ("1", "2")] + [fake_key(s, "primary") for s in sids]
    assert accounts and sids and not [k for k in leaked if k in text]
    assert "InstrumentationKey=" not in text
    assert result.outputs["subscriptionKeys"] == "[secret]"


# ---------------------------------------------------------------- API Management


def apim_service(result: PlanResult) -> dict[str, Any]:
    """The APIM service's settings in the typed shape, whether a typed resource (classic tiers) or a generic one at
    the newer API version (v2 tiers: ARM properties under `properties`)."""
    typed = of_type(result, "apimanagement:ApiManagementService")
    generic = [r["inputs"] for r in of_type(result, "resources:Resource") if r["inputs"]["resourceType"] == "service"]
    assert len(typed) + len(generic) == 1, "one API Management service"
    if typed:
        inputs: dict[str, Any] = typed[0]["inputs"]
        return inputs
    (service,) = generic
    return {
        **service["properties"],
        **{k: service[k] for k in ("sku", "identity", "location")},
        "serviceName": service["resourceName"],
    }


def test_prod_runs_premium_v2_injected_through_the_newer_api_version(prod_plan: PlanResult) -> None:
    (service,) = [
        r["inputs"] for r in of_type(prod_plan, "resources:Resource") if r["inputs"]["resourceType"] == "service"
    ]
    assert (service["resourceProviderNamespace"], service["apiVersion"]) == (
        "Microsoft.ApiManagement",
        "2025-03-01-preview",
    )
    assert service["sku"] == {"capacity": 2, "name": "PremiumV2"}
    props = service["properties"]
    assert props["virtualNetworkType"] == "Internal" and props["zoneRedundant"] is True
    assert props["virtualNetworkConfiguration"]["subnetResourceId"].endswith("/subnets/snet-aoaigw-prod-gwc-apim")
    assert not of_type(prod_plan, "apimanagement:ApiManagementService")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_apim_service_is_hardened(stack: str) -> None:
    inputs = apim_service(plan_for(stack))
    props = inputs["customProperties"]
    for protocol in ("Tls10", "Tls11", "Ssl30"):
        assert props[f"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.{protocol}"] == "False"
        assert props[f"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.{protocol}"] == "False"
    assert props["Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168"] == "False"
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert inputs["apiVersionConstraint"] == {"minApiVersion": "2021-08-01"}
    assert (
        inputs["sku"]
        == {"dev": {"capacity": 1, "name": "Developer"}, "prod": {"capacity": 2, "name": "PremiumV2"}}[stack]
    )
    assert inputs["developerPortalStatus"] == "Disabled"
    assert len(inputs["serviceName"]) <= 50


def named(result: PlanResult, type_suffix: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in of_type(result, type_suffix) if r["name"] == name]
    return found


def test_api_is_imported_from_the_patched_spec(dev_plan: PlanResult) -> None:
    inputs = named(dev_plan, "apimanagement:Api", "gateway-api")["inputs"]
    assert inputs["format"] == "openapi+json" and inputs["path"] == "openai"
    assert inputs["protocols"] == ["https"] and inputs["subscriptionRequired"] is True
    assert inputs["subscriptionKeyParameterNames"]["header"] == "api-key"
    account = one(dev_plan, "cognitiveservices:Account")["inputs"]["accountName"]  # dev screens no prompts
    # Built by hand from the spec file, not by the patch_spec/dump_spec the component uses: dev publishes every
    # operation but image generation, so that path and the two schemas only it uses go, and the servers change.
    expected = json.loads((PROJECT_DIR / "specs/azure-openai-inference.json").read_text(encoding="utf-8"))
    expected["servers"] = [{"url": f"https://{account}.openai.azure.com/openai"}]
    del expected["paths"]["/deployments/{deployment-id}/images/generations"]
    for schema in ("ImageGenerationsRequest", "ImageGenerationsResponse"):
        del expected["components"]["schemas"][schema]
    assert inputs["value"] == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"


def _policy(result: PlanResult, type_suffix: str) -> list[str]:
    return [p["inputs"]["value"] for p in of_type(result, type_suffix)]


def api_policy(result: PlanResult, surface_infix: str = "") -> etree._Element:
    """The API policy of the deployment-path API, or of the v1 API with surface_infix "-v1"."""
    return etree.fromstring(
        named(result, "apimanagement:ApiPolicy", f"gateway-api{surface_infix}-policy")["inputs"]["value"].encode()
    )


def test_policy_differs_between_auth_modes(dev_plan: PlanResult, api_key_plan: PlanResult) -> None:
    mi, key = api_policy(dev_plan), api_policy(api_key_plan)
    resource = mi.find("inbound/authentication-managed-identity").get("resource")
    assert resource == "https://cognitiveservices.azure.com"
    assert key.find("inbound/authentication-managed-identity") is None
    for doc in (mi, key):
        assert doc.find("inbound/set-backend-service").get("backend-id") == "openai-pool"


@pytest.mark.parametrize("fixture", ["dev_plan", "prod_plan", "api_key_plan"])
def test_every_policy_passes_the_linter(fixture: str, request: pytest.FixtureRequest) -> None:
    result: PlanResult = request.getfixturevalue(fixture)
    named = {nv["inputs"]["displayName"] for nv in of_type(result, "apimanagement:NamedValue")}
    backends = {b["inputs"]["backendId"] for b in of_type(result, "apimanagement:Backend")}
    # Backends declared at a newer API version (Content Safety) are generic resources.
    backends |= {
        r["inputs"]["resourceName"]
        for r in of_type(result, "resources:Resource")
        if r["inputs"]["resourceType"] == "backends"
    }
    scopes: tuple[tuple[Scope, str], ...] = (
        ("api", "apimanagement:ApiPolicy"),
        ("product", "apimanagement:ProductPolicy"),
    )
    for scope, type_suffix in scopes:
        documents = _policy(result, type_suffix)
        assert documents, f"no {type_suffix} to lint"
        for xml in documents:
            assert lint_policy(xml, source=type_suffix, scope=scope, named_values=named, backends=backends) == []


def test_api_policy_waits_for_backends_and_roles(dev_plan: PlanResult) -> None:
    resources = by_urn(dev_plan)
    policies = of_type(dev_plan, "apimanagement:ApiPolicy")
    assert len(policies) == 2, "one per API surface"
    for policy in policies:
        types = {resources[d]["type"] for d in policy["dependsOn"]}
        assert {"azure-native:apimanagement:Backend", "azure-native:authorization:RoleAssignment"} <= types


@pytest.mark.parametrize(
    ("pool_id", "prefix", "path"),
    [("openai-pool", "openai-", "/openai"), ("openai-v1_pool", "openai-v1_", "/openai/v1")],
)
def test_backends_and_pool_have_shapes_azure_accepts(
    prod_plan: PlanResult, pool_id: str, prefix: str, path: str
) -> None:
    """Each API surface has its own pool, its members pointing at the surface's path on each account."""
    backends = {b["inputs"]["backendId"]: b["inputs"] for b in of_type(prod_plan, "apimanagement:Backend")}
    pool = backends[pool_id]
    assert pool["type"] == "Pool" and "url" not in pool and "protocol" not in pool
    members = {item["id"].rsplit("/", 1)[-1]: item for item in pool["pool"]["services"]}
    assert set(members) == {f"{prefix}{name}" for name in settings_for("prod").openai_backends}
    assert members[f"{prefix}ptu-swc"]["priority"] == 1
    assert (members[f"{prefix}paygo-frc"]["priority"], members[f"{prefix}paygo-frc"]["weight"]) == (2, 2)
    for member in members:
        backend = backends[member]
        assert backend["url"].endswith(f".openai.azure.com{path}") and backend["protocol"] == "http"
        assert backend["tls"] == {"validateCertificateChain": True, "validateCertificateName": True}
        (rule,) = backend["circuitBreaker"]["rules"]
        assert rule["acceptRetryAfter"] is True
        assert {"min": 429, "max": 429} in rule["failureCondition"]["statusCodeRanges"]
        assert {"min": 500, "max": 599} in rule["failureCondition"]["statusCodeRanges"]


def test_wire_is_the_arm_form_of_sdk_arguments() -> None:
    """Generic resources get their properties from the typed resources' argument dicts: keys in camelCase at every
    depth, values (header names, lists) untouched."""
    typed = {"data_masking": {"query_params": [{"mode": "Hide", "value": "subscription-key"}]}, "headers": ["x-ms-a"]}
    assert wire(typed) == {
        "dataMasking": {"queryParams": [{"mode": "Hide", "value": "subscription-key"}]},
        "headers": ["x-ms-a"],
    }


def test_retry_is_bounded_by_the_pool(prod_plan: PlanResult) -> None:
    doc = api_policy(prod_plan)
    retry = doc.find("backend/retry")
    assert retry.get("count") == "2"  # three backends: the first try plus one per other member
    assert retry.find("forward-request").get("buffer-request-body") == "true"
    assert doc.find("backend/base") is None


def test_products_and_subscriptions(prod_plan: PlanResult) -> None:
    products = {p["inputs"]["productId"]: p["inputs"] for p in of_type(prod_plan, "apimanagement:Product")}
    assert set(products) == {"internal", "partner"}
    assert all(p["subscriptionRequired"] and p["state"] == "published" for p in products.values())
    links = of_type(prod_plan, "apimanagement:ProductApiLink")
    assert {link["inputs"]["productId"] for link in links} == set(products)
    subscriptions = of_type(prod_plan, "apimanagement:Subscription")
    assert subscriptions, "no subscription to check"
    for sub in subscriptions:
        assert sub["inputs"]["scope"] != "/apis" and "/products/" in sub["inputs"]["scope"]


def test_limits_differ_between_dev_and_prod(dev_plan: PlanResult, prod_plan: PlanResult) -> None:
    def limits(result: PlanResult) -> dict[str, tuple[str, str, str]]:
        """Per product: the request limit's policy, its calls and the tokens per minute of its own subscriptions."""
        found = {}
        for policy in of_type(result, "apimanagement:ProductPolicy"):
            doc = etree.fromstring(policy["inputs"]["value"].encode())
            # With teams of its own the product's limits sit in the <otherwise> branch.
            inbound = (
                doc.find("inbound/choose/otherwise") if doc.find("inbound/choose") is not None else doc.find("inbound")
            )
            request = inbound.find("rate-limit-by-key")
            request = request if request is not None else inbound.find("quota-by-key")
            found[policy["inputs"]["productId"]] = (
                request.tag,
                request.get("calls"),
                inbound.find("llm-token-limit").get("tokens-per-minute"),
            )
        return found

    # dev's partner allows 1,000 calls an hour: longer than rate-limit-by-key renews, so a quota (classic tier).
    assert limits(dev_plan) == {
        "internal": ("rate-limit-by-key", "120", "20000"),
        "partner": ("quota-by-key", "1000", "5000"),
    }
    assert limits(prod_plan) == {
        "internal": ("rate-limit-by-key", "600", "200000"),
        "partner": ("rate-limit-by-key", "120", "50000"),
    }


def test_stack_outputs(dev_plan: PlanResult) -> None:
    outputs = dev_plan.outputs
    assert outputs["gatewayUrl"].startswith("https://apim-aoaigw-dev-swc-") and outputs["gatewayUrl"].endswith(
        ".azure-api.net"
    )
    assert outputs["apiPath"] == "openai" and outputs["v1Path"] == "openai/v1" and outputs["apiVersion"] == "2024-10-21"
    assert outputs["chatDeployment"] == "gpt-5.4-mini" and outputs["embeddingDeployment"] == "text-embedding-3-small"
    assert outputs["productLimits"]["partner"] == {
        "requestsPerPeriod": 1000,
        "renewalPeriodSeconds": 3600,
        "tokensPerMinute": 5000,
    }


def test_logger_holds_no_plain_key(prod_plan: PlanResult) -> None:
    logger = one(prod_plan, "apimanagement:Logger")["inputs"]
    assert logger["loggerType"] == "applicationInsights"
    assert logger["credentials"] == {
        "connectionString": "{{appinsights-connection-string}}",
        "identityClientId": "SystemAssigned",
    }
    resources = by_urn(prod_plan)
    roles = [
        resources[d]["inputs"] for d in one(prod_plan, "apimanagement:Logger")["dependsOn"] if "RoleAssignment" in d
    ]
    assert [r["roleDefinitionId"].rsplit("/", 1)[-1] for r in roles] == [MONITORING_METRICS_PUBLISHER]
    diagnostic = next(
        d["inputs"]
        for d in of_type(prod_plan, "apimanagement:ApiDiagnostic")
        if d["inputs"]["diagnosticId"] == "applicationinsights"
    )
    assert diagnostic["metrics"] is True and diagnostic["sampling"] == {"percentage": 25, "samplingType": "fixed"}
    assert "body" not in diagnostic["frontend"]["request"], "bodies stay out of logs unless logBodyBytes is set"
    masking = diagnostic["frontend"]["request"]["dataMasking"]
    assert {"mode": "Hide", "value": "subscription-key"} in masking["queryParams"]
    assert {"mode": "Hide", "value": "api-key"} in masking["headers"]


def test_every_monitored_resource_sends_to_the_one_workspace(prod_plan: PlanResult) -> None:
    workspace = one(prod_plan, "operationalinsights:Workspace")
    workspace_id = arm_id(workspace["type"], workspace["inputs"], workspace["name"])
    settings = {d["inputs"]["resourceUri"]: d["inputs"] for d in of_type(prod_plan, "monitor:DiagnosticSetting")}
    monitored = [
        ("resources:Resource", "service", "resourceName"),
        ("cognitiveservices:Account", "accounts", "accountName"),
        ("keyvault:Vault", "vaults", "vaultName"),
        ("network:ApplicationGateway", "applicationGateways", "applicationGatewayName"),
    ]
    for type_suffix, segment, key in monitored:
        resources = [r for r in of_type(prod_plan, type_suffix) if r["inputs"].get("resourceType", segment) == segment]
        assert resources, f"the prod plan declares no {type_suffix}"
        for res in resources:
            target = next(uri for uri in settings if uri.endswith(f"/{segment}/{res['inputs'][key]}"))
            setting = settings[target]
            assert setting["workspaceId"] == workspace_id
            assert setting["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
            assert setting["metrics"] == [{"category": "AllMetrics", "enabled": True}]


# ---------------------------------------------------------------- teams and guardrails


def test_prod_onboards_an_entra_team_and_a_keyed_team_with_content_safety(prod_plan: PlanResult) -> None:
    teams = settings_for("prod").teams
    tenants = {name: team.entra.tenant_id for name, team in teams.items() if team.entra is not None}
    entra = sorted(tenants)
    keyed = sorted(name for name, team in teams.items() if team.subscription_key)
    assert entra and keyed
    subscriptions = {s["inputs"]["sid"]: s["inputs"] for s in of_type(prod_plan, "apimanagement:Subscription")}
    for name in keyed:
        team = subscriptions[f"team-{name}"]
        assert team["scope"].endswith(f"/products/{teams[name].product}") and team["state"] == "active"
    for name in entra:
        if not teams[name].subscription_key:
            assert f"team-{name}" not in subscriptions, "a token-only team holds no key"
    assert prod_plan.outputs["teamKeys"] == "[secret]", "team keys are secret outputs"
    for infix in ("", "-v1"):
        tokens = api_policy(prod_plan, infix).findall(".//validate-azure-ad-token")
        assert {t.get("tenant-id") for t in tokens} == set(tenants.values())
        api = named(prod_plan, "apimanagement:Api", f"gateway-api{infix}")["inputs"]
        assert api["subscriptionRequired"] is False, "keyless calls reach the policy, which validates the token"


def test_dev_without_entra_teams_requires_keys(dev_plan: PlanResult) -> None:
    assert all(api["inputs"]["subscriptionRequired"] is True for api in of_type(dev_plan, "apimanagement:Api"))


def test_content_safety_account_is_private_and_keyless(prod_plan: PlanResult) -> None:
    (account,) = [a for a in of_type(prod_plan, "cognitiveservices:Account") if a["inputs"]["kind"] == "ContentSafety"]
    props = account["inputs"]["properties"]
    assert props["disableLocalAuth"] is True and props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["customSubDomainName"] == account["inputs"]["accountName"]
    endpoint = [e for e in of_type(prod_plan, "network:PrivateEndpoint") if account["urn"] in e["dependsOn"]]
    assert len(endpoint) == 1
    assert endpoint[0]["inputs"]["privateLinkServiceConnections"][0]["groupIds"] == ["account"]
    diagnostics = [d for d in of_type(prod_plan, "monitor:DiagnosticSetting") if account["urn"] in d["dependsOn"]]
    assert len(diagnostics) == 1


def test_apim_screens_prompts_as_itself_with_the_least_role(prod_plan: PlanResult) -> None:
    cognitive_services_user = "a97b65f3-24c7-4388-baec-2e87135dc908"
    (account,) = [a for a in of_type(prod_plan, "cognitiveservices:Account") if a["inputs"]["kind"] == "ContentSafety"]
    grants = [
        r
        for r in of_type(prod_plan, "authorization:RoleAssignment")
        if r["inputs"]["roleDefinitionId"].endswith(cognitive_services_user)
    ]
    assert len(grants) == 1 and grants[0]["inputs"]["principalType"] == "ServicePrincipal"
    assert account["urn"] in grants[0]["dependsOn"]
    (backend,) = [r for r in of_type(prod_plan, "resources:Resource") if r["inputs"]["resourceType"] == "backends"]
    props = backend["inputs"]["properties"]
    assert props["url"].endswith(".cognitiveservices.azure.com")
    assert props["credentials"] == {"managedIdentity": {"resource": "https://cognitiveservices.azure.com"}}
