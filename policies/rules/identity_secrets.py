"""Rules for Key Vault, its secrets and the role assignments that grant access."""

from __future__ import annotations

from ._model import ADVISORY, CRITICAL, HIGH, LOW, MEDIUM, Concern
from ._props import dig, leaf, lower, number, text

VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
CONCERN = Concern("identity-and-secrets")

# Built-in roles that can take over or re-delegate access to whatever they are scoped to.
_PRIVILEGED_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c6a72d9d": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}


@CONCERN.rule(
    "keyvault-rbac-authorization",
    summary="Key Vaults use the Azure RBAC permission model.",
    resource_types=(VAULT,),
    severity=HIGH,
    remediation="Set properties.enableRbacAuthorization=True, drop accessPolicies and grant "
    "data-plane roles with RoleAssignment resources.",
    sources=("Azure Policy 12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5",),
)
def _rbac_authorization(args, config):
    if dig(args.props, "properties", "enableRbacAuthorization") is not True:
        yield (
            "properties.enableRbacAuthorization is not true, so access policies (not Entra RBAC) "
            "govern the vault; set it to true and grant roles such as 'Key Vault Secrets User'."
        )


@CONCERN.rule(
    "keyvault-purge-protection",
    summary="Key Vaults enable purge protection (prod; advisory in dev, which must stay re-creatable).",
    resource_types=(VAULT,),
    severity=HIGH,
    remediation="Set properties.enablePurgeProtection=True (it cannot be turned off again).",
    sources=("Checkov CKV_AZURE_110", "Azure Policy 0b60c0b2-2dc2-4e1c-b5c9-abbed971de53"),
    # Only prod turns purge protection on: dev and test stacks must stay destroyable.
    stack_enforcement={"dev": ADVISORY, "test": ADVISORY},
)
def _purge_protection(args, config):
    if dig(args.props, "properties", "enablePurgeProtection") is not True:
        yield (
            "properties.enablePurgeProtection is not true: a deleted vault and its secrets could be "
            "purged before the retention period ends; set it to true."
        )


@CONCERN.rule(
    "keyvault-soft-delete-retention",
    summary="Key Vaults keep soft delete on with a retention inside the stack's range "
    "(pack config minimumDays..maximumDays).",
    resource_types=(VAULT,),
    severity=MEDIUM,
    remediation="Leave properties.enableSoftDelete unset or true and set "
    "properties.softDeleteRetentionInDays within the configured range (Azure allows 7 to 90).",
    sources=("Checkov CKV_AZURE_42", "Azure Policy 1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d"),
    config_schema={
        "minimumDays": {"type": "integer", "minimum": 7, "maximum": 90, "default": 30},
        "maximumDays": {"type": "integer", "minimum": 7, "maximum": 90, "default": 90},
    },
)
def _soft_delete_retention(args, config):
    low, high = config["minimumDays"], config["maximumDays"]
    if dig(args.props, "properties", "enableSoftDelete") is False:
        yield "properties.enableSoftDelete is false; remove it or set it to true."
    days = number(dig(args.props, "properties", "softDeleteRetentionInDays"))
    if days is None:
        yield (f"properties.softDeleteRetentionInDays is not set; set it explicitly between {low:g} and {high:g} days.")
    elif not low <= days <= high:
        yield (
            f"properties.softDeleteRetentionInDays is {days:g}; this stack requires between {low:g} and {high:g} days."
        )


@CONCERN.rule(
    "keyvault-public-network-disabled",
    summary="Key Vaults disable public network access (prod; advisory in dev).",
    resource_types=(VAULT,),
    severity=HIGH,
    remediation="Set network.enabled: true and network.publicEndpoints: false in Pulumi.<stack>.yaml: the "
    "vault is then reached through its private endpoint.",
    sources=("Checkov CKV_AZURE_189", "Azure Policy 405c5871-3e91-4644-8a63-58e19d68ff5b"),
    stack_enforcement={"dev": ADVISORY},
)
def _public_network_disabled(args, config):
    value = dig(args.props, "properties", "publicNetworkAccess")
    if lower(value) != "disabled":
        yield (
            f"properties.publicNetworkAccess is {value!r}; set it to 'Disabled' and reach the vault "
            "through its private endpoint."
        )


