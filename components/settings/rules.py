"""Rules that span settings (pool members, tier and network, subnets, prod hardening), each refused with one line."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any, NoReturn

from components.apim import tiers
from components.settings.base import PROJECT, ConfigError, did_you_mean
from components.settings.models import SUBNET_MIN_SIZE, Settings, SubnetSettings
from components.waf import RULE_GROUPS

PROVISIONED_SKUS = frozenset({"ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneProvisionedManaged"})


def fail(key: str, value: Any, allowed: str) -> NoReturn:
    """One line: the key (without the namespace), the value it has, and what is allowed instead."""
    raise ConfigError(f"{PROJECT}:{key} = {show(value)}: {allowed}")


def show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def check_settings(s: Settings) -> None:
    """Every cross-setting rule, in the order a reader of the stack file meets the keys."""
    checks: tuple[Callable[[Settings], None], ...] = (
        _backends,
        _pool,
        _apim,
        _products,
        _operations,
        _edge,
        _network,
        _alerts,
    )
    for check in checks:
        check(s)


def _backends(s: Settings) -> None:
    if not s.openai_backends:
        fail("openaiBackends", {}, "at least one OpenAI backend is required")
    for name, backend in s.openai_backends.items():
        if not backend.deployments:
            fail(f"openaiBackends.{name}.deployments", {}, "at least one deployment is required")
        for deployment_name, deployment in backend.deployments.items():
            if deployment.sku in PROVISIONED_SKUS and (deployment.capacity < 15 or deployment.capacity % 5):
                fail(
                    f"openaiBackends.{name}.deployments.{deployment_name}.capacity",
                    deployment.capacity,
                    "provisioned SKUs need at least 15 PTUs in steps of 5",
                )


def _pool(s: Settings) -> None:
    # One pool serves every request, so any member may receive any deployment-id.
    offered = {name: set(backend.deployments) for name, backend in s.openai_backends.items()}
    every = set().union(*offered.values())
    for name in sorted(offered):
        missing = sorted(every - offered[name])
        if missing:
            fail(
                f"openaiBackends.{name}.deployments",
                sorted(offered[name]),
                f"lacks {', '.join(missing)}, which other backends of the pool offer; "
                "every pool member must offer the same deployments",
            )
    by_priority: dict[int, list[str]] = {}
    for name, backend in s.openai_backends.items():
        by_priority.setdefault(backend.priority, []).append(name)
    for priority, names in sorted(by_priority.items()):
        if len(names) == 1 and s.openai_backends[names[0]].weight != 1:
            fail(
                f"openaiBackends.{names[0]}.weight",
                s.openai_backends[names[0]].weight,
                f"weight only splits traffic among backends of one priority, and {names[0]} is alone at "
                f"priority {priority}; leave it at 1 or give another backend the same priority",
            )


def _apim(s: Settings) -> None:
    apim = s.apim
    low, high = tiers.CAPACITY[apim.sku]
    if not low <= apim.capacity <= high:
        fail("apim.capacity", apim.capacity, f"out of range for {apim.sku}; allowed {low}..{high}")
    if s.is_prod and apim.sku == "Developer":
        fail(
            "apim.sku", apim.sku, "Developer has no SLA and one unit; prod needs Basic, Standard, Premium or a v2 tier"
        )
    if apim.sku == "PremiumV2" and s.location not in tiers.PREMIUM_V2_REGIONS:
        fail(
            "location",
            s.location,
            f"API Management PremiumV2 is not offered there (Microsoft's region list); choose one of "
            f"{', '.join(sorted(tiers.PREMIUM_V2_REGIONS))}, or classic Premium",
        )
    if apim.virtual_network_type != "None":
        modes = tiers.VNET_MODES.get(apim.sku, frozenset())
        if apim.virtual_network_type not in modes:
            offered = ", ".join(f"{sku}: {'/'.join(sorted(m))}" for sku, m in sorted(tiers.VNET_MODES.items()))
            fail("apim.virtualNetworkType", apim.virtual_network_type, f"not available on {apim.sku} ({offered})")
        if not s.network.enabled:
            fail("apim.virtualNetworkType", apim.virtual_network_type, "needs network.enabled: true")
    if apim.zone_redundant and not tiers.is_v2(apim.sku):
        fail("apim.zoneRedundant", True, "applies to the v2 tiers; classic Premium spreads units over zones by itself")
    _additional_locations(s)


def _additional_locations(s: Settings) -> None:
    apim = s.apim
    for region, extra in sorted(apim.additional_locations.items()):
        key = f"apim.additionalLocations.{region}"
        if apim.sku not in tiers.MULTI_REGION_TIERS:
            fail(
                key,
                region,
                f"gateway units in more regions exist only on classic Premium, not {apim.sku}; "
                "choose sku Premium or remove additionalLocations",
            )
        if region == s.location:
            fail(key, region, "is the primary location already; list only the other regions")
        if extra.zones and extra.capacity % len(extra.zones):
            fail(f"{key}.zones", list(extra.zones), f"{len(extra.zones)} zones must divide capacity {extra.capacity}")
        injected = apim.virtual_network_type != "None"
        if injected and not extra.subnet_resource_id:
            fail(
                f"{key}.subnetResourceId",
                "",
                f"an injected ({apim.virtual_network_type}) service needs a subnet in {region} for its units there",
            )
        if not injected and extra.subnet_resource_id:
            fail(f"{key}.subnetResourceId", extra.subnet_resource_id, "only an injected service uses a subnet")


def _products(s: Settings) -> None:
    if not s.products:
        fail("products", {}, "at least one product is required")


def _operations(s: Settings) -> None:
    if not s.api_operations:
        fail("apiOperations", [], "publish at least one operation of the spec")


def _edge(s: Settings) -> None:
    if s.edge.enabled and not s.network.enabled:
        fail("edge.enabled", True, "the Application Gateway needs network.enabled: true")
    if s.edge.enabled and not s.edge.certificate_key_vault_id:
        fail(
            "edge.certificateKeyVaultId",
            "",
            "the HTTPS listener needs the resource id of the vault with its certificate",
        )
    if s.edge.min_capacity > s.edge.max_capacity:
        fail("edge.minCapacity", s.edge.min_capacity, f"must not exceed edge.maxCapacity ({s.edge.max_capacity})")
    if s.apim_backend_timeout_seconds >= s.edge.request_timeout_seconds:
        fail(
            "apim.backendTimeoutSeconds",
            s.apim_backend_timeout_seconds,
            f"must be shorter than edge.requestTimeoutSeconds ({s.edge.request_timeout_seconds}), or the edge cuts "
            "slow answers off with its own 504 before APIM can answer",
        )
    known = RULE_GROUPS[s.edge.rule_set]
    for index, group in enumerate(s.edge.prompt_exclusion_groups or ()):
        if group not in known:
            fail(
                f"edge.promptExclusionGroups[{index}]",
                group,
                f"not a rule group of {s.edge.rule_set}; allowed: {', '.join(known)}{did_you_mean(group, known)}",
            )


def check_certificate_vault(s: Settings, subscription_id: str) -> None:
    """Application Gateway v2 reads certificates only from a Key Vault in its own subscription."""
    vault = s.edge.certificate_key_vault_id
    if s.edge.enabled and vault and vault.split("/")[2].lower() != subscription_id.lower():
        fail(
            "edge.certificateKeyVaultId",
            vault,
            f"the vault is in subscription {vault.split('/')[2]}, but the stack deploys to {subscription_id}; "
            "Application Gateway v2 reads certificates only from a vault in its own subscription",
        )


def _network(s: Settings) -> None:
    if s.is_prod and s.network.public_endpoints and not s.network.unsafe_allow_public_access_in_prod:
        fail(
            "network.publicEndpoints",
            True,
            "prod keeps OpenAI and Key Vault private; set network.unsafeAllowPublicAccessInProd: true to opt in",
        )
    if not s.network.public_endpoints and not s.network.enabled:
        fail("network.publicEndpoints", False, "private access needs network.enabled: true (private endpoints)")
    if not s.network.enabled:
        return
    space = _cidr("network.addressSpace", s.network.address_space)
    subnets: dict[str, ipaddress.IPv4Network] = {}
    for field, info in SubnetSettings.model_fields.items():
        key = f"network.subnets.{info.alias}"
        net = _cidr(key, getattr(s.network.subnets, field))
        if not net.subnet_of(space):
            fail(key, str(net), f"must lie inside network.addressSpace {space}")
        if net.prefixlen > SUBNET_MIN_SIZE[field]:
            fail(key, str(net), f"too small; needs /{SUBNET_MIN_SIZE[field]} or larger")
        for other_name, other in subnets.items():
            if net.overlaps(other):
                fail(key, str(net), f"overlaps network.subnets.{other_name} ({other})")
        subnets[str(info.alias)] = net


def _cidr(key: str, text: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError:
        fail(key, text, "expected an IPv4 CIDR block such as 10.20.0.0/24 (host bits zero)")
    if not isinstance(net, ipaddress.IPv4Network):
        fail(key, text, "expected an IPv4 CIDR block")
    return net


def _alerts(s: Settings) -> None:
    if s.is_prod and not s.monitoring.alert_emails and not s.monitoring.alert_webhooks:
        fail("monitoring.alertEmails", [], "prod needs at least one alert receiver (alertEmails or alertWebhooks)")
