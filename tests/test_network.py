"""Network under mocks: every subnet behind an NSG, nothing management-facing open to the internet, DNS linked."""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pytest

from components.apim.service import host_names
from components.naming import Namer
from components.network import (
    KEY_VAULT_DNS_ZONE,
    OPENAI_DNS_ZONE,
    ApimPrivateDns,
    ApimPrivateDnsArgs,
    Network,
    NetworkArgs,
)
from components.settings import Settings
from components.shared import Placement
from offline.engine import PlanResult, run_program
from tests.conftest import of_type, with_overrides
from tests.test_config import settings_for

WORKSPACE_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"
TAGS = {"environment": "test", "managedBy": "pulumi"}
APIM_IP = "10.20.1.5"
SERVICE = "apim-aoaigw-prod-swc-abcde"
# Ports that manage a host or a service; never reachable from the internet.
MANAGEMENT_PORTS = {22, 3389, 3443, *range(65200, 65536)}
ANYWHERE = {"Internet", "*", "Any", "0.0.0.0/0"}


def _run(stack: str, settings: Settings, mode: str, config: dict[str, Any], sku: str = "Premium") -> PlanResult:
    namer = Namer(settings.workload, settings.environment, stack, settings.location, settings.name_suffix)

    def program() -> None:
        net = Network(
            "network",
            NetworkArgs(
                placement=Placement(resource_group_name="rg-aoaigw-test", location=settings.location, tags=TAGS),
                settings=settings.network,
                namer=namer,
                apim_virtual_network_type=mode,
                apim_sku=sku,
                apim_host_names=host_names(SERVICE, sku) if mode == "Internal" else {},
                workspace_id=WORKSPACE_ID,
            ),
        )
        for key in (
            "vnet_id",
            "app_gateway_subnet_id",
            "apim_subnet_id",
            "private_endpoint_subnet_id",
        ):
            pulumi.export(key, getattr(net, key))
        pulumi.export("dns_zone_ids", net.dns_zone_ids)
        pulumi.export("apim_dns_zone_names", net.apim_dns_zone_names)
        if net.apim_dns_zone_names:
            ApimPrivateDns(
                "apim-dns",
                ApimPrivateDnsArgs(
                    resource_group_name="rg-aoaigw-test", zone_names=net.apim_dns_zone_names, private_ip=APIM_IP
                ),
            )

    return run_program(stack, config=config, program=program)


@pytest.fixture(scope="module")
def prod() -> Settings:
    return settings_for("prod")


@pytest.fixture(scope="module")
def internal(prod: Settings) -> PlanResult:
    return _run("prod", prod, "Internal", with_overrides("prod"))


@pytest.fixture(scope="module")
def external() -> PlanResult:
    overrides: dict[str, Any] = {"network": {"enabled": True}, "apim": {"virtualNetworkType": "External"}}
    return _run("dev", settings_for("dev", **overrides), "External", with_overrides("dev", **overrides))


def nsg_rules(result: PlanResult, instance: str) -> list[dict[str, Any]]:
    nsgs = of_type(result, "network:NetworkSecurityGroup")
    (nsg,) = [n for n in nsgs if n["inputs"]["networkSecurityGroupName"].endswith(f"-{instance}")]
    rules: list[dict[str, Any]] = nsg["inputs"]["securityRules"]
    return rules


def ports(rule: dict[str, Any]) -> set[int]:
    found: set[int] = set()
    for text in [rule.get("destinationPortRange"), *rule.get("destinationPortRanges", [])]:
        if text is None:
            continue
        if text == "*":
            return set(range(0, 65536))
        low, _, high = str(text).partition("-")
        found.update(range(int(low), int(high or low) + 1))
    return found


def allowed_inbound(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rules if r["direction"] == "Inbound" and r["access"] == "Allow"]


def test_every_subnet_has_its_own_nsg(internal: PlanResult) -> None:
    subnets = of_type(internal, "network:Subnet")
    nsgs = of_type(internal, "network:NetworkSecurityGroup")
    assert len(subnets) == 3 and len(nsgs) == 3
    attached = [s["inputs"]["networkSecurityGroup"]["id"] for s in subnets]
    assert len(set(attached)) == 3
    names = {n["inputs"]["networkSecurityGroupName"] for n in nsgs}
    assert {a.rsplit("/", 1)[-1] for a in attached} == names


