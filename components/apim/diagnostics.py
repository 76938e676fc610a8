"""What APIM logs about the API: the Application Insights logger, and diagnostics to it and to Log Analytics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim
import pulumi_azure_native.resources as resources

from components.apim.policies import CLIENT_HEADERS, SUBSCRIPTION_KEY_HEADER, SUBSCRIPTION_KEY_QUERY
from components.apim.tiers import PREVIEW_API_VERSION
from components.shared import role_assignment, wire

APP_INSIGHTS_NAMED_VALUE = "appinsights-connection-string"
# Headers that help to trace a call without exposing credentials.
LOGGED_HEADERS = [
    "x-ms-client-request-id",
    "x-ms-region",
    CLIENT_HEADERS["remaining_tokens"],
    CLIENT_HEADERS["tokens_consumed"],
    CLIENT_HEADERS["team"],
    "Retry-After",
]


def app_insights_logger(
    prefix: str,
    *,
    connection_string: apim.NamedValue,
    app_insights_id: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> apim.Logger:
    # Application Insights accepts only Entra ID-authenticated telemetry (local auth is off): the
    # logger signs in as APIM's identity, which may publish metrics there and nothing else.
    publisher = role_assignment(
        f"{prefix}-metrics-publisher",
        role="Monitoring Metrics Publisher",
        scope=app_insights_id,
        principal_id=principal_id,
        subscription_id=subscription_id,
        parent=parent,
        description="APIM sends request telemetry and token metrics to Application Insights.",
    )
    return apim.Logger(
        f"{prefix}-logger",
        logger_id="appinsights",
        logger_type="applicationInsights",
        description="Application Insights: request telemetry and the token metrics.",
        resource_id=app_insights_id,
        credentials={
            "connectionString": f"{{{{{APP_INSIGHTS_NAMED_VALUE}}}}}",
            "identityClientId": "SystemAssigned",
        },
        is_buffered=True,
        **common,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[connection_string, publisher]),
    )


def api_diagnostics(
    name: str,
    *,
    api: apim.Api,
    logger: apim.Logger,
    service_id: pulumi.Input[str],
    sampling_percentage: float,
    log_body_bytes: int,
    llm_message_bytes: int,
    common: Mapping[str, Any],
    parent: pulumi.Resource,
) -> None:
    """An API's two diagnostics: to Application Insights (telemetry, token metrics) and to Log Analytics."""
    message: apim.HttpMessageDiagnosticArgsDict = {
        "headers": LOGGED_HEADERS,
        # A key sent in the query string would otherwise be logged with the URL.
        "data_masking": {
            "query_params": [{"mode": "Hide", "value": SUBSCRIPTION_KEY_QUERY}],
            "headers": [{"mode": "Hide", "value": SUBSCRIPTION_KEY_HEADER}],
        },
    }
    if log_body_bytes:
        message["body"] = {"bytes": log_body_bytes}
    pipeline: apim.PipelineDiagnosticSettingsArgsDict = {"request": message, "response": message}
    apim.ApiDiagnostic(
        f"{name}-diagnostic",
        api_id=api.name,
        diagnostic_id="applicationinsights",
        logger_id=logger.id,
        always_log="allErrors",
        log_client_ip=True,
        http_correlation_protocol="W3C",
        verbosity="information",
        # The token metric policy emits nothing unless custom metrics are on.
        metrics=True,
        sampling=apim.SamplingSettingsArgs(sampling_type="fixed", percentage=sampling_percentage),
        frontend=pipeline,
        backend=pipeline,
        **common,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # The Log Analytics diagnostic, at the API version that has largeLanguageModel: every call's model,
    # deployment and tokens land in ApiManagementGatewayLlmLog (chargeback, the served-models chart); prompts
    # and completions only when monitoring.llmMessageBytes opts in.
    llm: dict[str, Any] = {"logs": "enabled"}
    if llm_message_bytes:
        messages = {"messages": "all", "maxSizeInBytes": llm_message_bytes}
        llm.update(requests=messages, responses=messages)
    resources.Resource(
        f"{name}-azuremonitor",
        resource_provider_namespace="Microsoft.ApiManagement",
        parent_resource_path=pulumi.Output.concat("service/", common["service_name"], "/apis/", api.name),
        resource_type="diagnostics",
        resource_name_="azuremonitor",
        api_version=PREVIEW_API_VERSION,
        resource_group_name=common["resource_group_name"],
        properties={
            # Built-in logger that feeds the resource-specific ApiManagementGatewayLogs table.
            "loggerId": pulumi.Output.from_input(service_id).apply(lambda sid: f"{sid}/loggers/azuremonitor"),
            "alwaysLog": "allErrors",
            "logClientIp": True,
            "verbosity": "information",
            "sampling": {"samplingType": "fixed", "percentage": 100},
            "frontend": wire(pipeline),
            "backend": wire(pipeline),
            "largeLanguageModel": llm,
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
