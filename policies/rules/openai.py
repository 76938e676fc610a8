"""Rules for the Azure AI accounts (Azure OpenAI, Content Safety) and the model deployments."""

from __future__ import annotations

from ._model import ADVISORY, HIGH, LOW, MEDIUM, Concern
from ._props import dig, has_managed_identity, lower, names, text

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
CONCERN = Concern("openai")


@CONCERN.rule(
    "openai-local-auth-disabled",
    summary="Azure AI accounts (OpenAI, Content Safety) disable local (API key) authentication.",
    resource_types=(ACCOUNT,),
    severity=HIGH,
    remediation="Keep authMode: managedIdentity in Pulumi.<stack>.yaml (APIM then signs in as itself); "
    "api-key mode also needs allowLocalAuth in policies/config/<environment>.json.",
    sources=("Checkov CKV_AZURE_236", "Azure Policy 71ef260a-8f18-47b7-abcb-62d0673d94dc"),
    config_schema={"allowLocalAuth": {"type": "boolean", "default": False}},
)
def _local_auth_disabled(args, config):
    # api-key mode is a named opt-in on both sides: authMode in the stack, allowLocalAuth here. It is about the
    # OpenAI accounts only: APIM reaches Content Safety as its managed identity in either mode.
    if config["allowLocalAuth"] and lower(dig(args.props, "kind")) == "openai":
        return
    if dig(args.props, "properties", "disableLocalAuth") is not True:
        yield (
            "properties.disableLocalAuth is not true, so the account still accepts API keys; "
            "set it to true so only Entra ID tokens (APIM's managed identity) are accepted, or, for a stack "
            "that uses authMode apiKey on purpose, set allowLocalAuth in this rule's pack config."
        )


@CONCERN.rule(
    "openai-public-network-disabled",
    summary="Azure AI accounts (OpenAI, Content Safety) disable public network access (prod; advisory in dev).",
    resource_types=(ACCOUNT,),
    severity=HIGH,
    remediation="Set network.enabled: true and network.publicEndpoints: false in Pulumi.<stack>.yaml: the "
    "accounts are then reached through private endpoints.",
    sources=("Checkov CKV_AZURE_134", "Azure Policy 0725b4dd-7e76-479c-a735-68e7ee23d5ca"),
    stack_enforcement={"dev": ADVISORY},
)
def _public_network_disabled(args, config):
    value = dig(args.props, "properties", "publicNetworkAccess")
    if lower(value) != "disabled":
        yield (
            f"properties.publicNetworkAccess is {value!r}; set it to 'Disabled' and reach the account "
            "through its private endpoint."
        )


@CONCERN.rule(
    "openai-network-acl-deny",
    summary="Azure AI account (OpenAI, Content Safety) network ACLs deny by default (prod; advisory in dev).",
    resource_types=(ACCOUNT,),
    severity=HIGH,
    remediation="Set network.enabled: true and network.publicEndpoints: false in Pulumi.<stack>.yaml "
    "(the accounts' ACLs then deny by default).",
    sources=("Azure Policy 037eea7a-bd0a-46c5-9a66-03aea78705d3",),
    stack_enforcement={"dev": ADVISORY},
)
def _network_acl_deny(args, config):
    value = dig(args.props, "properties", "networkAcls", "defaultAction")
    if lower(value) != "deny":
        yield (
            f"properties.networkAcls.defaultAction is {value!r}; set it to 'Deny' so that only the "
            "listed networks (or private endpoints) reach the account."
        )


@CONCERN.rule(
    "openai-managed-identity",
    summary="Azure AI accounts (OpenAI, Content Safety) have a managed identity.",
    resource_types=(ACCOUNT,),
    severity=MEDIUM,
    remediation="Set identity.type='SystemAssigned'.",
    sources=("Checkov CKV_AZURE_238", "Azure Policy fe3fd216-4f83-4fc1-8984-2bbec80a3418"),
)
def _managed_identity(args, config):
    if not has_managed_identity(dig(args.props, "identity")):
        yield (
            f"identity.type is {dig(args.props, 'identity', 'type')!r}; set it to 'SystemAssigned' "
            "(or attach a user-assigned identity) so the account can reach Key Vault and storage without keys."
        )


