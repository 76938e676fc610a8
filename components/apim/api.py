"""The Azure OpenAI API in APIM: imported from the patched OpenAPI spec, with its templated API-scope policy."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim

from components.apim.backends import POOL_ID, backend_id
from components.apim.policies import SUBSCRIPTION_KEY_HEADER, SUBSCRIPTION_KEY_QUERY, render_policy
from components.apim.spec import dump_spec, patch_spec
from components.openai import OpenAiAccount

API_ID = "azure-openai"
API_PATH = "openai"
TOKEN_METRIC_NAMESPACE = "aoai-gateway"


def openai_api(
    prefix: str,
    *,
    accounts: Mapping[str, OpenAiAccount],
    api_spec: Mapping[str, Any],
    api_operations: tuple[str, ...],
    spec_source: str,
    auth_mode: str,
    backend_timeout_seconds: int,
    named_values: Collection[str],
    wait_for: Sequence[pulumi.Resource],
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> apim.Api:
    """The API and its policy; `wait_for` holds what the first request needs (backends, the roles on Azure OpenAI)."""
    primary = min(accounts.items(), key=lambda item: (item[1].priority, item[0]))[1]
    spec_json = primary.endpoint.apply(
        lambda endpoint: dump_spec(
            patch_spec(
                api_spec,
                backend_url=endpoint.rstrip("/") + "/openai",
                keep_operations=api_operations,
                source=spec_source,
            )
        )
    )
    api = apim.Api(
        f"{prefix}-api",
        api_id=API_ID,
        display_name="Azure OpenAI",
        description="Azure OpenAI inference API behind the gateway.",
        path=API_PATH,
        protocols=["https"],
        subscription_required=True,
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
    policy = render_policy(
        "api.xml.j2",
        scope="api",
        context={
            "auth_mode": "managed-identity" if auth_mode == "managedIdentity" else "api-key",
            "backend_id": POOL_ID,
            "backend_count": len(accounts),
            "timeout_seconds": backend_timeout_seconds,
            "token_metric_namespace": TOKEN_METRIC_NAMESPACE,
            "deployment_dimension": True,
            "subscription_key_header": SUBSCRIPTION_KEY_HEADER,
            "subscription_key_query": SUBSCRIPTION_KEY_QUERY,
        },
        named_values=named_values,
        backends=[POOL_ID, *(backend_id(name) for name in accounts)],
    )
    apim.ApiPolicy(
        f"{prefix}-api-policy",
        api_id=api.name,
        policy_id="policy",
        format="rawxml",
        value=policy,
        **common,
        # APIM validates backend ids at PUT; the roles must exist before the first token request.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(wait_for)),
    )
    return api
