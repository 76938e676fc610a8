"""Who may call the gateway and what each may use, as the policy templates take it: products' default
subscriptions, teams with a subscription key of their own, teams that present Entra ID tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.apim.policies import CLIENT_HEADERS, TEAM_SUBSCRIPTION_PREFIX
from components.settings.models import ContentSafetySettings, LimitSettings, ProductSettings, TeamSettings

CONTENT_SAFETY_BACKEND = "content-safety"


def team_subscription_id(team: str) -> str:
    """A team's APIM subscription id; its Entra ID calls count in the same counters under this key."""
    return f"{TEAM_SUBSCRIPTION_PREFIX}{team}"


def limits_context(limits: LimitSettings) -> dict[str, Any]:
    rate = limits.rate_limit
    return {
        "rate_limit": (
            {"calls": rate.calls, "renewal_period": rate.renewal_period, "policy": rate.policy} if rate else None
        ),
        "tokens_per_minute": limits.tokens_per_minute,
        "token_quota": (
            {"tokens": limits.token_quota.tokens, "period": limits.token_quota.period} if limits.token_quota else None
        ),
    }


def content_safety_context(settings: ContentSafetySettings | None) -> dict[str, Any] | None:
    if settings is None:
        return None
    return {"shield_prompt": settings.shield_prompt, "categories": dict(settings.categories)}


def product_policy_context(
    product_name: str, product: ProductSettings, teams: Mapping[str, TeamSettings]
) -> dict[str, Any]:
    """The product's limits for its subscriptions, and the overrides of its teams that set their own."""
    own = [
        (name, team)
        for name, team in sorted(teams.items())
        if team.product == product_name and team.subscription_key and (team.limited or team.content_safety)
    ]
    return {
        "product": product_name,
        "limits": limits_context(product),
        "content_safety": content_safety_context(product.content_safety),
        "teams": [
            {**_team_context(name, team, {product_name: product}), "subscription_id": team_subscription_id(name)}
            for name, team in own
        ],
        "content_safety_backend": CONTENT_SAFETY_BACKEND,
        "headers": CLIENT_HEADERS,
    }


def entra_teams_context(
    teams: Mapping[str, TeamSettings], products: Mapping[str, ProductSettings]
) -> list[dict[str, Any]]:
    """The teams that call with Entra ID tokens, each with what validates its tokens and what it may use."""
    return [
        {
            **_team_context(name, team, products),
            "counter_key": team_subscription_id(name),
            "tenant_id": team.entra.tenant_id,
            "audience": team.entra.audience,
            # Lower-cased, as the policy lower-cases the token's client app claim before comparing.
            "client_app_ids": [app.lower() for app in team.entra.client_app_ids],
            "required_roles": list(team.entra.required_roles),
        }
        for name, team in sorted(teams.items())
        if team.entra is not None
    ]


def _team_context(name: str, team: TeamSettings, products: Mapping[str, ProductSettings]) -> dict[str, Any]:
    """What a team may use, as both policy templates take it: its own limits and content filtering, else its
    product's."""
    return {
        "name": name,
        "limits": limits_context(team.effective_limits(products)),
        "content_safety": content_safety_context(team.effective_content_safety(products)),
    }


def uses_content_safety(teams: Mapping[str, TeamSettings], products: Mapping[str, ProductSettings]) -> bool:
    return any(p.content_safety for p in products.values()) or any(t.content_safety for t in teams.values())
