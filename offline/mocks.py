"""Mock Azure: answers resource registrations and function calls the way Azure Resource Manager would."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from policies.rules.plan_markers import SECRET, UNKNOWN
from policies.rules.typed_view import GENERIC, SERVICE, typed_type

SUBSCRIPTION_ID = "00000000-0000-0000-0000-0000000000aa"
TENANT_ID = "00000000-0000-0000-0000-0000000000bb"
DEPLOYER_OBJECT_ID = "00000000-0000-0000-0000-0000000000cc"

_APIM_SERVICE = "Microsoft.ApiManagement/service/{serviceName}"
_ARM_INPUT = re.compile(r"\{(\w+)\}")
# type token -> the resource's ARM path below its resource group; {input} stands for that input (else the name).
_ARM_PATHS: dict[str, str] = {
    "cognitiveservices:Account": "Microsoft.CognitiveServices/accounts/{accountName}",
    "cognitiveservices:Deployment": "Microsoft.CognitiveServices/accounts/{accountName}/deployments/{deploymentName}",
    "keyvault:Vault": "Microsoft.KeyVault/vaults/{vaultName}",
    "keyvault:Secret": "Microsoft.KeyVault/vaults/{vaultName}/secrets/{secretName}",
    "managedidentity:UserAssignedIdentity": "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
    "apimanagement:ApiManagementService": _APIM_SERVICE,
    "apimanagement:Api": _APIM_SERVICE + "/apis/{apiId}",
    "apimanagement:ApiPolicy": _APIM_SERVICE + "/apis/{apiId}/policies/{policyId}",
    "apimanagement:ApiDiagnostic": _APIM_SERVICE + "/apis/{apiId}/diagnostics/{diagnosticId}",
    "apimanagement:Diagnostic": _APIM_SERVICE + "/diagnostics/{diagnosticId}",
    "apimanagement:NamedValue": _APIM_SERVICE + "/namedValues/{namedValueId}",
    "apimanagement:Backend": _APIM_SERVICE + "/backends/{backendId}",
    "apimanagement:Logger": _APIM_SERVICE + "/loggers/{loggerId}",
    "apimanagement:Product": _APIM_SERVICE + "/products/{productId}",
    "apimanagement:ProductApiLink": _APIM_SERVICE + "/products/{productId}/apiLinks/{apiLinkId}",
    "apimanagement:ProductPolicy": _APIM_SERVICE + "/products/{productId}/policies/{policyId}",
    "apimanagement:Subscription": _APIM_SERVICE + "/subscriptions/{sid}",
    "network:VirtualNetwork": "Microsoft.Network/virtualNetworks/{virtualNetworkName}",
    "network:Subnet": "Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}",
    "network:NetworkSecurityGroup": "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}",
    "network:PublicIPAddress": "Microsoft.Network/publicIPAddresses/{publicIpAddressName}",
    "network:ApplicationGateway": "Microsoft.Network/applicationGateways/{applicationGatewayName}",
    "network:WebApplicationFirewallPolicy": (
        "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/{policyName}"
    ),
    "network:PrivateEndpoint": "Microsoft.Network/privateEndpoints/{privateEndpointName}",
    "network:PrivateDnsZoneGroup": (
        "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}"
    ),
    "privatedns:PrivateZone": "Microsoft.Network/privateDnsZones/{privateZoneName}",
    "privatedns:VirtualNetworkLink": (
        "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}"
    ),
    "privatedns:PrivateRecordSet": (
        "Microsoft.Network/privateDnsZones/{privateZoneName}/{recordType}/{relativeRecordSetName}"
    ),
    "operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces/{workspaceName}",
    "applicationinsights:Component": "Microsoft.Insights/components/{resourceName}",
    "applicationinsights:Workbook": "Microsoft.Insights/workbooks/{resourceName}",
    "monitor:ActionGroup": "Microsoft.Insights/actionGroups/{actionGroupName}",
    "monitor:MetricAlert": "Microsoft.Insights/metricAlerts/{ruleName}",
    "monitor:ScheduledQueryRule": "Microsoft.Insights/scheduledQueryRules/{ruleName}",
}


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def fake_guid(*parts: str) -> str:
    return str(uuid.UUID(_digest(*parts)[:32]))


def fake_key(*parts: str) -> str:
    """A value shaped like an Azure access key; tests look for it in plain text."""
    return _digest("key", *parts)[:32]


def arm_id(type_token: str, inputs: Mapping[str, Any], name: str) -> str:
    short = type_token.removeprefix("azure-native:")
    group = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{inputs.get('resourceGroupName', 'rg-mock')}"
    if short == "resources:ResourceGroup":
        return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{inputs.get('resourceGroupName', name)}"
    if short == "authorization:RoleAssignment":
        assignment = inputs.get("roleAssignmentName", name)
        return f"{inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{assignment}"
    if short == "monitor:DiagnosticSetting":
        return f"{inputs['resourceUri']}/providers/Microsoft.Insights/diagnosticSettings/{inputs.get('name', name)}"
    if short == "resources:Resource":
        # A generic resource: ARM's path from its namespace, parent path, type and name.
        parent_path = str(inputs.get("parentResourcePath") or "").strip("/")
        path = "/".join(
            part for part in (parent_path, inputs.get("resourceType"), inputs.get("resourceName", name)) if part
        )
        return f"{group}/providers/{inputs['resourceProviderNamespace']}/{path}"
    if short not in _ARM_PATHS:
        return f"/subscriptions/{SUBSCRIPTION_ID}/providers/mock/{short}/{name}"
    path = _ARM_INPUT.sub(lambda found: f"{inputs.get(found[1], name)}", _ARM_PATHS[short])
    return f"{group}/providers/{path}"


class AzureMocks(pulumi.runtime.Mocks):
    """Returns what Azure would: ARM ids, identities, endpoints and keys derived from the inputs."""

    def __init__(self) -> None:
        super().__init__()
        # Subnet id -> prefix, so an internal APIM gets a private IP from its own subnet.
        self._subnets: dict[str, str] = {}

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = plain(args.inputs)
        if not args.custom:
            return None, inputs
        if not args.typ.startswith("azure-native:"):
            # Other providers (pulumiverse-time's Sleep): their outputs are their inputs.
            return args.name, inputs
        short = args.typ.removeprefix("azure-native:")
        resource_id = arm_id(args.typ, inputs, args.name)
        state = {**inputs, "id": resource_id, "name": resource_id.rsplit("/", 1)[-1]}
        if short == "network:Subnet":
            self._subnets[resource_id] = str(inputs.get("addressPrefix", "10.0.0.0/24"))
        _add_outputs(short, resource_id, inputs, state, self._subnets)
        return resource_id, state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self._answer(args.token.removeprefix("azure-native:"), plain(args.args)), []

    def _answer(self, token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if token == "authorization:getClientConfig":
            return {
                "clientId": fake_guid("client"),
                "objectId": DEPLOYER_OBJECT_ID,
                "subscriptionId": SUBSCRIPTION_ID,
                "tenantId": TENANT_ID,
            }
        if token == "cognitiveservices:listAccountKeys":
            account = str(inputs.get("accountName"))
            return {"key1": fake_key(account, "1"), "key2": fake_key(account, "2")}
        if token == "apimanagement:listSubscriptionSecrets":
            sid = str(inputs.get("sid"))
            return {"primaryKey": fake_key(sid, "primary"), "secondaryKey": fake_key(sid, "secondary")}
        raise NotImplementedError(f"the mock engine does not know the function azure-native:{token}")


def _add_outputs(
    short: str, resource_id: str, inputs: Mapping[str, Any], state: dict[str, Any], subnets: Mapping[str, str]
) -> None:
    identity = inputs.get("identity")
    if isinstance(identity, Mapping) and isinstance(identity.get("userAssignedIdentities"), list):
        # Requests list the identity ids; Azure answers with a map of id -> that identity's ids.
        state["identity"] = identity = {
            **identity,
            "userAssignedIdentities": {
                str(uid): {"principalId": fake_guid("principal", str(uid)), "clientId": fake_guid("client", str(uid))}
                for uid in identity["userAssignedIdentities"]
            },
        }
    if isinstance(identity, Mapping) and "SystemAssigned" in str(identity.get("type", "")):
        state["identity"] = {
            **identity,
            "principalId": fake_guid("principal", resource_id),
            "tenantId": TENANT_ID,
        }
    name = state["name"]
    props = dict(inputs.get("properties") or {})
    if short == "cognitiveservices:Account":
        subdomain = props.get("customSubDomainName", name)
        # Azure answers an OpenAI account with its openai.azure.com endpoint, other kinds (Content Safety) with
        # the Cognitive Services one.
        domain = "openai.azure.com" if inputs.get("kind") == "OpenAI" else "cognitiveservices.azure.com"
        props["endpoint"] = f"https://{subdomain}.{domain}/"
        props["provisioningState"] = "Succeeded"
        state["properties"] = props
    elif short == "keyvault:Vault":
        props["vaultUri"] = f"https://{name}.vault.azure.net/"
        state["properties"] = props
    elif short == "keyvault:Secret":
        vault = inputs.get("vaultName")
        props["secretUri"] = f"https://{vault}.vault.azure.net/secrets/{name}"
        props["secretUriWithVersion"] = f"{props['secretUri']}/{_digest(resource_id)[:32]}"
        props.pop("value", None)  # Azure never returns a secret's value from the management plane
        state["properties"] = props
    elif short == "apimanagement:ApiManagementService":
        state.update(_apim_outputs(name, resource_id, inputs, subnets))
    elif short == "resources:Resource" and typed_type(GENERIC, inputs) == SERVICE:
        # The generic resource returns the service's own properties under `properties`.
        state["properties"] = {**props, **_apim_outputs(name, resource_id, props, subnets)}
    elif short == "managedidentity:UserAssignedIdentity":
        state["principalId"] = fake_guid("principal", resource_id)
        state["clientId"] = fake_guid("client", resource_id)
        state["tenantId"] = TENANT_ID
    elif short == "operationalinsights:Workspace":
        state["customerId"] = fake_guid("workspace", resource_id)
    elif short == "applicationinsights:Component":
        key = fake_guid("ikey", resource_id)
        state["instrumentationKey"] = key
        state["appId"] = fake_guid("appid", resource_id)
        state["connectionString"] = (
            f"InstrumentationKey={key};IngestionEndpoint=https://{inputs.get('location', 'eastus')}"
            ".in.applicationinsights.azure.com/"
        )
    elif short == "network:PublicIPAddress":
        state["ipAddress"] = _public_ip(resource_id)
        dns = inputs.get("dnsSettings")
        if isinstance(dns, Mapping) and dns.get("domainNameLabel"):
            state["dnsSettings"] = {
                **dns,
                "fqdn": f"{dns['domainNameLabel']}.{inputs.get('location', 'eastus')}.cloudapp.azure.com",
            }


def _apim_outputs(name: str, resource_id: str, props: Mapping[str, Any], subnets: Mapping[str, str]) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "gatewayUrl": f"https://{name}.azure-api.net",
        "developerPortalUrl": f"https://{name}.developer.azure-api.net",
        "managementApiUrl": f"https://{name}.management.azure-api.net",
    }
    if props.get("virtualNetworkType") == "Internal":
        subnet = str((props.get("virtualNetworkConfiguration") or {}).get("subnetResourceId", ""))
        # Azure hands out the first usable address after its five reserved ones.
        outputs["privateIPAddresses"] = [str(ipaddress.ip_network(subnets.get(subnet, "10.0.0.0/24"))[5])]
    else:
        outputs["publicIPAddresses"] = [_public_ip(resource_id)]
    return outputs


def _public_ip(seed: str) -> str:
    value = int(_digest(seed)[:4], 16)
    return f"20.{value >> 8 & 0xFF}.{value & 0xFF}.{(value % 250) + 1}"


def plain(value: Any) -> Any:
    """Inputs as the mock reads them: what `rpc.deserialize_properties` makes of the wire form under the mock
    engine (not a preview), with the SDK's secret wrappers removed so outputs are computed from the real values.
    Unknowns become None and object keys whose value is None are left out; on values the SDK has already
    deserialised (the plain path) only the secret wrappers change."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return plain(value.get("value"))
        return {key: item for key, raw in value.items() if (item := plain(raw)) is not None}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return None if value == rpc.UNKNOWN else value


class RecordingMonitor(MockMonitor):
    """Also records parent, dependencies and wire-form inputs, which only the monitor sees: each resource as
    resources.json lists it."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack's type out of its children's URNs; the stock mock does not.
        if parent.split("::")[2:3] == ["pulumi:pulumi:Stack"]:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = {
            "urn": response.urn,
            "type": request.type,
            "name": request.name,
            "parent": request.parent,
            "dependsOn": sorted(set(request.dependencies)),
            "inputs": redact(json_format.MessageToDict(request.object)),
        }
        with self._lock:
            self.registrations[response.urn] = registration
        return response


def redact(value: Any) -> Any:
    """Wire form for resources.json: secrets become "[secret]", whole floats become ints."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET
        return {k: redact(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == rpc.UNKNOWN:
        return UNKNOWN
    return value
