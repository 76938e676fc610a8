"""The API Management service itself and the Key Vault-backed named values every other APIM piece reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim

from components.secrets import StoredSecret
from components.settings.models import ApimSettings
from components.shared import role_assignment

_SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security"
# Custom properties are strings; "False" switches a legacy protocol or cipher off for clients and backends.
HARDENED_CUSTOM_PROPERTIES: dict[str, str] = {
    f"{_SECURITY}.Protocols.Tls10": "False",
    f"{_SECURITY}.Protocols.Tls11": "False",
    f"{_SECURITY}.Protocols.Ssl30": "False",
    f"{_SECURITY}.Backend.Protocols.Tls10": "False",
    f"{_SECURITY}.Backend.Protocols.Tls11": "False",
    f"{_SECURITY}.Backend.Protocols.Ssl30": "False",
    f"{_SECURITY}.Ciphers.TripleDes168": "False",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2": "True",
}


def apim_service(
    name: str,
    *,
    service_name: str,
    resource_group_name: pulumi.Input[str],
    location: str,
    settings: ApimSettings,
    subnet_id: pulumi.Input[str] | None,
    tags: dict[str, str],
    protect: bool,
    parent: pulumi.Resource,
) -> apim.ApiManagementService:
    in_vnet = settings.virtual_network_type != "None"
    return apim.ApiManagementService(
        name,
        service_name=service_name,
        resource_group_name=resource_group_name,
        location=location,
        sku=apim.ApiManagementServiceSkuPropertiesArgs(name=settings.sku, capacity=settings.capacity),
        identity=apim.ApiManagementServiceIdentityArgs(type="SystemAssigned"),
        publisher_email=settings.publisher_email,
        publisher_name=settings.publisher_name,
        custom_properties=HARDENED_CUSTOM_PROPERTIES,
        # Older management API versions ignore newer security settings; refuse them.
        api_version_constraint=apim.ApiVersionConstraintArgs(min_api_version="2021-08-01"),
        virtual_network_type=settings.virtual_network_type,
        virtual_network_configuration=(
            apim.VirtualNetworkConfigurationArgs(subnet_resource_id=subnet_id) if in_vnet else None
        ),
        # Azure rejects "Disabled" while the service is created; private exposure comes from the
        # Internal VNet mode instead (see the advisory policy rule).
        public_network_access="Enabled",
        # Callers get keys from the stack outputs: no portal to publish or to secure.
        developer_portal_status="Disabled",
        legacy_portal_status="Disabled",
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


def key_vault_named_values(
    prefix: str,
    secrets: Mapping[str, StoredSecret],
    *,
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> dict[str, apim.NamedValue]:
    """Secrets reach APIM only as Key Vault references, each readable by APIM's identity alone."""
    named_values = {}
    for nv_name, secret in sorted(secrets.items()):
        reader = role_assignment(
            f"{prefix}-kv-reader-{nv_name}",
            role="Key Vault Secrets User",
            # Scoped to the one secret: APIM needs nothing else in the vault.
            scope=secret.id,
            principal_id=principal_id,
            subscription_id=subscription_id,
            parent=parent,
            description=f"APIM reads the named value {nv_name} from Key Vault.",
        )
        named_values[nv_name] = apim.NamedValue(
            f"{prefix}-nv-{nv_name}",
            named_value_id=nv_name,
            display_name=nv_name,
            secret=True,
            # Versionless URI: APIM picks up a rotated secret without a deployment.
            key_vault=apim.KeyVaultContractCreatePropertiesArgs(secret_identifier=secret.uri),
            tags=["key-vault"],
            **common,
            # Fails while APIM's identity cannot read the secret yet (role propagation can lag).
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[reader]),
        )
    return named_values