def test_subnets_match_config_and_are_created_one_at_a_time(internal: PlanResult, prod: Settings) -> None:
    by_key = {s["name"].removeprefix("network-snet-"): s for s in of_type(internal, "network:Subnet")}
    expected = {
        "app-gateway": prod.network.subnets.app_gateway,
        "apim": prod.network.subnets.apim,
        "private-endpoints": prod.network.subnets.private_endpoints,
    }
    assert {k: s["inputs"]["addressPrefix"] for k, s in by_key.items()} == expected
    # One at a time, APIM's first (it is on the deploy's critical path).
    assert not [urn for urn in by_key["apim"]["dependsOn"] if ":Subnet::" in urn]
    assert by_key["apim"]["urn"] in by_key["private-endpoints"]["dependsOn"]
    assert by_key["private-endpoints"]["urn"] in by_key["app-gateway"]["dependsOn"]
    # NSG rules only reach private endpoint NICs with network policies on.
    assert by_key["private-endpoints"]["inputs"]["privateEndpointNetworkPolicies"] == "NetworkSecurityGroupEnabled"
    (vnet,) = of_type(internal, "network:VirtualNetwork")
    assert vnet["inputs"]["addressSpace"]["addressPrefixes"] == [prod.network.address_space]


@pytest.mark.parametrize("mode", ["internal", "external"])
def test_nothing_management_facing_is_open_to_the_internet(mode: str, request: pytest.FixtureRequest) -> None:
    result: PlanResult = request.getfixturevalue(mode)
    nsgs = of_type(result, "network:NetworkSecurityGroup")
    assert len(nsgs) == 3, "one NSG per subnet"
    from_anywhere = 0
    for nsg in nsgs:
        for rule in allowed_inbound(nsg["inputs"]["securityRules"]):
            if rule["sourceAddressPrefix"] in ANYWHERE:
                from_anywhere += 1
                assert not ports(rule) & MANAGEMENT_PORTS, (nsg["name"], rule["name"])
                assert ports(rule) <= {80, 443}, (nsg["name"], rule["name"])
            # Azure's load balancer probe address is the one platform source that may reach any port.
            if rule["sourceAddressPrefix"] == "AzureLoadBalancer":
                continue
            if ports(rule) & set(range(65200, 65536)):
                assert rule["sourceAddressPrefix"] == "GatewayManager", (nsg["name"], rule["name"])
            if 3443 in ports(rule):
                assert rule["sourceAddressPrefix"] == "ApiManagement", (nsg["name"], rule["name"])
            if ports(rule) & {22, 3389}:
                raise AssertionError(f"{nsg['name']}/{rule['name']} opens a remote-login port")
    # The Application Gateway takes clients from the internet: the internet-facing checks above did run.
    assert from_anywhere > 0


@pytest.mark.parametrize("mode", ["internal", "external"])
def test_every_nsg_ends_in_an_explicit_deny(mode: str, request: pytest.FixtureRequest) -> None:
    result: PlanResult = request.getfixturevalue(mode)
    nsgs = of_type(result, "network:NetworkSecurityGroup")
    assert len(nsgs) == 3, "one NSG per subnet"
    for nsg in nsgs:
        inbound = sorted(
            (r for r in nsg["inputs"]["securityRules"] if r["direction"] == "Inbound"), key=lambda r: r["priority"]
        )
        last = inbound[-1]
        assert (last["access"], last["sourceAddressPrefix"], last["destinationPortRange"]) == ("Deny", "*", "*")
        priorities = [(r["direction"], r["priority"]) for r in nsg["inputs"]["securityRules"]]
        assert len(priorities) == len(set(priorities)), nsg["name"]


def test_app_gateway_subnet_admits_clients_and_its_infrastructure(internal: PlanResult) -> None:
    rules = allowed_inbound(nsg_rules(internal, "agw"))
    by_source: dict[str, set[int]] = {}
    for rule in rules:
        by_source.setdefault(rule["sourceAddressPrefix"], set()).update(ports(rule))
    assert by_source["Internet"] == {80, 443}
    assert by_source["GatewayManager"] == set(range(65200, 65536))
    assert "AzureLoadBalancer" in by_source
    assert set(by_source) == {"Internet", "GatewayManager", "AzureLoadBalancer"}
    # Application Gateway v2 must keep internet egress.
    assert not [r for r in nsg_rules(internal, "agw") if r["direction"] == "Outbound"]


