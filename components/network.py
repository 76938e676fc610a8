"""The stack's VNet: subnets for the Application Gateway, APIM and private endpoints, their NSGs, and private DNS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.network as network
import pulumi_azure_native.privatedns as privatedns

from components import nsg_rules
from components.naming import Namer
from components.nsg_rules import NsgRule
from components.settings.models import NetworkSettings
from components.shared import diagnostic_setting

OPENAI_DNS_ZONE = "privatelink.openai.azure.com"
KEY_VAULT_DNS_ZONE = "privatelink.vaultcore.azure.net"
# An internal APIM answers only on its azure-api.net names, which public DNS resolves to nothing
# reachable; this zone, linked to the VNet, points them at the service's private IP.
APIM_DNS_ZONE = "azure-api.net"
# The host names classic APIM serves in a VNet, as labels under azure-api.net ("" is the gateway).
APIM_HOST_LABELS = ("", "portal", "developer", "management", "scm")


@dataclass
class NetworkArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    settings: NetworkSettings
    namer: Namer
    apim_virtual_network_type: str
    workspace_id: pulumi.Input[str] | None = None


def security_rules(
    rules: Sequence[NsgRule], prefixes: Mapping[str, str], virtual_network_type: str
) -> list[network.SecurityRuleArgs]:
    """A subnet's rule table as NSG rules, subnet placeholders filled in and mode-specific rows kept or dropped."""
    return [
        network.SecurityRuleArgs(
            name=rule.name,
            priority=rule.priority,
            direction=rule.direction,
            access=rule.access,
            protocol=rule.protocol,
            source_address_prefix=rule.source.format_map(prefixes),
            source_port_range="*",
            destination_address_prefix=rule.destination.format_map(prefixes),
            destination_port_range=rule.ports if "," not in rule.ports else None,
            destination_port_ranges=rule.ports.split(",") if "," in rule.ports else None,
            description=rule.description,
        )
        for rule in rules
        if rule.only_if in (None, virtual_network_type)
    ]


