"""APIM products: each links the API, carries its limits as a templated policy, and has one subscription."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim

from components.apim.policies import CLIENT_HEADERS, render_policy
from components.settings.models import ProductSettings


def products(
    prefix: str,
    settings: Mapping[str, ProductSettings],
    *,
    api: apim.Api,
    api_id: str,
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> dict[str, pulumi.Output[str]]:
    """Declares every product and returns each one's subscription key (a secret)."""
    keys: dict[str, pulumi.Output[str]] = {}
    for product_name, product in sorted(settings.items()):
        name = f"{prefix}-product-{product_name}"
        resource = apim.Product(
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
        apim.ProductApiLink(
            f"{name}-api",
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
                context=product_policy_context(product_name, product),
                named_values=(),
                backends=(),
            ),
            **common,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        subscription = apim.Subscription(
            f"{name}-subscription",
            sid=f"{product_name}-default",
            display_name=f"{product.display_name} (default)",
            scope=resource.id,
            state=apim.SubscriptionState.ACTIVE,
            allow_tracing=False,
            **common,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        secrets = apim.list_subscription_secrets_output(
            sid=subscription.name, opts=pulumi.InvokeOutputOptions(parent=parent), **common
        )
        keys[product_name] = pulumi.Output.secret(secrets.primary_key)
    return keys


def product_policy_context(product_name: str, product: ProductSettings) -> dict[str, Any]:
    return {
        "product": product_name,
        "rate_limit": (
            {"calls": product.rate_limit.calls, "renewal_period": product.rate_limit.renewal_period}
            if product.rate_limit
            else None
        ),
        "token_limit": {"tokens_per_minute": product.tokens_per_minute} if product.tokens_per_minute else None,
        "token_quota": (
            {"tokens": product.token_quota.tokens, "period": product.token_quota.period}
            if product.token_quota
            else None
        ),
        "headers": CLIENT_HEADERS,
    }
