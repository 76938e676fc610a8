"""An Azure OpenAI API surface in APIM: imported from its patched OpenAPI spec, with its templated policy."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim

from components.apim.policies import (
    CLIENT_HEADERS,
    SUBSCRIPTION_KEY_HEADER,
    SUBSCRIPTION_KEY_QUERY,
    TEAM_SUBSCRIPTION_PREFIX,
    render_policy,
)
from components.apim.spec import dump_spec, point_at
from components.apim.surfaces import Surface
from components.openai import OpenAiAccount

TOKEN_METRIC_NAMESPACE = "aoai-gateway"


def openai_api(
    prefix: str,
    surface: Surface,
    *,
    accounts: Mapping[str, OpenAiAccount],
    spec: Mapping[str, Any],
    spec_source: str,
    policy: Mapping[str, Any],
    subscription_required: bool,
    named_values: Collection[str],
    extra_backends: Collection[str],
    wait_for: Sequence[pulumi.Resource],
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> apim.Api:
    """The API and its policy. `spec` comes patched and checked from the settings; the API points it at its primary
    account. `policy` is the template's context beyond what the surface and accounts give;
    `extra_backends` are backends the policy may name besides the surface's pool and its members (Content Safety);
    `wait_for` holds what the first request needs (backends, the roles on Azure OpenAI)."""
    by_priority = sorted(accounts.items(), key=lambda item: (item[1].priority, item[0]))
    member_backends = [surface.backend_id(name) for name, _ in by_priority]
    primary = by_priority[0][1]
    spec_json = primary.endpoint.apply(
        lambda endpoint: dump_spec(point_at(spec, surface.backend_url(endpoint), spec_source))
    )
    api = apim.Api(
        f"{prefix}-api{surface.infix}",
        api_id=surface.api_id,
        display_name=surface.display_name,
        description=surface.description,
        path=surface.path,
        protocols=["https"],
        # Without a key, a caller must present an Entra ID token the API policy validates.
        subscription_required=subscription_required,
        # The OpenAI SDKs send their key in `api-key`: the subscription key goes there unchanged.
        subscription_key_parameter_names=apim.SubscriptionKeyParameterNamesContractArgs(
            header=SUBSCRIPTION_KEY_HEADER, query=SUBSCRIPTION_KEY_QUERY
        ),
        format="openapi+json",
        value=spec_json,
        api_type="http",
        **common,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    xml = render_policy(
        "api.xml.j2",
        scope="api",
        context={
            **policy,
            "surface": surface.name,
            "pool_id": surface.pool_id,
            "member_backends": member_backends,
            "token_metric_namespace": TOKEN_METRIC_NAMESPACE,
            "subscription_key_header": SUBSCRIPTION_KEY_HEADER,
            "team_subscription_prefix": TEAM_SUBSCRIPTION_PREFIX,
            "subscription_key_query": SUBSCRIPTION_KEY_QUERY,
            "headers": CLIENT_HEADERS,
        },
        named_values=named_values,
        backends=[surface.pool_id, *member_backends, *extra_backends],
    )
    apim.ApiPolicy(
        f"{prefix}-api{surface.infix}-policy",
        api_id=api.name,
        policy_id="policy",
        format="rawxml",
        value=xml,
        **common,
        # APIM validates backend ids at PUT; the roles must exist before the first token request.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(wait_for)),
    )
    return api