class Network(pulumi.ComponentResource):
    """VNet with one NSG per subnet and the private DNS zones private endpoints and APIM register in."""

    vnet_id: pulumi.Output[str]
    app_gateway_subnet_id: pulumi.Output[str]
    apim_subnet_id: pulumi.Output[str]
    private_endpoint_subnet_id: pulumi.Output[str]
    openai_dns_zone_id: pulumi.Output[str]
    key_vault_dns_zone_id: pulumi.Output[str]
    apim_dns_zone_name: pulumi.Output[str] | None

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:network:Network", name, None, opts)
        namer, prefixes = args.namer, args.settings.subnets
        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=namer.name("virtual_network"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[args.settings.address_space]),
            # Subnets are separate resources; azure-native keeps them when the VNet itself is updated.
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        by_name = prefixes.model_dump()
        # key -> (name instance, prefix, NSG rule table, private endpoint network policies)
        plans = {
            "app-gateway": ("agw", prefixes.app_gateway, nsg_rules.APP_GATEWAY, None),
            "apim": ("apim", prefixes.apim, nsg_rules.APIM, None),
            # NSG rules reach private endpoint NICs only with this policy on.
            "private-endpoints": (
                "pep",
                prefixes.private_endpoints,
                nsg_rules.PRIVATE_ENDPOINTS,
                "NetworkSecurityGroupEnabled",
            ),
        }
        subnets: dict[str, network.Subnet] = {}
        previous: network.Subnet | None = None
        for key, (instance, prefix, rules, endpoint_policies) in plans.items():
            nsg = network.NetworkSecurityGroup(
                f"{name}-nsg-{key}",
                network_security_group_name=namer.name("nsg", instance),
                resource_group_name=args.resource_group_name,
                location=args.location,
                security_rules=security_rules(rules, by_name, args.apim_virtual_network_type),
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            if args.workspace_id is not None:
                # NSGs export no metrics: ARM refuses AllMetrics on them ("Metric export is not enabled").
                diagnostic_setting(
                    f"{name}-nsg-{key}-diagnostics",
                    target_id=nsg.id,
                    workspace_id=args.workspace_id,
                    parent=self,
                    metrics=False,
                )
            subnet = network.Subnet(
                f"{name}-snet-{key}",
                subnet_name=namer.name("subnet", instance),
                resource_group_name=args.resource_group_name,
                virtual_network_name=vnet.name,
                address_prefix=prefix,
                network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
                private_endpoint_network_policies=endpoint_policies,
                # The gateway fetches its certificate from a vault outside this stack; a service endpoint
                # lets that vault's firewall admit this subnet without opening it to the internet.
                service_endpoints=(
                    [network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.KeyVault")]
                    if key == "app-gateway"
                    else None
                ),
                # Azure refuses concurrent updates to subnets of one VNet: create them one at a time.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else None),
            )
            subnets[key] = previous = subnet

        zones = {"openai": OPENAI_DNS_ZONE, "key-vault": KEY_VAULT_DNS_ZONE}
        if args.apim_virtual_network_type == "Internal":
            zones["apim"] = APIM_DNS_ZONE
        zone_resources = {key: self._linked_zone(f"{name}-dns-{key}", zone, vnet, args) for key, zone in zones.items()}

        self.vnet_id = vnet.id
        self.app_gateway_subnet_id = subnets["app-gateway"].id
        self.apim_subnet_id = subnets["apim"].id
        self.private_endpoint_subnet_id = subnets["private-endpoints"].id
        self.openai_dns_zone_id = zone_resources["openai"].id
        self.key_vault_dns_zone_id = zone_resources["key-vault"].id
        self.apim_dns_zone_name = zone_resources["apim"].name if "apim" in zone_resources else None
        self.register_outputs(
            {
                "vnetId": self.vnet_id,
                "appGatewaySubnetId": self.app_gateway_subnet_id,
                "apimSubnetId": self.apim_subnet_id,
                "privateEndpointSubnetId": self.private_endpoint_subnet_id,
                "openaiDnsZoneId": self.openai_dns_zone_id,
                "keyVaultDnsZoneId": self.key_vault_dns_zone_id,
                "apimDnsZoneName": self.apim_dns_zone_name,
            }
        )

    def _linked_zone(
        self, name: str, zone_name: str, vnet: network.VirtualNetwork, args: NetworkArgs
    ) -> privatedns.PrivateZone:
        zone = privatedns.PrivateZone(
            name,
            private_zone_name=zone_name,
            resource_group_name=args.resource_group_name,
            location="global",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        privatedns.VirtualNetworkLink(
            f"{name}-link",
            virtual_network_link_name=args.namer.name("private_dns_link"),
            private_zone_name=zone.name,
            resource_group_name=args.resource_group_name,
            location="global",
            virtual_network=privatedns.SubResourceArgs(id=vnet.id),
            # Records come from private endpoint zone groups and ApimPrivateDns, never from VM auto-registration.
            registration_enabled=False,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=zone),
        )
        return zone


@dataclass
class ApimPrivateDnsArgs:
    resource_group_name: pulumi.Input[str]
    zone_name: pulumi.Input[str]
    service_name: str
    private_ip: pulumi.Input[str]


class ApimPrivateDns(pulumi.ComponentResource):
    """A records for an internal APIM's host names, so the Application Gateway and the VNet resolve them."""

    gateway_host: pulumi.Output[str]

    def __init__(self, name: str, args: ApimPrivateDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:network:ApimPrivateDns", name, None, opts)
        records = {}
        for label in APIM_HOST_LABELS:
            key = label or "gateway"
            records[key] = privatedns.PrivateRecordSet(
                f"{name}-{key}",
                resource_group_name=args.resource_group_name,
                private_zone_name=args.zone_name,
                record_type="A",
                relative_record_set_name=f"{args.service_name}.{label}" if label else args.service_name,
                ttl=300,
                a_records=[privatedns.ARecordArgs(ipv4_address=args.private_ip)],
                opts=pulumi.ResourceOptions(parent=self),
            )
        # Derived from the record so that whoever uses the host name (the Edge backend) waits for it.
        self.gateway_host = pulumi.Output.all(records["gateway"].id, args.zone_name).apply(
            lambda values: f"{args.service_name}.{values[1]}"
        )
        self.register_outputs({"gatewayHost": self.gateway_host})
