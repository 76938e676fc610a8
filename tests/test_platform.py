"""The APIM platform: Premium v2 injected through a newer API version, classic multi-region, LLM logs, the
deploy's critical path on paper, and a policy pack that sees generic resources as what they are."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.deploy_time import critical_path
from offline.engine import PlanResult
from policies.offline import evaluate
from tests.conftest import of_type, plan_for, with_overrides
from tests.test_config import refused

SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-net-frc/providers/Microsoft.Network/"
    "virtualNetworks/vnet-frc/subnets/snet-apim"
)
CLASSIC_MULTI_REGION: dict[str, Any] = {
    "apim": {
        "sku": "Premium",
        "capacity": 2,
        "zoneRedundant": False,
        "additionalLocations": {"francecentral": {"capacity": 2, "zones": ["1", "2"], "subnetResourceId": SUBNET}},
    }
}


def violated(report: dict[str, Any]) -> set[str]:
    return {r["name"] for r in report["rules"] if r["violations"] and r["enforcementLevel"] == "mandatory"}


def generics(result: PlanResult, resource_type: str) -> list[dict[str, Any]]:
    return [r["inputs"] for r in of_type(result, "resources:Resource") if r["inputs"]["resourceType"] == resource_type]


def generic(result: PlanResult, resource_type: str) -> dict[str, Any]:
    (found,) = generics(result, resource_type)
    return found


# ---------------------------------------------------------------- tiers the settings refuse


@pytest.mark.parametrize(
    ("apim", "expected"),
    [
        (
            {"additionalLocations": {"francecentral": {"capacity": 1}}},
            "aoai-gateway:apim.additionalLocations.francecentral = 'francecentral': gateway units in more regions "
            "exist only on classic Premium, not PremiumV2; choose sku Premium or remove additionalLocations",
        ),
        (
            {"sku": "Premium", "zoneRedundant": False, "additionalLocations": {"germanywestcentral": {"capacity": 1}}},
            "aoai-gateway:apim.additionalLocations.germanywestcentral = 'germanywestcentral': is the primary location "
            "already; list only the other regions",
        ),
        (
            {"sku": "Premium", "zoneRedundant": False, "additionalLocations": {"francecentral": {"capacity": 1}}},
            "aoai-gateway:apim.additionalLocations.francecentral.subnetResourceId = '': an injected (Internal) "
            "service needs a subnet in francecentral for its units there",
        ),
        (
            {
                "sku": "Premium",
                "zoneRedundant": False,
                "additionalLocations": {
                    "francecentral": {"capacity": 3, "zones": ["1", "2"], "subnetResourceId": SUBNET}
                },
            },
            'aoai-gateway:apim.additionalLocations.francecentral.zones = ["1", "2"]: 2 zones must divide capacity 3',
        ),
        (
            {"sku": "Premium", "zoneRedundant": True},
            "aoai-gateway:apim.zoneRedundant = true: applies to the v2 tiers; classic Premium spreads units over zones "
            "by itself",
        ),
        ({"capacity": 31}, "aoai-gateway:apim.capacity = 31: out of range; allowed 1..30"),
        (
            {"sku": "StandardV2", "capacity": 11},
            "aoai-gateway:apim.capacity = 11: out of range for StandardV2; allowed 1..10",
        ),
        (
            {"virtualNetworkType": "External"},
            "aoai-gateway:apim.virtualNetworkType = 'External': not available on PremiumV2 "
            "(Developer: External/Internal, Premium: External/Internal, PremiumV2: Internal)",
        ),
    ],
)
def test_combinations_azure_refuses_are_refused(apim: dict[str, Any], expected: str) -> None:
    assert refused("prod", apim=apim) == expected


def test_premium_v2_only_where_it_is_offered() -> None:
    message = refused("prod", location="swedencentral")
    assert message.startswith(
        "aoai-gateway:location = 'swedencentral': API Management PremiumV2 is not offered there (Microsoft's region "
        "list); choose one of australiaeast, canadacentral"
    )


def test_injection_without_the_network_and_oversized_llm_logs_are_refused() -> None:
    assert refused(
        "prod",
        network={"enabled": False, "publicEndpoints": True, "unsafeAllowPublicAccessInProd": True},
        edge={"enabled": False},
    ) == ("aoai-gateway:apim.virtualNetworkType = 'Internal': needs network.enabled: true")
    assert refused("prod", monitoring={"llmMessageBytes": 4_000_000}) == (
        "aoai-gateway:monitoring.llmMessageBytes = 4000000: out of range; allowed 0..2097152"
    )


# ---------------------------------------------------------------- classic multi-region stays possible


@pytest.fixture(scope="module")
def multi_region() -> PlanResult:
    return plan_for("prod", with_overrides("prod", **CLASSIC_MULTI_REGION))


def test_classic_premium_with_an_additional_location_plans_clean(multi_region: PlanResult) -> None:
    (service,) = of_type(multi_region, "apimanagement:ApiManagementService")
    inputs = service["inputs"]
    assert inputs["sku"] == {"capacity": 2, "name": "Premium"}
    assert inputs["additionalLocations"] == [
        {
            "disableGateway": False,
            "location": "francecentral",
            "natGatewayState": "Disabled",
            "sku": {"capacity": 2, "name": "Premium"},
            "virtualNetworkConfiguration": {"subnetResourceId": SUBNET},
            "zones": ["1", "2"],
        }
    ]
    assert violated(evaluate(multi_region.resources(), stack="prod")) == set()
    # Classic tiers keep their management and scm endpoints in the VNet's DNS, and report Capacity.
    zones = {z["inputs"]["privateZoneName"] for z in of_type(multi_region, "privatedns:PrivateZone")}
    assert {z for z in zones if "azure-api.net" in z} == {
        f"{inputs['serviceName']}.azure-api.net",
        f"{inputs['serviceName']}.management.azure-api.net",
        f"{inputs['serviceName']}.scm.azure-api.net",
    }
    metrics = {a["inputs"]["criteria"]["allOf"][0]["metricName"] for a in of_type(multi_region, "monitor:MetricAlert")}
    assert "Capacity" in metrics and "CpuPercent_Gateway" not in metrics


# ---------------------------------------------------------------- Premium v2 in prod


def test_prod_gets_premium_v2_outputs_through_the_generic_resource(prod_plan: PlanResult) -> None:
    service = generic(prod_plan, "service")
    assert service["sku"]["name"] == "PremiumV2"
    assert prod_plan.outputs["apimGatewayUrl"] == f"https://{service['resourceName']}.azure-api.net"
    # The VNet resolves the gateway through its own zone, pointed at the private IP APIM got in its subnet.
    (record,) = of_type(prod_plan, "privatedns:PrivateRecordSet")
    assert record["inputs"]["privateZoneName"] == f"{service['resourceName']}.azure-api.net"
    assert record["inputs"]["aRecords"] == [{"ipv4Address": "10.20.1.5"}]
    metrics = {a["inputs"]["criteria"]["allOf"][0]["metricName"] for a in of_type(prod_plan, "monitor:MetricAlert")}
    assert "CpuPercent_Gateway" in metrics and "Capacity" not in metrics


def test_the_pack_sees_the_generic_service_as_api_management(prod_plan: PlanResult) -> None:
    resources = json.loads(json.dumps(prod_plan.resources()))
    (service,) = [
        r
        for r in resources
        if r["type"] == "azure-native:resources:Resource" and r["inputs"]["resourceType"] == "service"
    ]
    service["inputs"]["properties"]["virtualNetworkType"] = "None"
    del service["inputs"]["properties"]["customProperties"]
    assert violated(evaluate(resources, stack="prod")) == {
        "apim-vnet-mode",
        "apim-tls-legacy-protocols-disabled",
        "apim-triple-des-disabled",
    }
    service["inputs"]["apiVersion"] = "2026-09-01-preview"
    report = evaluate(resources, stack="prod")
    assert violated(report) == {"generic-resource-shape-known"}, "an unknown shape is reported, never passed unseen"


# ---------------------------------------------------------------- LLM request logs


def test_llm_logs_carry_usage_always_and_messages_only_by_choice(dev_plan: PlanResult, prod_plan: PlanResult) -> None:
    prod = generics(prod_plan, "diagnostics")
    assert sorted(d["parentResourcePath"].rsplit("/", 1)[-1] for d in prod) == ["azure-openai", "azure-openai-v1"]
    for diagnostic in prod:
        assert diagnostic["apiVersion"] == "2025-03-01-preview"
        assert diagnostic["properties"]["largeLanguageModel"] == {"logs": "enabled"}
        assert diagnostic["properties"]["loggerId"].endswith("/loggers/azuremonitor")
    messages = {"messages": "all", "maxSizeInBytes": 32768}
    for diagnostic in generics(dev_plan, "diagnostics"):
        expected = {"logs": "enabled", "requests": messages, "responses": messages}
        assert diagnostic["properties"]["largeLanguageModel"] == expected


def test_the_pack_refuses_message_logging_in_prod() -> None:
    logging = plan_for("prod", with_overrides("prod", monitoring={"llmMessageBytes": 32768}))
    assert violated(evaluate(logging.resources(), stack="prod")) == {"apim-llm-messages-limited"}


# ---------------------------------------------------------------- deploy time on paper


def test_prod_deploys_in_twenty_minutes_on_paper(prod_plan: PlanResult) -> None:
    path = critical_path(prod_plan.resources())
    assert path.minutes <= 20
    names = [name for name, _ in path.steps]
    assert "gateway-apim" in names and "edge-agw" not in names
    assert path.line().startswith("estimated deploy: 20 min on the critical path: gateway-apim (15)")


def test_classic_tiers_take_most_of_an_hour_on_paper(multi_region: PlanResult) -> None:
    path = critical_path(multi_region.resources())
    assert 45 <= path.minutes <= 60
    assert ("gateway-apim", 45.0) in path.steps
