"""One APIM backend per Azure OpenAI account, each with a circuit breaker, and the priority/weight pool over them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim

from components.openai import OpenAiAccount

POOL_ID = "openai-pool"


def backend_id(backend_name: str) -> str:
    return f"openai-{backend_name}"


def key_named_value(backend_name: str) -> str:
    return f"openai-key-{backend_name}"


def openai_backends(
    prefix: str,
    accounts: Mapping[str, OpenAiAccount],
    *,
    named_values: Mapping[str, apim.NamedValue],
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> dict[str, apim.Backend]:
    """The backends keyed by backend name, plus the pool under POOL_ID."""
    backends: dict[str, apim.Backend] = {}
    for backend_name, account in sorted(accounts.items()):
        key_ref = key_named_value(backend_name)
        uses_key = key_ref in named_values
        backends[backend_name] = apim.Backend(
            f"{prefix}-backend-{backend_name}",
            backend_id=backend_id(backend_name),
            title=f"Azure OpenAI {backend_name}",
            description=f"Azure OpenAI account of backend '{backend_name}'.",
            url=account.endpoint.apply(lambda endpoint: endpoint.rstrip("/") + "/openai"),
            protocol="http",
            tls=apim.BackendTlsPropertiesArgs(validate_certificate_chain=True, validate_certificate_name=True),
            circuit_breaker=apim.BackendCircuitBreakerArgs(
                rules=[
                    apim.CircuitBreakerRuleArgs(
                        name="throttled-or-failing",
                        # One 429 or 5xx takes the account out of the pool; Retry-After sets how long.
                        failure_condition=apim.CircuitBreakerFailureConditionArgs(
                            count=1,
                            interval="PT10S",
                            status_code_ranges=[
                                apim.FailureStatusCodeRangeArgs(min=429, max=429),
                                apim.FailureStatusCodeRangeArgs(min=500, max=599),
                            ],
                        ),
                        trip_duration="PT30S",
                        accept_retry_after=True,
                    )
                ]
            ),
            credentials=(
                apim.BackendCredentialsContractArgs(header={"api-key": [f"{{{{{key_ref}}}}}"]}) if uses_key else None
            ),
            **common,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[named_values[key_ref]] if uses_key else []),
        )
    pool = apim.Backend(
        f"{prefix}-backend-pool",
        backend_id=POOL_ID,
        title="Azure OpenAI pool",
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
    return {**backends, POOL_ID: pool}
