"""Key Vault (RBAC, soft delete, purge protection) and the secrets the gateway reads through named values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.keyvault as keyvault

from components.shared import Placement, PrivateLink, diagnostic_setting, private_endpoint


@dataclass(frozen=True)
class SecretValue:
    """A secret to store: the value stays a Pulumi secret end to end; content type says what it is."""

    value: pulumi.Input[str]
    content_type: str


@dataclass(frozen=True)
class StoredSecret:
    """A secret in the vault: its resource id (for a role scoped to it) and its versionless URI."""

    id: pulumi.Output[str]
    uri: pulumi.Output[str]


@dataclass
class SecretsArgs:
    vault_name: str
    placement: Placement
    tenant_id: pulumi.Input[str]
    workspace_id: pulumi.Input[str]
    secrets: Mapping[str, SecretValue] = field(default_factory=dict)
    public_network_access: bool = False
    soft_delete_retention_days: int = 90
    # Irreversible: once on, a deleted vault's name stays taken for the retention period.
    purge_protection: bool = True
    private_link: PrivateLink | None = None
    protect: bool = False


class Secrets(pulumi.ComponentResource):
    """One vault per stack; callers get versionless secret URIs so a rotated secret is picked up without a deploy."""

    vault_id: pulumi.Output[str]
    vault_uri: pulumi.Output[str]
    stored: dict[str, StoredSecret]

    def __init__(self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:secrets:Secrets", name, None, opts)
        private = not args.public_network_access
        vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.vault_name,
            resource_group_name=args.placement.resource_group_name,
            location=args.placement.location,
            tags=args.placement.tags,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.soft_delete_retention_days,
                # ARM refuses false here ("cannot be disabled"); leaving it out is how it stays off.
                enable_purge_protection=True if args.purge_protection else None,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                public_network_access="Disabled" if private else "Enabled",
                network_acls=keyvault.NetworkRuleSetArgs(
                    # Private vaults deny everything but their private endpoint and trusted Azure
                    # services (APIM among them) that come through the bypass.
                    default_action="Deny" if private else "Allow",
                    bypass="AzureServices",
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.stored = {}
        for secret_name, secret in sorted(args.secrets.items()):
            stored = keyvault.Secret(
                f"{name}-{secret_name}",
                secret_name=secret_name,
                vault_name=vault.name,
                resource_group_name=args.placement.resource_group_name,
                tags=args.placement.tags,
                properties=keyvault.SecretPropertiesArgs(
                    value=pulumi.Output.secret(secret.value),
                    content_type=secret.content_type,
                    attributes=keyvault.SecretAttributesArgs(enabled=True),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.stored[secret_name] = StoredSecret(id=stored.id, uri=stored.properties.secret_uri)
        diagnostic_setting(f"{name}-vault-diag", target_id=vault.id, workspace_id=args.workspace_id, parent=self)
        if args.private_link is not None:
            private_endpoint(
                f"{name}-vault-pe",
                target_name=args.vault_name,
                target_id=vault.id,
                group_id="vault",
                link=args.private_link,
                placement=args.placement,
                parent=self,
            )
        self.vault_id = vault.id
        self.vault_uri = vault.properties.vault_uri
        self.register_outputs({"vaultId": self.vault_id, "vaultUri": self.vault_uri})
