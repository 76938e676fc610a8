"""One passing and one failing case per rule, run through the offline runner with the prod config.

Passing cases start from resources of the hardened fixture; failing cases change one thing.
"""

import copy
import json
from pathlib import Path

import pytest

from policies.offline import evaluate
from policies.rules.catalogue import RULES, RULES_BY_NAME
from policies.rules.typed_view import typed_type
from tests.policies.plan_resources import plan_resource

HARDENED = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "hardened_resources.json").read_text(encoding="utf-8")
)
DROP = object()
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
KV_SECRETS_USER = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6"
OWNER = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"


def good(kind, name=None):
    """A deep copy of a hardened-fixture resource of `kind` (e.g. 'keyvault:Vault'), by name if given."""
    token = f"azure-native:{kind}"
    for resource in HARDENED:
        if resource["type"] == token and (name is None or resource["name"] == name):
            return copy.deepcopy(resource)
    raise LookupError(f"the hardened fixture has no {token} named {name!r}")


def new(kind, name, inputs, depends_on=()):
    return plan_resource(f"azure-native:{kind}", name, inputs, depends_on)


def changed(resource, path, value):
    """A copy of `resource` with inputs[path] (dotted, list indexes as digits) set to value or dropped."""
    resource = copy.deepcopy(resource)
    *parents, last = path.split(".")
    node = resource["inputs"]
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    if value is DROP:
        node.pop(last, None)
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return resource


def generic(resource_type, name, properties, *, api_version="2025-03-01-preview", parent_path="", **extra):
    """A resource declared through azure-native's generic Resource, ARM properties under `properties`."""
    return new(
        "resources:Resource",
        name,
        {
            "resourceProviderNamespace": "Microsoft.ApiManagement",
            "resourceType": resource_type,
            "resourceName": name,
            "parentResourcePath": parent_path,
            "apiVersion": api_version,
            "resourceGroupName": "rg-aoaigw-prod-gwc",
            "properties": properties,
            **extra,
        },
    )


def llm_diagnostic(message_bytes):
    llm: dict = {"logs": "enabled"}
    if message_bytes:
        llm["requests"] = llm["responses"] = {"messages": "all", "maxSizeInBytes": message_bytes}
    return generic("diagnostics", "azuremonitor", {"largeLanguageModel": llm}, parent_path="service/apim/apis/openai")


def policy_resource(kind, xml, name="policy"):
    return new(
        f"apimanagement:{kind}", name, {"apiId": "openai", "productId": "standard", "format": "rawxml", "value": xml}
    )


POLICY_TEMPLATE = """<policies>
    <inbound>{inbound}</inbound>
    <backend>{backend}</backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>"""
API_POLICY = good("apimanagement:ApiPolicy")
PRODUCT_POLICY = good("apimanagement:ProductPolicy")
API = good("apimanagement:Api")
PRODUCT = good("apimanagement:Product")
LINK = good("apimanagement:ProductApiLink")
VAULT = good("keyvault:Vault")
SECRET_OK = new(
    "keyvault:Secret",
    "tls",
    {
        "vaultName": "kv",
        "secretName": "tls",
        "properties": {
            "value": "[secret]",
            "contentType": "application/x-pkcs12",
            "attributes": {"expires": 1798761600},
        },
    },
)
NSG_RULE = {
    "name": "rdp",
    "priority": 100,
    "direction": "Inbound",
    "access": "Allow",
    "protocol": "Tcp",
    "sourceAddressPrefix": "0.0.0.0/0",
    "sourcePortRange": "*",
    "destinationAddressPrefix": "*",
    "destinationPortRanges": ["3380-3390"],
}
PE = good("network:PrivateEndpoint", "pe-kv-aoai-prod-swc")
ZONE_GROUP = good("network:PrivateDnsZoneGroup", "pe-kv-aoai-prod-swc-dns")
DIAG_KV = good("monitor:DiagnosticSetting", "diag-kv-aoai-prod-swc")