@CONCERN.rule(
    "openai-custom-subdomain",
    summary="Azure AI accounts (OpenAI, Content Safety) set a custom subdomain (needed for Entra ID auth and "
    "private endpoints).",
    resource_types=(ACCOUNT,),
    severity=MEDIUM,
    remediation="Set properties.customSubDomainName to the account's globally unique name.",
)
def _custom_subdomain(args, config):
    if not text(dig(args.props, "properties", "customSubDomainName")):
        yield (
            "properties.customSubDomainName is not set; Entra ID authentication and private endpoints "
            "need a custom subdomain. Set it to the account's name."
        )


@CONCERN.rule(
    "openai-outbound-restricted",
    summary="Azure AI accounts (OpenAI, Content Safety) restrict outbound network access (data-loss prevention).",
    resource_types=(ACCOUNT,),
    severity=MEDIUM,
    remediation="Set properties.restrictOutboundNetworkAccess=True and list required hosts in "
    "properties.allowedFqdnList.",
    sources=("Checkov CKV_AZURE_247",),
)
def _outbound_restricted(args, config):
    if dig(args.props, "properties", "restrictOutboundNetworkAccess") is not True:
        yield (
            "properties.restrictOutboundNetworkAccess is not true; set it to true (and list any needed "
            "hosts in properties.allowedFqdnList) so prompts cannot be sent to arbitrary endpoints."
        )


@CONCERN.rule(
    "openai-model-allow-list",
    summary="Model deployments use only models on the stack's allow-list (pack config allowedModels).",
    resource_types=(DEPLOYMENT,),
    severity=HIGH,
    remediation="Deploy a model listed in allowedModels of policies/config/<environment>.json, or add the "
    "model there (as 'name' or 'name:version') after review.",
    sources=("Azure Policy aafe3651-cb78-4f68-9f81-e7e41509110f",),
    config_schema={
        "allowedModels": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Approved models as 'name' (any version) or 'name:version'. Empty denies all.",
        },
    },
)
def _model_allowed(args, config):
    allowed = [text(entry) for entry in config["allowedModels"] if text(entry)]
    model = dig(args.props, "properties", "model")
    name, version = text(dig(model, "name")), text(dig(model, "version"))
    if not allowed:
        yield (
            f"model {name!r} cannot be checked: allowedModels is empty in this stack's pack config "
            "(policies/config/<environment>.json); list the approved models there."
        )
        return
    if not name:
        yield "properties.model.name is not set; deploy a model from allowedModels."
        return
    accepted = {entry.lower() for entry in allowed}
    if name.lower() not in accepted and f"{name}:{version}".lower() not in accepted:
        shown = f"{name}:{version}" if version else name
        yield (
            f"model {shown!r} is not on this stack's allow-list ({names(allowed)}); deploy an approved "
            "model or add it to allowedModels in policies/config/<environment>.json after review."
        )


@CONCERN.rule(
    "openai-deployment-version-pinned",
    summary="Model deployments pin the model version and do not auto-upgrade to new defaults (prod; "
    "advisory in dev, which may track the latest default).",
    resource_types=(DEPLOYMENT,),
    severity=LOW,
    remediation="Set openaiBackends.<b>.deployments.<d>.version and versionUpgradeOption "
    "(OnceCurrentVersionExpired or NoAutoUpgrade) in Pulumi.<stack>.yaml.",
    stack_enforcement={"dev": ADVISORY},
)
def _version_pinned(args, config):
    version = text(dig(args.props, "properties", "model", "version"))
    upgrade = text(dig(args.props, "properties", "versionUpgradeOption"))
    if not version:
        yield "properties.model.version is not set; pin the model version so a plan says exactly what runs."
    if upgrade not in ("NoAutoUpgrade", "OnceCurrentVersionExpired"):
        yield (
            f"properties.versionUpgradeOption is {upgrade or None!r} (the service default upgrades as soon "
            "as a new default version ships); set 'OnceCurrentVersionExpired' or 'NoAutoUpgrade'."
        )
