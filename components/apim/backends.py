"""One APIM backend per Azure OpenAI account, each with a circuit breaker, and the priority/weight pool over them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim
import pulumi_azure_native.resources as resources

from components.apim.callers import CONTENT_SAFETY_BACKEND
from components.apim.surfaces import Surface
from components.apim.tiers import PREVIEW_API_VERSION
from components.openai import OpenAiAccount
from components.shared import wire


def key_named_value(backend_name: str) -> str:
    return f"openai-key-{backend_name}"


def circuit_breaker(failures: int) -> apim.BackendCircuitBreakerArgsDict:
    """Takes a backend out after `failures` 429 or 5xx answers within 10 s, for Retry-After or else 30 s."""
    return {
        "rules": [
            {
                "name": "throttled-or-failing",
                "failure_condition": {
                    "count": failures,
                    "interval": "PT10S",
                    "status_code_ranges": [{"min": 429, "max": 429}, {"min": 500, "max": 599}],
                },
                "trip_duration": "PT30S",
                "accept_retry_after": True,
            }
        ]
    }


def openai_backends(
    prefix: str,
    accounts: Mapping[str, OpenAiAccount],
    *,
    surface: Surface,
    named_values: Mapping[str, apim.NamedValue],
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> dict[str, apim.Backend]:
    """One surface's backends keyed by backend name, plus its pool under the surface's pool id."""
    backends: dict[str, apim.Backend] = {}
    for backend_name, account in sorted(accounts.items()):
        key_ref = key_named_value(backend_name)
        uses_key = key_ref in named_values
        backends[backend_name] = apim.Backend(
            f"{prefix}-backend{surface.infix}-{backend_name}",
            backend_id=surface.backend_id(backend_name),
            title=f"{surface.display_name} {backend_name}",
            description=f"Azure OpenAI account of backend '{backend_name}' ({surface.path}).",
            url=account.endpoint.apply(surface.backend_url),
            protocol="http",
            tls=apim.BackendTlsPropertiesArgs(validate_certificate_chain=True, validate_certificate_name=True),
            # One 429 or 5xx takes the account out of the pool; Retry-After sets how long.
            circuit_breaker=circuit_breaker(failures=1),
            credentials=(
                apim.BackendCredentialsContractArgs(header={"api-key": [f"{{{{{key_ref}}}}}"]}) if uses_key else None
            ),
            **common,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[named_values[key_ref]] if uses_key else []),
        )
    pool = apim.Backend(
        f"{prefix}-backend{surface.infix}-pool",
        backend_id=surface.pool_id,
        title=f"{surface.display_name} pool",
        description="Priority first (PTU), then weighted spill-over (pay-as-you-go).",
        type="Pool",
        pool=apim.BackendBaseParametersPoolArgs(
            services=[
                apim.BackendPoolItemArgs(
                    id=backends[backend_name].id,
                    priority=accounts[backend_name].priority,
                    weight=accounts[backend_name].weight,
                )
                for backend_name in sorted(backends)
            ]
        ),
        **common,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return {**backends, surface.pool_id: pool}


def content_safety_backend(
    name: str,
    *,
    endpoint: pulumi.Input[str],
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> pulumi.CustomResource:
    """Azure AI Content Safety as the backend llm-content-safety calls, signed in as APIM's managed identity.

    Microsoft's llm-content-safety prerequisites ask for managed identity backend credentials (resource
    https://cognitiveservices.azure.com), which the portal writes, but no published REST version declares
    `credentials.managedIdentity` (2024-05-01 and 2025-03-01-preview list authorization, certificate,
    certificateIds, header and query). The typed Backend would refuse the property, so this is the generic
    resource; the README lists it as unverified until a real deployment shows no drift.
    """
    return resources.Resource(
        name,
        resource_provider_namespace="Microsoft.ApiManagement",
        parent_resource_path=pulumi.Output.concat("service/", common["service_name"]),
        resource_type="backends",
        resource_name_=CONTENT_SAFETY_BACKEND,
        api_version=PREVIEW_API_VERSION,
        resource_group_name=common["resource_group_name"],
        properties={
            "title": "Azure AI Content Safety",
            "description": "Screens prompts for the llm-content-safety policy.",
            "url": pulumi.Output.from_input(endpoint).apply(lambda url: url.rstrip("/")),
            "protocol": "http",
            "credentials": {"managedIdentity": {"resource": "https://cognitiveservices.azure.com"}},
            "tls": {"validateCertificateChain": True, "validateCertificateName": True},
            "circuitBreaker": wire(circuit_breaker(failures=3)),
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