# What the gateway renders for prod's Entra ID team, as reviewers read it in the golden file.
ENTRA_POLICY = (
    Path(__file__).resolve().parents[1] / "fixtures" / "policies" / "golden" / "api-v1-entra-teams.xml"
).read_text(encoding="utf-8")
TENANT = "00000000-0000-0000-0000-0000000000bb"
PACK_CONFIG = Path(__file__).resolve().parents[2] / "policies" / "config"

# rule name -> (passing resources, failing resources, fragment expected in a failing message)
CASES = {
    "openai-local-auth-disabled": (
        [good("cognitiveservices:Account")],
        [changed(good("cognitiveservices:Account"), "properties.disableLocalAuth", False)],
        "disableLocalAuth",
    ),
    "openai-public-network-disabled": (
        [good("cognitiveservices:Account")],
        [changed(good("cognitiveservices:Account"), "properties.publicNetworkAccess", "Enabled")],
        "publicNetworkAccess is 'Enabled'",
    ),
    "openai-network-acl-deny": (
        [good("cognitiveservices:Account")],
        [changed(good("cognitiveservices:Account"), "properties.networkAcls.defaultAction", "Allow")],
        "defaultAction is 'Allow'",
    ),
    "openai-managed-identity": (
        [good("cognitiveservices:Account")],
        [changed(good("cognitiveservices:Account"), "identity.type", "None")],
        "identity.type is 'None'",
    ),
    "openai-custom-subdomain": (
        [good("cognitiveservices:Account")],
        [changed(good("cognitiveservices:Account"), "properties.customSubDomainName", DROP)],
        "customSubDomainName is not set",
    ),
    "openai-outbound-restricted": (
        [good("cognitiveservices:Account")],
        [changed(good("cognitiveservices:Account"), "properties.restrictOutboundNetworkAccess", DROP)],
        "restrictOutboundNetworkAccess",
    ),
    "openai-model-allow-list": (
        [good("cognitiveservices:Deployment")],
        [changed(good("cognitiveservices:Deployment"), "properties.model.version", "2024-05-13")],
        "'gpt-5.4:2024-05-13' is not on this stack's allow-list",
    ),
    "openai-deployment-version-pinned": (
        [good("cognitiveservices:Deployment")],
        [
            changed(
                good("cognitiveservices:Deployment"),
                "properties.versionUpgradeOption",
                "OnceNewDefaultVersionAvailable",
            )
        ],
        "versionUpgradeOption",
    ),
    "keyvault-rbac-authorization": (
        [VAULT],
        [changed(VAULT, "properties.enableRbacAuthorization", False)],
        "enableRbacAuthorization",
    ),
    "keyvault-purge-protection": (
        [VAULT],
        [changed(VAULT, "properties.enablePurgeProtection", DROP)],
        "enablePurgeProtection",
    ),
    "keyvault-soft-delete-retention": (
        [VAULT],
        [changed(VAULT, "properties.softDeleteRetentionInDays", 30)],
        "is 30; this stack requires between 90 and 90 days",
    ),
    "keyvault-public-network-disabled": (
        [VAULT],
        [changed(VAULT, "properties.publicNetworkAccess", "Enabled")],
        "publicNetworkAccess is 'Enabled'",
    ),
    "keyvault-network-acl-deny": (
        [VAULT],
        [changed(VAULT, "properties.networkAcls.defaultAction", "Allow")],
        "defaultAction is 'Allow'",
    ),
    "keyvault-secret-content-type": (
        [SECRET_OK],
        [changed(SECRET_OK, "properties.contentType", DROP)],
        "contentType is not set",
    ),
    "keyvault-secret-expiry": (
        [SECRET_OK],
        [changed(SECRET_OK, "properties.attributes", DROP)],
        "expires is not set",
    ),
    "role-assignment-no-privileged-roles": (
        [good("authorization:RoleAssignment")],
        [changed(good("authorization:RoleAssignment"), "roleDefinitionId", OWNER)],
        "grants 'Owner'",
    ),
    "role-assignment-principal-type": (
        [good("authorization:RoleAssignment")],
        [changed(good("authorization:RoleAssignment"), "principalType", DROP)],
        "principalType is not set",
    ),
    "role-assignment-resource-scope": (
        [good("authorization:RoleAssignment")],
        [changed(good("authorization:RoleAssignment"), "scope", SUB)],
        "assign roles on the resource",
    ),
    "apim-tls-legacy-protocols-disabled": (
        [
            changed(
                good("apimanagement:ApiManagementService"),
                "customProperties.Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10",
                "false",
            )
        ],
        [
            changed(
                good("apimanagement:ApiManagementService"),
                "customProperties",
                {"Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11": "true"},
            )
        ],
        "customProperties['Backend.Protocols.Tls11'] is 'true'",
    ),
    "apim-triple-des-disabled": (
        [good("apimanagement:ApiManagementService")],
        [changed(good("apimanagement:ApiManagementService"), "customProperties", {})],
        "Ciphers.TripleDes168",
    ),
    "apim-managed-identity": (
        [good("apimanagement:ApiManagementService")],
        [changed(good("apimanagement:ApiManagementService"), "identity", DROP)],
        "identity.type is None",
    ),
    "apim-vnet-mode": (
        [good("apimanagement:ApiManagementService")],
        [changed(good("apimanagement:ApiManagementService"), "virtualNetworkType", "External")],
        "virtualNetworkType is 'External'; this stack requires one of: Internal",
    ),
    "apim-public-network-access-disabled": (
        [changed(good("apimanagement:ApiManagementService"), "publicNetworkAccess", "Disabled")],
        [good("apimanagement:ApiManagementService")],
        "Azure rejects 'Disabled' when the service is created",
    ),
    "apim-min-api-version": (
        [good("apimanagement:ApiManagementService")],
        [changed(good("apimanagement:ApiManagementService"), "apiVersionConstraint.minApiVersion", "2019-01-01")],
        "minApiVersion is '2019-01-01'",
    ),
    "apim-api-https-only": (
        [API],
        [changed(API, "protocols", ["http", "https"])],
        "protocols includes http",
    ),
    "apim-api-subscription-required": (
        [changed(API, "subscriptionRequired", DROP)],
        [changed(API, "subscriptionRequired", False)],
        "subscriptionRequired is false",
    ),
    "apim-every-caller-limited": (
        [API_POLICY, PRODUCT_POLICY, policy_resource("ApiPolicy", ENTRA_POLICY)],
        [policy_resource("ApiPolicy", ENTRA_POLICY.replace("llm-token-limit", "trace-unlimited-caller", 1))],
        "meets no rate, quota or token limit afterwards",
    ),
    "apim-entra-validation-pinned": (
        [policy_resource("ApiPolicy", ENTRA_POLICY)],
        [policy_resource("ApiPolicy", ENTRA_POLICY.replace(TENANT, "common"))],
        "tenant-id is 'common'",
    ),
    "apim-named-value-key-vault": (
        [good("apimanagement:NamedValue", "appinsights-connection-string")],
        [
            new(
                "apimanagement:NamedValue",
                "search-key",
                {"displayName": "search-key", "secret": True, "value": "[secret]"},
            )
        ],
        "keyVault.secretIdentifier is not set",
    ),
    "apim-backend-tls-validation": (
        [good("apimanagement:Backend", "openai-swc")],
        [changed(good("apimanagement:Backend", "openai-swc"), "tls.validateCertificateName", False)],
        "tls.validateCertificateName is false",
    ),
    "apim-backend-https": (
        [good("apimanagement:Backend", "openai-swc")],
        [changed(good("apimanagement:Backend", "openai-swc"), "url", "http://oai.openai.azure.com/openai")],
        "point the backend at an https:// endpoint",
    ),
    "apim-backend-pool-shape": (
        [good("apimanagement:Backend", "openai-pool")],
        [changed(good("apimanagement:Backend", "openai-pool"), "protocol", "http")],
        "must not set protocol",
    ),
    "apim-backend-circuit-breaker": (
        [good("apimanagement:Backend", "openai-swc")],
        [changed(good("apimanagement:Backend", "openai-swc"), "circuitBreaker.rules.0.acceptRetryAfter", False)],
        "acceptRetryAfter",
    ),
    "apim-subscription-not-all-apis": (
        [good("apimanagement:Subscription")],
        [
            changed(
                good("apimanagement:Subscription"),
                "scope",
                f"{SUB}/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis",
            )
        ],
        "grants the key every API",
    ),
    "apim-subscription-tracing-disabled": (
        [good("apimanagement:Subscription")],
        [changed(good("apimanagement:Subscription"), "allowTracing", True)],
        "allowTracing is true",
    ),
    "apim-product-subscription-required": (
        [PRODUCT],
        [changed(PRODUCT, "subscriptionRequired", False)],
        "open product",
    ),
    "apim-policy-keeps-base": (
        [API_POLICY, PRODUCT_POLICY],
        [
            policy_resource(
                "ApiPolicy",
                POLICY_TEMPLATE.format(
                    inbound="<base />", backend='<base /><retry count="2" interval="1"><forward-request /></retry>'
                ),
            )
        ],
        "the request is sent twice",
    ),
    "apim-policy-no-literal-keys": (
        [API_POLICY, PRODUCT_POLICY],
        [
            policy_resource(
                "ProductPolicy",
                POLICY_TEMPLATE.format(
                    inbound='<base /><set-header name="Authorization" exists-action="override">'
                    "<value>Bearer not-a-named-value</value></set-header>",
                    backend="<base />",
                ),
            )
        ],
        '<set-header name="Authorization"> sets a literal value',
    ),
    "apim-api-rate-limited": (
        [API, PRODUCT, LINK, PRODUCT_POLICY],
        [
            API,
            policy_resource(
                "ApiPolicy",
                POLICY_TEMPLATE.format(inbound="<base /><set-backend-service backend-id='x' />", backend="<base />"),
            ),
        ],
        "rate-limit(-by-key)",
    ),
    "apim-diagnostic-payload-limited": (
        [good("apimanagement:Diagnostic")],
        [changed(good("apimanagement:Diagnostic"), "backend.response.body.bytes", 1024)],
        "backend.response.body.bytes is 1024",
    ),
    "apim-llm-messages-limited": (
        [llm_diagnostic(0)],
        [llm_diagnostic(32768)],
        "largeLanguageModel.requests.maxSizeInBytes is 32768",
    ),
    "generic-resource-shape-known": (
        [llm_diagnostic(0)],
        [changed(llm_diagnostic(0), "apiVersion", "2026-09-01-preview")],
        "microsoft.apimanagement/diagnostics at API version 2026-09-01-preview (the pack knows: 2025-03-01-preview)",
    ),
    "apim-logger-credentials-by-reference": (
        [
            good("apimanagement:Logger"),
            changed(
                good("apimanagement:Logger"),
                "credentials",
                {"connectionString": "{{appinsights-connection-string}}", "identityClientId": "SystemAssigned"},
            ),
        ],
        [
            changed(
                good("apimanagement:Logger"),
                "credentials",
                {"instrumentationKey": "4f6c1f0e-9a61-4b8e-a7b1-2f1c7d3e9a10"},
            )
        ],
        "credentials['instrumentationKey'] is a literal",
    ),
    "nsg-no-internet-management-ports": (
        [good("network:NetworkSecurityGroup", "nsg-agw-aoai-prod-swc")],
        [changed(good("network:NetworkSecurityGroup", "nsg-agw-aoai-prod-swc"), "securityRules", [NSG_RULE])],
        "allows 3389 from the internet",
    ),
    "nsg-no-internet-udp": (
        [good("network:NetworkSecurityGroup", "nsg-agw-aoai-prod-swc")],
        [
            changed(
                good("network:NetworkSecurityGroup", "nsg-agw-aoai-prod-swc"),
                "securityRules",
                [{**NSG_RULE, "protocol": "Udp", "destinationPortRanges": ["53"], "sourceAddressPrefix": "Internet"}],
            )
        ],
        "allows 'Udp' traffic from the internet",
    ),
    "nsg-no-internet-all-ports": (
        [good("network:NetworkSecurityGroup", "nsg-agw-aoai-prod-swc")],
        [
            changed(
                good("network:NetworkSecurityGroup", "nsg-agw-aoai-prod-swc"),
                "securityRules",
                [{**NSG_RULE, "destinationPortRanges": ["0-65535"], "sourceAddressPrefix": "*"}],
            )
        ],
        "allows every port from the internet",
    ),
    "subnet-has-nsg": (
        [
            good("network:Subnet", "snet-apim"),
            new("network:Subnet", "gateway", {"subnetName": "GatewaySubnet", "addressPrefix": "10.0.0.0/27"}),
        ],
        [changed(good("network:Subnet", "snet-apim"), "networkSecurityGroup", DROP)],
        "subnet 'snet-apim' has no networkSecurityGroup",
    ),
    "vnet-no-inline-subnets": (
        [good("network:VirtualNetwork")],
        [changed(good("network:VirtualNetwork"), "subnets", [{"name": "default", "addressPrefix": "10.20.9.0/24"}])],
        "declared inline",
    ),
    "public-ip-standard-static": (
        [good("network:PublicIPAddress")],
        [changed(good("network:PublicIPAddress"), "sku.name", "Basic")],
        "sku.name is 'Basic'",
    ),
    "private-endpoint-dns-zone-group": (
        [PE, ZONE_GROUP],
        [PE],
        "has no PrivateDnsZoneGroup",
    ),
    "private-dns-link-no-autoregistration": (
        [good("privatedns:VirtualNetworkLink")],
        [changed(good("privatedns:VirtualNetworkLink"), "registrationEnabled", True)],
        "registrationEnabled is true",
    ),
    "private-dns-records-private": (
        [good("privatedns:PrivateRecordSet")],
        [changed(good("privatedns:PrivateRecordSet"), "aRecords", [{"ipv4Address": "20.1.2.3"}])],
        "'20.1.2.3' is not a private address",
    ),
    "appgw-waf-v2-with-policy": (
        [good("network:ApplicationGateway")],
        [changed(good("network:ApplicationGateway"), "firewallPolicy", DROP)],
        "firewallPolicy.id is not set",
    ),
    "appgw-https-listeners": (
        [good("network:ApplicationGateway")],
        [changed(good("network:ApplicationGateway"), "requestRoutingRules.1.redirectConfiguration", DROP)],
        "listener 'http-redirect' uses 'Http'",
    ),
    "appgw-tls-policy-2022": (
        [
            changed(
                good("network:ApplicationGateway"),
                "sslPolicy",
                {"policyType": "CustomV2", "minProtocolVersion": "TLSv1_3"},
            )
        ],
        [
            changed(
                good("network:ApplicationGateway"),
                "sslPolicy",
                {"policyType": "Custom", "minProtocolVersion": "TLSv1_2"},
            )
        ],
        "sslPolicy is policyType 'Custom'",
    ),
    "appgw-key-vault-certificates": (
        [good("network:ApplicationGateway")],
        [
            changed(
                good("network:ApplicationGateway"),
                "sslCertificates",
                [{"name": "tls", "data": "[secret]", "password": "[secret]"}],
            )
        ],
        "certificate 'tls' is embedded",
    ),
    "appgw-backend-https": (
        [good("network:ApplicationGateway")],
        [changed(good("network:ApplicationGateway"), "backendHttpSettingsCollection.0.protocol", "Http")],
        "use 'Http'",
    ),
    "waf-policy-enabled": (
        [good("network:WebApplicationFirewallPolicy")],
        [changed(good("network:WebApplicationFirewallPolicy"), "policySettings.state", "Disabled")],
        "state is 'Disabled'",
    ),
    "waf-prevention-mode": (
        [good("network:WebApplicationFirewallPolicy")],
        [changed(good("network:WebApplicationFirewallPolicy"), "policySettings.mode", "Detection")],
        "mode is 'Detection'",
    ),
    "waf-request-body-check": (
        [good("network:WebApplicationFirewallPolicy")],
        [changed(good("network:WebApplicationFirewallPolicy"), "policySettings.requestBodyCheck", False)],
        "requestBodyCheck is not true",
    ),
    "waf-managed-rule-set": (
        [
            changed(
                good("network:WebApplicationFirewallPolicy"),
                "managedRules.managedRuleSets",
                [{"ruleSetType": "OWASP", "ruleSetVersion": "3.2"}],
            )
        ],
        [
            changed(
                good("network:WebApplicationFirewallPolicy"),
                "managedRules.managedRuleSets",
                [{"ruleSetType": "OWASP", "ruleSetVersion": "3.1"}],
            )
        ],
        "[OWASP 3.1]",
    ),
    "monitoring-diagnostic-settings-coverage": (
        [VAULT, {**DIAG_KV, "dependsOn": []}],
        [
            VAULT,
            {
                **changed(DIAG_KV, "resourceUri", f"{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/other"),
                "dependsOn": [],
            },
        ],
        "no DiagnosticSetting sends this resource's logs",
    ),
    "monitoring-diagnostic-setting-complete": (
        [DIAG_KV, good("monitor:DiagnosticSetting", "diag-nsg-agw-aoai-prod-swc")],
        [changed(DIAG_KV, "logs", [{"categoryGroup": "audit", "enabled": True}])],
        "categoryGroup 'allLogs'",
    ),
    "monitoring-app-insights-workspace-based": (
        [good("applicationinsights:Component")],
        [changed(good("applicationinsights:Component"), "ingestionMode", "ApplicationInsights")],
        "ingestionMode is 'ApplicationInsights'",
    ),
    "monitoring-workspace-retention": (
        [good("operationalinsights:Workspace")],
        [changed(good("operationalinsights:Workspace"), "retentionInDays", 30)],
        "retentionInDays is 30",
    ),
    "monitoring-workspace-local-auth-disabled": (
        [good("operationalinsights:Workspace")],
        [changed(good("operationalinsights:Workspace"), "features", DROP)],
        "disableLocalAuth",
    ),
    "monitoring-alerts-routed": (
        [good("monitor:MetricAlert"), good("monitor:ScheduledQueryRule")],
        [changed(good("monitor:ScheduledQueryRule"), "actions", {"actionGroups": []})],
        "notifies no action group",
    ),
    "monitoring-action-group-receivers": (
        [good("monitor:ActionGroup")],
        [changed(good("monitor:ActionGroup"), "emailReceivers", [])],
        "has no receivers",
    ),
    "tags-required": (
        [VAULT, good("cognitiveservices:Deployment")],
        [changed(VAULT, "tags.owner", DROP)],
        "tags lack owner",
    ),
    "locations-allowed": (
        [changed(VAULT, "location", "Sweden Central"), good("privatedns:PrivateZone")],
        [changed(VAULT, "location", "global")],
        "location is 'global'; this stack deploys only to",
    ),
    "naming-azure-constraints": (
        [VAULT, good("cognitiveservices:Account")],
        [changed(good("cognitiveservices:Account"), "properties.customSubDomainName", "OAI-Upper")],
        "customSubDomainName 'OAI-Upper' breaks Azure's naming rule",
    ),
}


