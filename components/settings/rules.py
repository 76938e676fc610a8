"""Rules that span settings (pool members, tier and network, subnets, prod hardening), each refused with one line."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from collections.abc import Callable
from typing import Any, NoReturn

from components.apim import tiers
from components.apim.policies import TEAM_SUBSCRIPTION_PREFIX
from components.capacity import (
    DEFAULT_TOKEN_ALERT_SHARE,
    PROVISIONED_SKUS,
    account_tokens_per_hour,
    dearest_price_per_1k,
    monthly_spend_cap,
    tokens_per_minute,
)
from components.list_prices import LIST_PRICES
from components.naming import Namer
from components.settings.base import PROJECT, ConfigError, did_you_mean
from components.settings.models import SUBNET_MIN_SIZE, LimitSettings, Settings, SubnetSettings
from components.text import clip
from components.waf import RULE_GROUPS


def fail(key: str, value: Any, allowed: str) -> NoReturn:
    """One line: the key (without the namespace), the value it has, and what is allowed instead."""
    raise ConfigError(f"{PROJECT}:{key} = {show(value)}: {allowed}")


def show(value: Any) -> str:
    return clip(repr(value) if isinstance(value, str) else json.dumps(value, default=str), 60)


def check_settings(s: Settings) -> None:
    """Every cross-setting rule, in the order a reader of the stack file meets the keys."""
    checks: tuple[Callable[[Settings], None], ...] = (
        _backends,
        _account_names,
        _pool,
        _pricing,
        _infrastructure_prices,
        _apim,
        _products,
        _teams,
        _request_quotas,
        _budgets,
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


def _account_names(s: Settings) -> None:
    # Account names leave out what the name already says (region, environment, workload), so `ptu` and
    # `prod-ptu-swc` in Sweden Central would both be oai-<workload>-prod-swc-ptu-<suffix>. The suffix is the
    # same for every account of a stack, so any stands in for it here.
    namer = Namer(s.workload, s.environment, "any", s.location, "suffix")
    named: dict[str, str] = {}
    for name, backend in sorted(s.openai_backends.items()):
        account = namer.name("openai", name, location=backend.location)
        if account in named:
            fail(
                f"openaiBackends.{name}",
                name,
                f"would get the same account name as backend {named[account]} in {backend.location} (names leave "
                "out what the name already says: region, environment, workload); rename one",
            )
        named[account] = name


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
    # The pool sends a deployment name to any member: each must serve the same model and version under it.
    served: dict[str, tuple[str, str]] = {}  # deployment name: (first backend serving it, "model:version")
    for name, backend in sorted(s.openai_backends.items()):
        for deployment_name, deployment in sorted(backend.deployments.items()):
            model = f"{deployment.model}:{deployment.version}"
            first_backend, first_model = served.setdefault(deployment_name, (name, model))
            if first_model != model:
                fail(
                    f"openaiBackends.{name}.deployments.{deployment_name}.model",
                    model,
                    f"backend {first_backend} serves {deployment_name} as {first_model}; a pool answers one "
                    "deployment name with one model and version, so make them the same or name them differently",
                )
    backends_at = Counter(backend.priority for backend in s.openai_backends.values())
    for name, backend in sorted(s.openai_backends.items(), key=lambda item: item[1].priority):
        if backends_at[backend.priority] == 1 and backend.weight != 1:
            fail(
                f"openaiBackends.{name}.weight",
                backend.weight,
                f"weight only splits traffic among backends of one priority, and {name} is alone at "
                f"priority {backend.priority}; leave it at 1 or give another backend the same priority",
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


def _pricing(s: Settings) -> None:
    # An unpriced model would be counted as free: every cost, budget and chargeback figure would be wrong.
    for name, backend in sorted(s.openai_backends.items()):
        for deployment_name, deployment in sorted(backend.deployments.items()):
            if deployment.model not in s.pricing:
                fail(
                    f"openaiBackends.{name}.deployments.{deployment_name}.model",
                    deployment.model,
                    f"has no price: add pricing.{deployment.model} (inputPer1k, outputPer1k) so its tokens are "
                    "counted in costs, budgets and chargeback",
                )


def _infrastructure_prices(s: Settings) -> None:
    known = sorted(LIST_PRICES)
    for key in sorted(s.infrastructure_prices):
        if key not in LIST_PRICES:
            fail(
                f"infrastructurePrices.{key}",
                s.infrastructure_prices[key],
                f"not a price key; known: {', '.join(known)}{did_you_mean(key, known)}",
            )


def _products(s: Settings) -> None:
    if not s.products:
        fail("products", {}, "at least one product is required")
    for name in sorted(s.products):
        # The gateway tells a team's subscription (team-<team>) from a product's (<product>-default) by this prefix.
        if name.startswith(TEAM_SUBSCRIPTION_PREFIX):
            fail(
                f"products.{name}",
                name,
                f"product names must not start with '{TEAM_SUBSCRIPTION_PREFIX}' (the prefix of team subscriptions)",
            )


def _teams(s: Settings) -> None:
    for name, team in sorted(s.teams.items()):
        if team.product not in s.products:
            known = sorted(s.products)
            fail(
                f"teams.{name}.product",
                team.product,
                f"not a product of this stack; products: {', '.join(known)}{did_you_mean(team.product, known)}",
            )
        if not team.subscription_key and team.entra is None:
            fail(
                f"teams.{name}.subscriptionKey",
                False,
                "the team could not call at all: keep subscriptionKey true or add entra (tenantId, audience, "
                "clientAppIds)",
            )
    # The gateway tells Entra ID callers apart by their client app: one app belongs to one team.
    owners: dict[str, str] = {}
    for name, team in sorted(s.teams.items()):
        for app in team.entra.client_app_ids if team.entra else ():
            owner = owners.setdefault(app.lower(), name)
            if owner != name:
                fail(
                    f"teams.{name}.entra.clientAppIds",
                    app,
                    f"already a client app of team {owner}; the gateway counts a call for one team only, so give "
                    "each team its own app registration",
                )


def _request_quotas(s: Settings) -> None:
    callers: list[tuple[str, LimitSettings]] = [(f"products.{n}", p) for n, p in sorted(s.products.items())]
    callers += [(f"teams.{n}", t) for n, t in sorted(s.teams.items())]
    for key, limits in callers:
        if limits.rate_limit and limits.rate_limit.policy == "quota-by-key" and tiers.is_v2(s.apim.sku):
            fail(
                f"{key}.rateLimit.renewalPeriod",
                limits.rate_limit.renewal_period,
                f"periods over 300 s become quota-by-key, which {s.apim.sku} does not offer (classic tiers only); "
                "use 300 s or less, or a token quota",
            )


def _budgets(s: Settings) -> None:
    """A budget alert that the limits can never reach would never fire: refuse it with the ceiling."""
    price = dearest_price_per_1k(s.openai_backends, s.pricing)
    team_caps = {name: monthly_spend_cap(team.effective_limits(s.products), price) for name, team in s.teams.items()}
    for name, team in sorted(s.teams.items()):
        _reachable(f"teams.{name}.monthlyBudget", team.monthly_budget, team_caps[name], s.currency)
    for name, product in sorted(s.products.items()):
        # The product's spend is its default subscription's plus that of the teams on it.
        callers = [monthly_spend_cap(product, price)]
        callers += [team_caps[team_name] for team_name, team in s.teams.items() if team.product == name]
        cap = None if None in callers else sum(c for c in callers if c is not None)
        _reachable(f"products.{name}.monthlyBudget", product.monthly_budget, cap, s.currency)


def _reachable(key: str, budget: float | None, cap: float | None, currency: str) -> None:
    if budget is not None and cap is not None and budget > cap:
        fail(
            key,
            budget,
            f"its callers can spend at most {cap:,.2f} {currency} a month at their token limits and the dearest "
            "price, so the budget alert could never fire; lower the budget or raise the limits",
        )


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
        return ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        fail(key, text, "expected an IPv4 CIDR block such as 10.20.0.0/24 (host bits zero)")


def _alerts(s: Settings) -> None:
    thresholds = s.monitoring.thresholds
    for name, backend in sorted(s.openai_backends.items()):
        capacity = account_tokens_per_hour(backend)
        if capacity is None and thresholds.openai_tokens_per_hour is None:
            unknown = sorted(d.model for d in backend.deployments.values() if tokens_per_minute(d) is None)
            fail(
                f"openaiBackends.{name}.deployments",
                unknown,
                "no tokens-per-minute per PTU is known for these models, so the token alert cannot be sized; set "
                "monitoring.thresholds.openaiTokensPerHour, or add them to components/capacity.py from Microsoft's "
                "provisioned throughput table",
            )
        if capacity is not None and (thresholds.openai_tokens_per_hour or 0) > capacity:
            fail(
                "monitoring.thresholds.openaiTokensPerHour",
                thresholds.openai_tokens_per_hour,
                f"account {name} can process at most {capacity:,} tokens an hour, so its alert could never fire; "
                f"omit the threshold to alert at {DEFAULT_TOKEN_ALERT_SHARE:.0%} of each account's capacity",
            )
    if thresholds.apim_backend_duration_ms >= s.apim_backend_timeout_seconds * 1000:
        fail(
            "monitoring.thresholds.apimBackendDurationMs",
            thresholds.apim_backend_duration_ms,
            f"APIM gives up after {s.apim_backend_timeout_seconds} s, so no backend call lasts that long; "
            "choose a lower threshold",
        )
    if s.is_prod and not s.monitoring.alert_emails and not s.monitoring.alert_webhooks:
        fail("monitoring.alertEmails", [], "prod needs at least one alert receiver (alertEmails or alertWebhooks)")
