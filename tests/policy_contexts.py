"""Template contexts for the API and product policies, shaped as components.apim builds them, for the render and
lint tests. The limits and caller contexts come from components.apim.callers, so these cannot drift from what
the program passes."""

from __future__ import annotations

from typing import Any

from components.apim.callers import CONTENT_SAFETY_BACKEND, limits_context
from components.apim.policies import (
    CLIENT_HEADERS,
    SUBSCRIPTION_KEY_HEADER,
    SUBSCRIPTION_KEY_QUERY,
    TEAM_SUBSCRIPTION_PREFIX,
)
from components.settings.models import LimitSettings

NAMED_VALUES = {"aoai-key"}
POOL = "aoai-pool"
MEMBERS = ("aoai-a", "aoai-b")
DEPLOYMENTS = ("gpt-5.4", "text-embedding-3-small")
BACKENDS = {POOL, *MEMBERS, CONTENT_SAFETY_BACKEND}
TENANT = "00000000-0000-0000-0000-0000000000bb"
CLIENT_APP = "11111111-2222-3333-4444-555555555555"


def limits(**values: Any) -> dict[str, Any]:
    """The template's limits context from stack-file style values, e.g. limits(tokensPerMinute=40000)."""
    return limits_context(LimitSettings.model_validate(values))


def members(count: int) -> list[str]:
    return [f"aoai-{index}" for index in range(count)]


def api_context(**overrides: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "surface": "deployments",
        "auth_mode": "managedIdentity",
        "pool_id": POOL,
        "member_backends": list(MEMBERS),
        "timeout_seconds": 300,
        "deployments": list(DEPLOYMENTS),
        "entra_teams": [],
        "token_metric_namespace": "aoai-gateway",
        "subscription_key_header": SUBSCRIPTION_KEY_HEADER,
        "subscription_key_query": SUBSCRIPTION_KEY_QUERY,
        "team_subscription_prefix": TEAM_SUBSCRIPTION_PREFIX,
        "content_safety_backend": CONTENT_SAFETY_BACKEND,
        "headers": CLIENT_HEADERS,
    }
    context.update(overrides)
    return context


def entra_team(name: str = "support-bot", **overrides: Any) -> dict[str, Any]:
    team: dict[str, Any] = {
        "name": name,
        "counter_key": f"team-{name}",
        "tenant_id": TENANT,
        "audience": "api://aoai-gateway",
        "client_app_ids": [CLIENT_APP],
        "required_roles": ["Gateway.Invoke"],
        "limits": limits(tokensPerMinute=60_000),
        "content_safety": None,
    }
    team.update(overrides)
    return team


def product_context(**overrides: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "product": "gold",
        "limits": limits(),
        "content_safety": None,
        "teams": [],
        "content_safety_backend": CONTENT_SAFETY_BACKEND,
        "headers": CLIENT_HEADERS,
    }
    context.update(overrides)
    return context