def test_internal_apim_subnet_takes_nothing_from_the_internet(internal: PlanResult, prod: Settings) -> None:
    rules = nsg_rules(internal, "apim")
    inbound = allowed_inbound(rules)
    assert not [r for r in inbound if r["sourceAddressPrefix"] in ANYWHERE]
    sources = {(r["sourceAddressPrefix"], p) for r in inbound for p in ports(r) if p in {443, 3443, 6390}}
    assert sources == {
        ("ApiManagement", 3443),
        ("AzureLoadBalancer", 6390),
        (prod.network.subnets.app_gateway, 443),
    }
    outbound = {(r["destinationAddressPrefix"], p) for r in rules if r["direction"] == "Outbound" for p in ports(r)}
    needed = {("Storage", 443), ("Sql", 1433), ("AzureKeyVault", 443), ("AzureMonitor", 1886), ("AzureMonitor", 443)}
    assert needed <= outbound


def test_external_apim_subnet_admits_https_from_the_internet(external: PlanResult) -> None:
    internet = [r for r in allowed_inbound(nsg_rules(external, "apim")) if r["sourceAddressPrefix"] == "Internet"]
    assert [ports(r) for r in internet] == [{443}]


def test_private_endpoints_serve_https_to_the_vnet_only(internal: PlanResult, prod: Settings) -> None:
    inbound = allowed_inbound(nsg_rules(internal, "pep"))
    assert [(r["sourceAddressPrefix"], ports(r)) for r in inbound] == [("VirtualNetwork", {443})]
    assert ipaddress.ip_network(inbound[0]["destinationAddressPrefix"]) == ipaddress.ip_network(
        prod.network.subnets.private_endpoints
    )


CLASSIC_HOSTS = {
    "apim-aoaigw-prod-swc-abcde.azure-api.net",
    "apim-aoaigw-prod-swc-abcde.management.azure-api.net",
    "apim-aoaigw-prod-swc-abcde.scm.azure-api.net",
}


def test_private_dns_zones_are_linked_to_the_vnet(internal: PlanResult, external: PlanResult) -> None:
    for result, expected in (
        (internal, {OPENAI_DNS_ZONE, KEY_VAULT_DNS_ZONE, *CLASSIC_HOSTS}),
        (external, {OPENAI_DNS_ZONE, KEY_VAULT_DNS_ZONE}),
    ):
        zones = of_type(result, "privatedns:PrivateZone")
        assert {z["inputs"]["privateZoneName"] for z in zones} == expected
        assert {z["inputs"]["location"] for z in zones} == {"global"}
        (vnet,) = of_type(result, "network:VirtualNetwork")
        links = of_type(result, "privatedns:VirtualNetworkLink")
        assert len(links) == len(zones)
        for zone in zones:
            (link,) = [lk for lk in links if lk["parent"] == zone["urn"]]
            assert link["inputs"]["privateZoneName"] == zone["inputs"]["privateZoneName"]
            assert link["inputs"]["registrationEnabled"] is False
            assert vnet["urn"] in link["dependsOn"]
            vnet_name = vnet["inputs"]["virtualNetworkName"]
            assert link["inputs"]["virtualNetwork"]["id"].endswith(f"/virtualNetworks/{vnet_name}")


def test_internal_apim_host_names_resolve_to_its_private_ip(internal: PlanResult) -> None:
    """One zone per host name with an apex record: never a zone for all of azure-api.net (ARM reserves that
    name, and it would hide every other APIM instance's public name from the VNet)."""
    records = of_type(internal, "privatedns:PrivateRecordSet")
    assert {r["inputs"]["privateZoneName"] for r in records} == CLASSIC_HOSTS
    for record in records:
        assert record["inputs"]["recordType"] == "A"
        assert record["inputs"]["relativeRecordSetName"] == "@"
        assert record["inputs"]["aRecords"] == [{"ipv4Address": APIM_IP}]
    assert "azure-api.net" not in {z["inputs"]["privateZoneName"] for z in of_type(internal, "privatedns:PrivateZone")}


def test_the_vault_zone_falls_back_to_public_resolution(internal: PlanResult) -> None:
    """An external vault (the edge's certificate) is not in this privatelink zone; its name must still resolve."""
    links = {lk["inputs"]["privateZoneName"]: lk["inputs"] for lk in of_type(internal, "privatedns:VirtualNetworkLink")}
    assert links[KEY_VAULT_DNS_ZONE]["resolutionPolicy"] == "NxDomainRedirect"
    assert [zone for zone, link in links.items() if "resolutionPolicy" in link] == [KEY_VAULT_DNS_ZONE]


