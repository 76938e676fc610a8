"""Rules that span settings (pool members, tier and network, subnets, prod hardening), each refused with one line."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any, NoReturn

from components.settings.base import PROJECT, ConfigError
from components.settings.models import SUBNET_MIN_SIZE, Settings, SubnetSettings

PROVISIONED_SKUS = frozenset({"ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneProvisionedManaged"})
# Scale units each tier allows.
APIM_CAPACITY = {
    "Developer": (1, 1),
    "Basic": (1, 2),
    "Standard": (1, 4),
    "Premium": (1, 12),
    "BasicV2": (1, 10),
    "StandardV2": (1, 10),
}
# Classic VNet injection (External/Internal) exists only on these tiers.
VNET_INJECTION_SKUS = frozenset({"Developer", "Premium"})


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
    low, high = APIM_CAPACITY[s.apim.sku]
    if not low <= s.apim.capacity <= high:
        fail("apim.capacity", s.apim.capacity, f"out of range for {s.apim.sku}; allowed {low}..{high}")
    if s.is_prod and s.apim.sku == "Developer":
        fail(
            "apim.sku",
            s.apim.sku,
            "Developer has no SLA and one unit; prod needs Basic, Standard, Premium or a v2 tier",
        )
    if s.apim.virtual_network_type != "None":
        if s.apim.sku not in VNET_INJECTION_SKUS:
            fail(
                "apim.virtualNetworkType",
                s.apim.virtual_network_type,
                f"needs an APIM SKU with VNet injection ({', '.join(sorted(VNET_INJECTION_SKUS))}), not {s.apim.sku}",
            )
        if not s.network.enabled:
            fail("apim.virtualNetworkType", s.apim.virtual_network_type, "needs network.enabled: true")


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
