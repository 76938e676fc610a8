"""The API Management service itself and the Key Vault-backed named values every other APIM piece reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim
import pulumi_azure_native.resources as resources

from components.apim.tiers import PREVIEW_API_VERSION, is_v2
from components.secrets import StoredSecret
from components.settings.models import ApimSettings
from components.shared import Placement, after_grants, role_assignment

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
# Older management API versions ignore newer security settings; clients must use at least this one.
MIN_MANAGEMENT_API_VERSION = "2021-08-01"


def host_names(service_name: str, sku: str) -> dict[str, str]:
    """The service's host names by role, known before it exists: the edge's backend and the VNet's DNS need them.
    Classic tiers also serve management and scm (Git) endpoints; v2 tiers only the gateway. The developer and
    legacy portals are off, so their hosts are not listed."""
    hosts = {"gateway": f"{service_name}.azure-api.net"}
    if not is_v2(sku):
        hosts["management"] = f"{service_name}.management.azure-api.net"
        hosts["scm"] = f"{service_name}.scm.azure-api.net"
    return hosts


@dataclass(frozen=True)
class ApimService:
    """API Management as the rest of the program sees it, whichever resource type declared it."""

    id: pulumi.Output[str]
    name: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    # The first private address (internal VNet modes); "" when the service has none.
    private_ip: pulumi.Output[str]


def apim_service(
    name: str,
    *,
    service_name: str,
    placement: Placement,
    settings: ApimSettings,
    subnet_id: pulumi.Input[str] | None,
    protect: bool,
    parent: pulumi.Resource,
) -> ApimService:
    """Classic tiers through the typed SDK (API 2024-05-01); v2 tiers through a generic resource at the API
    version that knows PremiumV2 and zone redundancy (tiers.PREVIEW_API_VERSION)."""
    opts = pulumi.ResourceOptions(parent=parent, protect=protect)
    if is_v2(settings.sku):
        return _v2_service(name, service_name, placement, settings, subnet_id, opts)
    in_vnet = settings.virtual_network_type != "None"
    service = apim.ApiManagementService(
        name,
        service_name=service_name,
        resource_group_name=placement.resource_group_name,
        location=placement.location,
        sku=apim.ApiManagementServiceSkuPropertiesArgs(name=settings.sku, capacity=settings.capacity),
        identity=apim.ApiManagementServiceIdentityArgs(type="SystemAssigned"),
        publisher_email=settings.publisher_email,
        publisher_name=settings.publisher_name,
        custom_properties=HARDENED_CUSTOM_PROPERTIES,
        # Older management API versions ignore newer security settings; refuse them.
        api_version_constraint=apim.ApiVersionConstraintArgs(min_api_version=MIN_MANAGEMENT_API_VERSION),
        virtual_network_type=settings.virtual_network_type,
        virtual_network_configuration=(
            apim.VirtualNetworkConfigurationArgs(subnet_resource_id=subnet_id) if in_vnet else None
        ),
        # Gateway units in more regions (classic Premium), each with its own subnet when the service is injected.
        additional_locations=[
            apim.AdditionalLocationArgs(
                location=region,
                sku=apim.ApiManagementServiceSkuPropertiesArgs(name=settings.sku, capacity=extra.capacity),
                zones=list(extra.zones) or None,
                virtual_network_configuration=(
                    apim.VirtualNetworkConfigurationArgs(subnet_resource_id=extra.subnet_resource_id)
                    if in_vnet
                    else None
                ),
            )
            for region, extra in sorted(settings.additional_locations.items())
        ]
        or None,
        # Azure rejects "Disabled" while the service is created; private exposure comes from the
        # Internal VNet mode instead (see the advisory policy rule).
        public_network_access="Enabled",
        # Callers get keys from the stack outputs: no portal to publish or to secure.
        developer_portal_status="Disabled",
        legacy_portal_status="Disabled",
        tags=placement.tags,
        opts=opts,
    )
    return ApimService(
        id=service.id,
        name=service.name,
        gateway_url=service.gateway_url,
        principal_id=service.identity.apply(lambda identity: identity.principal_id if identity else ""),
        private_ip=service.private_ip_addresses.apply(lambda ips: (ips or [""])[0]),
    )


def _v2_service(
    name: str,
    service_name: str,
    placement: Placement,
    settings: ApimSettings,
    subnet_id: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
) -> ApimService:
    # Property names as in Microsoft.ApiManagement/service of 2025-03-01-preview (ApiManagementServiceProperties).
    properties: dict[str, Any] = {
        "publisherEmail": settings.publisher_email,
        "publisherName": settings.publisher_name,
        "customProperties": HARDENED_CUSTOM_PROPERTIES,
        "apiVersionConstraint": {"minApiVersion": MIN_MANAGEMENT_API_VERSION},
        "virtualNetworkType": settings.virtual_network_type,
        "publicNetworkAccess": "Enabled",
        # v2 tiers never had the legacy portal; the developer portal stays off.
        "developerPortalStatus": "Disabled",
        # Only at creation, in a region with availability zones.
        "zoneRedundant": settings.zone_redundant,
    }
    if settings.virtual_network_type != "None":
        properties["virtualNetworkConfiguration"] = {"subnetResourceId": subnet_id}
    service = resources.Resource(
        name,
        resource_provider_namespace="Microsoft.ApiManagement",
        parent_resource_path="",
        resource_type="service",
        resource_name_=service_name,
        api_version=PREVIEW_API_VERSION,
        resource_group_name=placement.resource_group_name,
        location=placement.location,
        sku=resources.SkuArgs(name=settings.sku, capacity=settings.capacity),
        identity=resources.IdentityArgs(type=resources.ResourceIdentityType.SYSTEM_ASSIGNED),
        properties=properties,
        tags=placement.tags,
        opts=opts,
    )
    returned = service.properties.apply(lambda value: value if isinstance(value, dict) else {})
    return ApimService(
        id=service.id,
        # The resource's own output, so that everything naming the service also waits for it.
        name=service.name,
        gateway_url=returned.apply(lambda p: str(p.get("gatewayUrl") or f"https://{service_name}.azure-api.net")),
        principal_id=service.identity.apply(lambda identity: (identity.principal_id if identity else None) or ""),
        private_ip=returned.apply(lambda p: (p.get("privateIPAddresses") or [""])[0]),
    )


def key_vault_named_values(
    prefix: str,
    secrets: Mapping[str, StoredSecret],
    *,
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    role_propagation_seconds: int,
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> dict[str, apim.NamedValue]:
    """Secrets reach APIM only as Key Vault references, each readable by APIM's identity alone."""
    readers = {
        nv_name: role_assignment(
            f"{prefix}-kv-reader-{nv_name}",
            role="Key Vault Secrets User",
            # Scoped to the one secret: APIM needs nothing else in the vault.
            scope=secret.id,
            principal_id=principal_id,
            subscription_id=subscription_id,
            parent=parent,
            description=f"APIM reads the named value {nv_name} from Key Vault.",
        )
        for nv_name, secret in sorted(secrets.items())
    }
    # Creating a Key Vault-backed named value fails while APIM's identity cannot read the secret yet.
    granted = after_grants(
        f"{prefix}-kv-readers-applied", list(readers.values()), seconds=role_propagation_seconds, parent=parent
    )
    return {
        nv_name: apim.NamedValue(
            f"{prefix}-nv-{nv_name}",
            named_value_id=nv_name,
            display_name=nv_name,
            secret=True,
            # Versionless URI: APIM picks up a rotated secret without a deployment.
            key_vault=apim.KeyVaultContractCreatePropertiesArgs(secret_identifier=secret.uri),
            tags=["key-vault"],
            **common,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=granted),
        )
        for nv_name, secret in sorted(secrets.items())
    }
