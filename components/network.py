"""The stack's VNet: subnets for the Application Gateway, APIM and private endpoints, their NSGs, and private DNS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.network as network
import pulumi_azure_native.privatedns as privatedns

from components import nsg_rules
from components.apim.tiers import V2_INJECTION_DELEGATION, is_v2
from components.naming import Namer
from components.nsg_rules import NsgRule
from components.settings.models import NetworkSettings
from components.shared import Placement, PrivateLink, diagnostic_setting

OPENAI_DNS_ZONE = "privatelink.openai.azure.com"
KEY_VAULT_DNS_ZONE = "privatelink.vaultcore.azure.net"
# Azure AI services other than OpenAI (Content Safety) resolve through this zone.
COGNITIVE_SERVICES_DNS_ZONE = "privatelink.cognitiveservices.azure.com"


@dataclass
class NetworkArgs:
    placement: Placement
    settings: NetworkSettings
    namer: Namer
    apim_virtual_network_type: str
    workspace_id: pulumi.Input[str]
    apim_sku: str = "Developer"
    # Host names of an internal APIM by role (gateway, management...), each resolved by a zone of its own.
    apim_host_names: Mapping[str, str] = field(default_factory=dict)
    # A private zone for Azure AI services other than OpenAI (the Content Safety account), when there is one.
    cognitive_services_zone: bool = False


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
    # Private DNS zone ids by what resolves through them: openai, key-vault, cognitive-services (when asked for).
    dns_zone_ids: dict[str, pulumi.Output[str]]
    apim_dns_zone_names: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:network:Network", name, None, opts)
        namer, prefixes = args.namer, args.settings.subnets
        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=namer.name("virtual_network"),
            resource_group_name=args.placement.resource_group_name,
            location=args.placement.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[args.settings.address_space]),
            # Subnets are separate resources; azure-native keeps them when the VNet itself is updated.
            tags=args.placement.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        by_name = prefixes.model_dump()
        # Premium v2 injection: a subnet of its own, delegated to Microsoft.Web/hostingEnvironments.
        v2_injected = is_v2(args.apim_sku) and args.apim_virtual_network_type == "Internal"
        # key -> (name instance, prefix, NSG rule table, private endpoint network policies). Subnets are created one
        # after the other, APIM's first: it is on the deploy's critical path.
        plans = {
            "apim": ("apim", prefixes.apim, nsg_rules.APIM_V2 if v2_injected else nsg_rules.APIM, None),
            # NSG rules reach private endpoint NICs only with this policy on.
            "private-endpoints": (
                "pep",
                prefixes.private_endpoints,
                nsg_rules.PRIVATE_ENDPOINTS,
                "NetworkSecurityGroupEnabled",
            ),
            "app-gateway": ("agw", prefixes.app_gateway, nsg_rules.APP_GATEWAY, None),
        }
        subnets: dict[str, network.Subnet] = {}
        previous: network.Subnet | None = None
        for key, (instance, prefix, rules, endpoint_policies) in plans.items():
            nsg = network.NetworkSecurityGroup(
                f"{name}-nsg-{key}",
                network_security_group_name=namer.name("nsg", instance),
                resource_group_name=args.placement.resource_group_name,
                location=args.placement.location,
                security_rules=security_rules(rules, by_name, args.apim_virtual_network_type),
                tags=args.placement.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
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
                resource_group_name=args.placement.resource_group_name,
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
                delegations=(
                    [network.DelegationArgs(name="apim-v2-injection", service_name=V2_INJECTION_DELEGATION)]
                    if key == "apim" and v2_injected
                    else None
                ),
                # Azure refuses concurrent updates to subnets of one VNet: create them one at a time.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else None),
            )
            subnets[key] = previous = subnet

        zone_resources = {
            "openai": self._linked_zone(f"{name}-dns-openai", OPENAI_DNS_ZONE, vnet, args),
            # The edge's certificate may live in a vault outside this stack, whose name this privatelink zone
            # does not hold: fall back to public resolution instead of answering NXDOMAIN (API 2024-06-01+).
            "key-vault": self._linked_zone(f"{name}-dns-key-vault", KEY_VAULT_DNS_ZONE, vnet, args, "NxDomainRedirect"),
        }
        if args.cognitive_services_zone:
            zone_resources["cognitive-services"] = self._linked_zone(
                f"{name}-dns-cognitive-services", COGNITIVE_SERVICES_DNS_ZONE, vnet, args
            )
        # One zone per host name, not one for azure-api.net: ARM reserves that zone, and a zone that broad would
        # hide every other APIM instance's public name from the VNet (Azure/apim-landing-zone-accelerator#86).
        apim_zones = {
            role: self._linked_zone(f"{name}-dns-apim-{role}", host, vnet, args)
            for role, host in sorted(args.apim_host_names.items())
        }

        self.vnet_id = vnet.id
        self.app_gateway_subnet_id = subnets["app-gateway"].id
        self.apim_subnet_id = subnets["apim"].id
        self.private_endpoint_subnet_id = subnets["private-endpoints"].id
        self.dns_zone_ids = {key: zone.id for key, zone in zone_resources.items()}
        self.apim_dns_zone_names = {role: zone.name for role, zone in apim_zones.items()}
        self.register_outputs(
            {
                "vnetId": self.vnet_id,
                "appGatewaySubnetId": self.app_gateway_subnet_id,
                "apimSubnetId": self.apim_subnet_id,
                "privateEndpointSubnetId": self.private_endpoint_subnet_id,
                "dnsZoneIds": self.dns_zone_ids,
                "apimDnsZoneNames": self.apim_dns_zone_names,
            }
        )

    def private_link(self, zone: str) -> PrivateLink:
        """Where the private endpoint of a resource that resolves through `zone` (openai, key-vault,
        cognitive-services) goes."""
        return PrivateLink(subnet_id=self.private_endpoint_subnet_id, dns_zone_id=self.dns_zone_ids[zone])

    def _linked_zone(
        self,
        name: str,
        zone_name: str,
        vnet: network.VirtualNetwork,
        args: NetworkArgs,
        resolution_policy: str | None = None,
    ) -> privatedns.PrivateZone:
        zone = privatedns.PrivateZone(
            name,
            private_zone_name=zone_name,
            resource_group_name=args.placement.resource_group_name,
            location="global",
            tags=args.placement.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        privatedns.VirtualNetworkLink(
            f"{name}-link",
            virtual_network_link_name=args.namer.name("private_dns_link"),
            private_zone_name=zone.name,
            resource_group_name=args.placement.resource_group_name,
            location="global",
            virtual_network=privatedns.SubResourceArgs(id=vnet.id),
            # Records come from private endpoint zone groups and ApimPrivateDns, never from VM auto-registration.
            registration_enabled=False,
            resolution_policy=resolution_policy,
            tags=args.placement.tags,
            opts=pulumi.ResourceOptions(parent=zone),
        )
        return zone


@dataclass
class ApimPrivateDnsArgs:
    resource_group_name: pulumi.Input[str]
    zone_names: Mapping[str, pulumi.Input[str]]
    private_ip: pulumi.Input[str]


class ApimPrivateDns(pulumi.ComponentResource):
    """An internal APIM's host names pointed at its private IP: the apex record of each host's own zone."""

    def __init__(self, name: str, args: ApimPrivateDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:network:ApimPrivateDns", name, None, opts)
        for role, zone_name in sorted(args.zone_names.items()):
            privatedns.PrivateRecordSet(
                f"{name}-{role}",
                resource_group_name=args.resource_group_name,
                private_zone_name=zone_name,
                record_type="A",
                relative_record_set_name="@",
                ttl=300,
                a_records=[privatedns.ARecordArgs(ipv4_address=args.private_ip)],
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})