@CONCERN.rule(
    "keyvault-network-acl-deny",
    summary="Key Vault firewalls deny by default (prod; advisory in dev).",
    resource_types=(VAULT,),
    severity=MEDIUM,
    remediation="Set properties.networkAcls={'defaultAction': 'Deny', 'bypass': 'AzureServices'}.",
    sources=("Checkov CKV_AZURE_109", "Azure Policy 55615ac9-af46-4a59-874e-391cc3dfb490"),
    stack_enforcement={"dev": ADVISORY},
)
def _network_acl_deny(args, config):
    value = dig(args.props, "properties", "networkAcls", "defaultAction")
    if lower(value) != "deny":
        yield (
            f"properties.networkAcls.defaultAction is {value!r}; set it to 'Deny' (bypass "
            "'AzureServices' keeps trusted services such as APIM and App Gateway working)."
        )


@CONCERN.rule(
    "keyvault-secret-content-type",
    summary="Key Vault secrets declare a content type.",
    resource_types=(SECRET,),
    severity=LOW,
    remediation="Set properties.contentType, e.g. 'text/plain'.",
    sources=("Checkov CKV_AZURE_114",),
)
def _secret_content_type(args, config):
    if not text(dig(args.props, "properties", "contentType")):
        yield (
            "properties.contentType is not set; say what the secret holds (for example "
            "'text/plain' or 'application/x-pkcs12') so readers and rotation jobs can tell."
        )


@CONCERN.rule(
    "keyvault-secret-expiry",
    summary="Key Vault secrets carry an expiry date. Advisory everywhere: an expiry without "
    "automated rotation turns into a gateway outage, so it is a prompt, not a gate.",
    resource_types=(SECRET,),
    severity=LOW,
    remediation="Set properties.attributes.expires (Unix seconds) and own the rotation, or accept "
    "the advisory with a note in the component's docs.",
    sources=("Checkov CKV_AZURE_41", "Azure Policy 98728c90-32c7-4049-8429-847dc0f4fe37"),
    enforcement=ADVISORY,
)
def _secret_expiry(args, config):
    if dig(args.props, "properties", "attributes", "expires") is None:
        yield (
            "properties.attributes.expires is not set; give the secret an expiry date and a rotation "
            "owner, or record why it cannot expire."
        )


@CONCERN.rule(
    "role-assignment-no-privileged-roles",
    summary="Role assignments never grant Owner, Contributor or access-administration roles "
    "(pack config forbiddenRoleDefinitionIds).",
    resource_types=(ROLE_ASSIGNMENT,),
    severity=CRITICAL,
    remediation="Use the narrowest built-in data-plane role (Key Vault Secrets User, Cognitive "
    "Services OpenAI User, ...).",
    config_schema={
        "forbiddenRoleDefinitionIds": {
            "type": "array",
            "items": {"type": "string"},
            "default": sorted(_PRIVILEGED_ROLES),
            "description": "Role definition GUIDs that must never be assigned by this program.",
        },
    },
)
def _no_privileged_roles(args, config):
    forbidden = {lower(role) for role in config["forbiddenRoleDefinitionIds"]}
    role = leaf(dig(args.props, "roleDefinitionId"))
    if role in forbidden:
        label = _PRIVILEGED_ROLES.get(role, role)
        yield (
            f"roleDefinitionId grants {label!r} ({role}); grant the narrowest data-plane role instead, "
            "for example 'Key Vault Secrets User' or 'Cognitive Services OpenAI User'."
        )


@CONCERN.rule(
    "role-assignment-principal-type",
    summary="Role assignments state the principal type.",
    resource_types=(ROLE_ASSIGNMENT,),
    severity=LOW,
    remediation="Set principalType='ServicePrincipal' for managed identities.",
)
def _principal_type(args, config):
    if not text(dig(args.props, "principalType")):
        yield (
            "principalType is not set; set it (e.g. 'ServicePrincipal' for managed identities) so ARM "
            "does not fail with PrincipalNotFound while a new identity replicates."
        )


@CONCERN.rule(
    "role-assignment-resource-scope",
    summary="Role assignments are scoped to a single resource, not a resource group or wider.",
    resource_types=(ROLE_ASSIGNMENT,),
    severity=MEDIUM,
    remediation="Pass the target resource's id (vault, OpenAI account) as scope.",
)
def _resource_scope(args, config):
    scope = dig(args.props, "scope")
    parts = [part for part in lower(scope).split("/") if part]
    if parts[:1] != ["subscriptions"] or "providers" not in parts:
        yield (
            f"scope is {scope!r}; assign roles on the resource that needs them "
            "(the vault, the OpenAI account), not on a resource group, subscription or management group."
        )
