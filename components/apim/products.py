"""APIM products and who subscribes: each product links every API surface and carries its limits as a
templated policy; it has a default subscription, and each team on it with a key gets a subscription of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim

from components.apim.callers import product_policy_context, team_subscription_id
from components.apim.policies import render_policy
from components.settings.models import ProductSettings, TeamSettings


def products(
    prefix: str,
    settings: Mapping[str, ProductSettings],
    teams: Mapping[str, TeamSettings],
    *,
    apis: Sequence[tuple[apim.Api, str, str]],
    backends: Sequence[str],
    wait_for: Sequence[pulumi.Resource],
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> tuple[dict[str, pulumi.Output[str]], dict[str, pulumi.Output[str]]]:
    """Declares every product and team subscription; returns the products' and the teams' keys (secrets).
    `apis`: (API, its API id, its resource-name infix) for each surface the products link."""
    product_keys: dict[str, pulumi.Output[str]] = {}
    resources: dict[str, apim.Product] = {}
    for product_name, product in sorted(settings.items()):
        name = f"{prefix}-product-{product_name}"
        resource = resources[product_name] = apim.Product(
            name,
            product_id=product_name,
            display_name=product.display_name,
            description=product.description or product.display_name,
            subscription_required=True,
            approval_required=product.approval_required,
            subscriptions_limit=product.subscriptions_limit,
            state=apim.ProductState.PUBLISHED,
            **common,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for api, api_id, infix in apis:
            apim.ProductApiLink(
                f"{name}-api{infix}",
                api_link_id=f"{product_name}-{api_id}",
                product_id=resource.name,
                api_id=api.id,
                **common,
                opts=pulumi.ResourceOptions(parent=parent),
            )
        apim.ProductPolicy(
            f"{name}-policy",
            product_id=resource.name,
            policy_id="policy",
            format="rawxml",
            value=render_policy(
                "product.xml.j2",
                scope="product",
                context=product_policy_context(product_name, product, teams),
                named_values=(),
                backends=backends,
            ),
            **common,
            # APIM validates backend ids (content safety) at PUT.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(wait_for)),
        )
        product_keys[product_name] = _subscription(
            f"{name}-subscription",
            f"{product_name}-default",
            f"{product.display_name} (default)",
            resource,
            common,
            parent,
        )
    team_keys = {
        team_name: _subscription(
            f"{prefix}-team-{team_name}",
            team_subscription_id(team_name),
            f"Team {team_name} ({team.contact})",
            resources[team.product],
            common,
            parent,
        )
        for team_name, team in sorted(teams.items())
        if team.subscription_key
    }
    return product_keys, team_keys


def _subscription(
    name: str,
    sid: str,
    display_name: str,
    product: apim.Product,
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    subscription = apim.Subscription(
        name,
        sid=sid,
        display_name=display_name,
        scope=product.id,
        state=apim.SubscriptionState.ACTIVE,
        allow_tracing=False,
        **common,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    secrets = apim.list_subscription_secrets_output(
        sid=subscription.name, opts=pulumi.InvokeOutputOptions(parent=parent), **common
    )
    return pulumi.Output.secret(secrets.primary_key)