def test_outputs(internal: PlanResult, external: PlanResult) -> None:
    out = internal.outputs
    assert out["vnet_id"].endswith("/virtualNetworks/vnet-aoaigw-prod-gwc")
    assert out["app_gateway_subnet_id"].endswith("/subnets/snet-aoaigw-prod-gwc-agw")
    assert out["apim_subnet_id"].endswith("/subnets/snet-aoaigw-prod-gwc-apim")
    assert out["private_endpoint_subnet_id"].endswith("/subnets/snet-aoaigw-prod-gwc-pep")
    assert set(out["dns_zone_ids"]) == {"openai", "key-vault"}
    assert out["dns_zone_ids"]["openai"].endswith(f"/privateDnsZones/{OPENAI_DNS_ZONE}")
    assert out["dns_zone_ids"]["key-vault"].endswith(f"/privateDnsZones/{KEY_VAULT_DNS_ZONE}")
    assert set(out["apim_dns_zone_names"]) == {"gateway", "management", "scm"}
    assert external.outputs["apim_dns_zone_names"] == {}


def test_nsg_logs_go_to_the_workspace_without_metrics(internal: PlanResult) -> None:
    settings = of_type(internal, "monitor:DiagnosticSetting")
    assert len(settings) == 3, "one diagnostic setting per NSG"
    nsg_ids = {f"{n['inputs']['networkSecurityGroupName']}" for n in of_type(internal, "network:NetworkSecurityGroup")}
    assert {s["inputs"]["resourceUri"].rsplit("/", 1)[-1] for s in settings} == nsg_ids
    for setting in settings:
        assert setting["inputs"]["workspaceId"] == WORKSPACE_ID
        assert setting["inputs"]["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
        assert "metrics" not in setting["inputs"]


def test_children_are_parented_and_tagged(internal: PlanResult) -> None:
    components = {r["urn"] for r in internal.resources() if r["type"].startswith("aoai-gateway:")}
    untaggable = ("network:Subnet", "privatedns:PrivateRecordSet", "monitor:DiagnosticSetting")
    children = [r for r in internal.resources() if not r["type"].startswith("aoai-gateway:")]
    taggable = [r for r in children if not r["type"].endswith(untaggable)]
    assert components and taggable, "no component or no taggable child: the checks below would pass on nothing"
    for resource in children:
        assert resource["parent"] in components or resource["type"].endswith("VirtualNetworkLink"), resource["name"]
    for resource in taggable:
        assert resource["inputs"]["tags"] == TAGS, resource["name"]


def test_app_gateway_subnet_reaches_the_certificate_vault_through_a_service_endpoint(prod_plan: PlanResult) -> None:
    endpoints = {
        s["inputs"]["subnetName"]: s["inputs"].get("serviceEndpoints") for s in of_type(prod_plan, "network:Subnet")
    }
    assert len(endpoints) == 3, "the other subnets are checked too"
    (app_gateway,) = [name for name in endpoints if "-agw" in name]
    assert endpoints[app_gateway] == [{"service": "Microsoft.KeyVault"}]
    assert all(value is None for name, value in endpoints.items() if name != app_gateway)


@pytest.fixture(scope="module")
def injected_v2(prod: Settings) -> PlanResult:
    return _run("prod", prod, "Internal", with_overrides("prod"), sku="PremiumV2")


def test_premium_v2_injection_has_its_delegated_subnet_nsg_and_one_dns_zone(injected_v2: PlanResult) -> None:
    (subnet,) = [s for s in of_type(injected_v2, "network:Subnet") if s["name"] == "network-snet-apim"]
    assert subnet["inputs"]["delegations"] == [
        {"name": "apim-v2-injection", "serviceName": "Microsoft.Web/hostingEnvironments"}
    ]
    rules = nsg_rules(injected_v2, "apim")
    outbound = {
        (r["destinationAddressPrefix"], r["destinationPortRange"]) for r in rules if r["direction"] == "Outbound"
    }
    assert ("Storage", "443") in outbound, "the one outbound rule Microsoft requires for Premium v2 injection"
    inbound = allowed_inbound(rules)
    assert inbound, "the gateway and the load balancer reach the units"
    assert {r["sourceAddressPrefix"] for r in inbound} == {"10.20.0.0/24", "AzureLoadBalancer"}, (
        "the Application Gateway subnet and the load balancer only: v2 is managed from outside the VNet"
    )
    zones = {z["inputs"]["privateZoneName"] for z in of_type(injected_v2, "privatedns:PrivateZone")}
    assert zones == {OPENAI_DNS_ZONE, KEY_VAULT_DNS_ZONE, f"{SERVICE}.azure-api.net"}, "v2 serves the gateway only"


def test_classic_injection_needs_no_delegation(internal: PlanResult) -> None:
    subnets = of_type(internal, "network:Subnet")
    assert len(subnets) == 3
    assert all("delegations" not in s["inputs"] for s in subnets)