def test_base_only_inside_a_choose_does_not_count():
    conditional = POLICY_TEMPLATE.format(
        inbound='<choose><when condition="@(true)"><base /></when></choose>', backend="<base />"
    )
    [violation] = _entry([policy_resource("ApiPolicy", conditional)], "apim-policy-keeps-base")["violations"]
    assert violation["message"].startswith("<inbound> has no <base />")


def _keyless_api(policy_xml):
    api = changed(API, "subscriptionRequired", False)
    return [api, policy_resource("ApiPolicy", policy_xml, name="keyless-policy") | {"dependsOn": [api["urn"]]}]


def test_a_keyless_api_passes_when_its_policy_validates_every_keyless_caller():
    assert _entry(_keyless_api(ENTRA_POLICY), "apim-api-subscription-required")["violations"] == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            lambda xml: xml.replace("<otherwise>", '<when condition="@(true)">').replace("</otherwise>", "</when>"),
            "an unknown caller falls through",
        ),
        (
            lambda xml: xml.replace("context.Subscription == null", "context.Subscription != null"),
            "the branch is not the keyless one",
        ),
    ],
    ids=["no-otherwise", "wrong-condition"],
)
def test_a_keyless_api_fails_when_some_keyless_caller_is_not_checked(change, why):
    changed_xml = change(ENTRA_POLICY)
    assert changed_xml != ENTRA_POLICY
    violations = _entry(_keyless_api(changed_xml), "apim-api-subscription-required")["violations"]
    assert violations, why


