"""What the deployments can process and what callers can spend at their limits, owned here: the settings refuse
alert thresholds and budgets no traffic can reach, the alerts and the cost sheet use the same figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

# Types only: the settings' rules use this module, so importing the settings package here would be circular.
if TYPE_CHECKING:
    from components.settings.models import (
        DeploymentSettings,
        LimitSettings,
        ModelPrice,
        OpenAiBackendSettings,
    )

PROVISIONED_SKUS = frozenset({"ProvisionedManaged", "GlobalProvisionedManaged", "DataZoneProvisionedManaged"})
# Input tokens per minute one PTU processes, by model: Microsoft Learn "Provisioned throughput: billing, sizing
# and cost management", table "Throughput and deployment parameter values by model" (2026-05-17).
PTU_INPUT_TOKENS_PER_MINUTE: dict[str, int] = {
    "gpt-4o": 2_500,
    "gpt-4o-mini": 37_000,
    "gpt-4.1": 3_000,
    "gpt-4.1-mini": 14_900,
    "gpt-5": 4_750,
    "gpt-5-mini": 23_750,
    "gpt-5.1": 4_750,
    "gpt-5.2": 3_400,
    "gpt-5.4": 2_400,
}
# A Standard (pay-as-you-go) capacity unit is 1,000 tokens per minute.
TOKENS_PER_STANDARD_UNIT = 1_000
# The share of an account's capacity its token alert fires at when the stack sets no threshold.
DEFAULT_TOKEN_ALERT_SHARE = 0.8
MINUTES_PER_MONTH = 31 * 24 * 60
# How many of a quota's periods fit in the longest month (a yearly quota may be spent in one month).
QUOTA_PERIODS_PER_MONTH = {"Hourly": 31 * 24, "Daily": 31, "Weekly": 5, "Monthly": 1, "Yearly": 1}


def tokens_per_minute(deployment: DeploymentSettings) -> int | None:
    """What one deployment processes per minute at most, or None for a PTU model without a published figure."""
    if deployment.sku in PROVISIONED_SKUS:
        per_ptu = PTU_INPUT_TOKENS_PER_MINUTE.get(deployment.model)
        return None if per_ptu is None else deployment.capacity * per_ptu
    return deployment.capacity * TOKENS_PER_STANDARD_UNIT


def account_tokens_per_hour(backend: OpenAiBackendSettings) -> int | None:
    """What an account's deployments process per hour together (the TokenTransaction metric's ceiling)."""
    per_minute = [tokens_per_minute(d) for d in backend.deployments.values()]
    return None if None in per_minute else 60 * sum(filter(None, per_minute))


def dearest_price_per_1k(backends: Mapping[str, OpenAiBackendSettings], pricing: Mapping[str, ModelPrice]) -> float:
    """The highest price per 1,000 tokens of any deployed model (the settings refuse a model without a price): the
    worst case a caller's tokens cost."""
    models = {d.model for backend in backends.values() for d in backend.deployments.values()}
    return max(max(pricing[m].input_per_1k, pricing[m].output_per_1k) for m in models)


def monthly_spend_cap(limits: LimitSettings, price_per_1k: float) -> float | None:
    """The most one caller can spend in a month at these limits, or None when tokens are not limited."""
    caps = []
    if limits.tokens_per_minute is not None:
        caps.append(limits.tokens_per_minute * MINUTES_PER_MONTH)
    if limits.token_quota is not None:
        caps.append(limits.token_quota.tokens * QUOTA_PERIODS_PER_MONTH[limits.token_quota.period])
    return min(caps) / 1000 * price_per_1k if caps else None


def token_alerts(
    backends: Mapping[str, OpenAiBackendSettings], tokens_per_hour: int | None
) -> dict[str, tuple[int, int | None]]:
    """Each account's token alert as (threshold, capacity) in tokens per hour: the configured threshold, or a
    share of what the account's deployments can process. The settings refuse a threshold above the capacity, and
    require one where the capacity is unknown (a PTU model without a published figure: capacity None)."""
    alerts: dict[str, tuple[int, int | None]] = {}
    for name, backend in sorted(backends.items()):
        capacity = account_tokens_per_hour(backend)
        if tokens_per_hour is not None:
            alerts[name] = (tokens_per_hour, capacity)
        else:
            assert capacity is not None, "the settings require a threshold where the capacity is unknown"
            alerts[name] = (int(capacity * DEFAULT_TOKEN_ALERT_SHARE), capacity)
    return alerts