def test_a_product_branch_without_limits_is_reported():
    product = POLICY_TEMPLATE.format(
        inbound='<base /><choose><when condition="@(context.Subscription.Id == &quot;team-a&quot;)">'
        '<llm-token-limit counter-key="x" tokens-per-minute="5" estimate-prompt-tokens="true" /></when>'
        "<otherwise /></choose>",
        backend="<base />",
    )
    (violation,) = _entry([policy_resource("ProductPolicy", product)], "apim-every-caller-limited")["violations"]
    assert "admits a subscription without any rate, quota or token limit" in violation["message"]


def test_named_value_fed_by_a_secret_must_itself_be_secret():
    leaked = new("apimanagement:NamedValue", "key", {"displayName": "key", "secret": False, "value": "[secret]"})
    [violation] = _entry([leaked], "apim-named-value-key-vault")["violations"]
    assert "its value comes from a secret" in violation["message"]


def _entry(resources, name):
    report = evaluate(resources, stack="prod")
    return next(entry for entry in report["rules"] if entry["name"] == name)


def test_every_rule_has_a_passing_and_a_failing_case():
    assert sorted(CASES) == sorted(rule.name for rule in RULES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_passes(name):
    passing, _, _ = CASES[name]
    rule = RULES_BY_NAME[name]
    seen_as = {r["type"] for r in passing} | {typed_type(r["type"], r["inputs"]) for r in passing}
    assert seen_as & set(rule.resource_types), "the case checks nothing"
    entry = _entry(passing, name)
    assert entry["violations"] == []
    assert entry["skipped"] == [] and entry["notApplicable"] == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fails(name):
    _, failing, fragment = CASES[name]
    entry = _entry(failing, name)
    messages = [violation["message"] for violation in entry["violations"]]
    assert messages, f"{name} reported nothing"
    assert any(fragment in message for message in messages), messages


def test_the_account_rules_hold_the_content_safety_account_to_the_same_standard(tmp_path):
    safety = changed(good("cognitiveservices:Account"), "kind", "ContentSafety")
    weakened = changed(
        changed(safety, "properties.disableLocalAuth", False), "properties.publicNetworkAccess", "Enabled"
    )
    # Even where the OpenAI accounts may keep keys (api-key mode), Content Safety may not: APIM signs in as itself.
    config = json.loads((PACK_CONFIG / "prod.json").read_text(encoding="utf-8"))
    config["openai-local-auth-disabled"] = {"allowLocalAuth": True}
    (tmp_path / "keys.json").write_text(json.dumps(config), encoding="utf-8")
    report = evaluate([weakened], stack="prod", config_path=tmp_path / "keys.json")
    account_rules = {"openai-local-auth-disabled", "openai-public-network-disabled"}
    assert account_rules <= {entry["name"] for entry in report["rules"] if entry["violations"]}
    assert not {e["name"] for e in evaluate([safety], stack="prod")["rules"] if e["violations"]} & account_rules


def test_caller_paths_are_followed_without_listing_them():
    """Sixty optional steps make 3**60 paths: the rule follows states, so a long policy is checked whole."""
    step = (
        '<choose><when condition="@(true)"><set-header name="a" exists-action="delete" /></when>'
        '<when condition="@(false)"><set-header name="b" exists-action="delete" /></when></choose>'
    )
    validated = '<validate-azure-ad-token tenant-id="t"><client-application-ids /></validate-azure-ad-token>'
    limit = '<llm-token-limit counter-key="k" tokens-per-minute="5" estimate-prompt-tokens="true" />'
    for tail, violated in ((limit, False), ("", True)):
        xml = POLICY_TEMPLATE.format(inbound=f"<base />{validated}{step * 60}{tail}", backend="<base />")
        violations = _entry([policy_resource("ApiPolicy", xml)], "apim-every-caller-limited")["violations"]
        assert bool(violations) is violated
