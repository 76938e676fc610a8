"""The alert rules as data: what each watches, when it fires, how severe it is and what on-call does first.

The Alerts component turns each row into one rule per target (the APIM service, each OpenAI account, each
product...). A row's runbook is a template: {threshold}, {book} (the workbook's name) and the target's
own fields ({backend}, {product}, {limits}, {budget}, {currency}) are filled in per rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from components.observability.kql import (
    BACKENDS_UNAVAILABLE_QUERY,
    MIN_REQUESTS_FOR_ERROR_RATE,
    SERVER_ERROR_RATE_QUERY,
    gateway_rejections_query,
    spend_pace_query,
)

APIM = "Microsoft.ApiManagement/service"
OPENAI = "Microsoft.CognitiveServices/accounts"
APP_GATEWAY = "Microsoft.Network/applicationGateways"

SEVERITY_ERROR = 1
SEVERITY_WARNING = 2
SEVERITY_INFO = 3

# One rule per what: the service, each OpenAI account, each product, each product or team with a budget.
Each = Literal["apim", "app_gateway", "openai_account", "product", "budgeted_product", "budgeted_team"]


@dataclass(frozen=True)
class Metric:
    """A platform metric of the target resource."""

    namespace: str
    name: str
    aggregation: str
    dimensions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """One thing a rule watches: its resource, the words its runbook names it by, what its query needs."""

    name: str
    scope: pulumi.Input[str]
    words: Mapping[str, str]
    app_insights_id: pulumi.Input[str] = ""
    deployment_prices: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    budget: float = 0.0
    # The threshold for this target, where it is derived per target (an account's capacity).
    threshold: float | None = None


@dataclass(frozen=True)
class LogQuery:
    """A scheduled query over the gateway's logs or the workspace, built for one target."""

    query: Callable[[Target], pulumi.Input[str]]
    measure: str
    aggregation: str
    title: str


def _spend_pace(target: Target, by: str) -> pulumi.Output[str]:
    return pulumi.Output.from_input(target.app_insights_id).apply(
        lambda ai_id: spend_pace_query(target.name, target.budget, ai_id, target.deployment_prices, by=by)
    )


PER_TARGET = "per target"

# Team budget alerts fire at these shares of the daily pace: a heads-up, then over budget.
TEAM_BUDGET_ALERT_PERCENTS = (80, 100)


@dataclass(frozen=True)
class AlertRule:
    key: str
    each: Each
    signal: Metric | LogQuery
    # A field of monitoring.thresholds, a fixed number (the spend rule fires at 100 % of the daily share), or
    # PER_TARGET: the target's own threshold (each account's token alert is sized to its capacity).
    threshold: str | float
    severity: int
    runbook: str
    # A rule fires above its threshold and judges the last 15 minutes every 5, unless its row says otherwise.
    operator: Literal["GreaterThan", "GreaterThanOrEqual"] = "GreaterThan"
    window: str = "PT15M"
    frequency: str = "PT5M"
    # Only on these API Management tiers: the classic tiers report Capacity, the v2 tiers gateway CPU and memory.
    apim_tiers: Literal["classic", "v2"] | None = None


ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule(
        key="apim-5xx",
        each="apim",
        signal=LogQuery(lambda _: SERVER_ERROR_RATE_QUERY, "ErrorPercent", "Maximum", "APIM server errors"),
        threshold="apim_server_error_percent",
        severity=SEVERITY_ERROR,
        runbook="More than {threshold}% of gateway responses were 5xx in the last 15 minutes "
        f"(only evaluated with {MIN_REQUESTS_FOR_ERROR_RATE}+ requests). Clients are failing. "
        "First steps: in the {book}, 'Backend health' shows which Azure OpenAI account fails; "
        "503 without a backend status means every pool member is unavailable (see that alert). "
        "Query: ApiManagementGatewayLogs | where ResponseCode >= 500 | summarize count() by ResponseCode, "
        "BackendResponseCode, LastErrorReason, tostring(parse_url(BackendUrl).Host). "
        "Then check Azure Service Health for the OpenAI regions and the APIM service's Activity log.",
    ),
    AlertRule(
        key="apim-backend-duration",
        each="apim",
        signal=Metric(APIM, "BackendDuration", "Average"),
        threshold="apim_backend_duration_ms",
        severity=SEVERITY_WARNING,
        runbook="Average Azure OpenAI response time seen by APIM exceeded {threshold} ms over 15 minutes. "
        "Users wait longer; long generations and streaming raise this too. "
        "First steps: in the {book}, 'Latency' splits gateway and backend time; 'Backend health' shows "
        "the slow account. Check the account's 'Time to Response' metric and PTU utilization "
        "(AzureOpenAIProvisionedManagedUtilizationV2): a saturated PTU deployment queues requests.",
    ),
    AlertRule(
        key="apim-capacity",
        each="apim",
        signal=Metric(APIM, "Capacity", "Average"),
        threshold="apim_capacity_percent",
        severity=SEVERITY_WARNING,
        apim_tiers="classic",
        runbook="API Management capacity stayed above {threshold}% for 15 minutes. "
        "The gateway is close to its limit and latency will grow, then requests fail. "
        "First steps: check Requests and Duration metrics for a traffic spike; if sustained, "
        "raise apim.capacity in the stack config (scale units) and run pulumi up.",
    ),
    AlertRule(
        key="apim-cpu",
        each="apim",
        # v2 tiers report no Capacity (it reads 0); their load shows in the gateway's CPU.
        signal=Metric(APIM, "CpuPercent_Gateway", "Average"),
        threshold="apim_capacity_percent",
        severity=SEVERITY_WARNING,
        apim_tiers="v2",
        runbook="API Management gateway CPU stayed above {threshold}% for 15 minutes. "
        "The gateway is close to its limit and latency will grow, then requests fail. "
        "First steps: check Requests and Duration metrics for a traffic spike and MemoryPercent_Gateway; if "
        "sustained, raise apim.capacity in the stack config (scale units, added in minutes on v2) and run pulumi up.",
    ),
    AlertRule(
        key="oai-429-{backend}",
        each="openai_account",
        signal=Metric(OPENAI, "AzureOpenAIRequests", "Total", {"StatusCode": ("429",)}),
        threshold="openai_throttled_requests",
        operator="GreaterThanOrEqual",
        window="PT5M",
        frequency="PT1M",
        severity=SEVERITY_WARNING,
        runbook="Azure OpenAI account '{backend}' answered 429 (throttled) {threshold} or more "
        "times in 5 minutes. The gateway retries other pool members and opens this backend's "
        "circuit breaker, so clients may not see it yet; if every member throttles they get 503. "
        "First steps: in the {book}, '429s by source' and 'Backend health'. Compare the deployment's "
        "TPM/PTU quota with its traffic (Processed Inference Tokens, Provisioned-managed Utilization V2); "
        "raise capacity in openaiBackends or lower product tokensPerMinute limits.",
    ),
    AlertRule(
        key="oai-tokens-{backend}",
        each="openai_account",
        signal=Metric(OPENAI, "TokenTransaction", "Total"),
        threshold=PER_TARGET,
        window="PT1H",
        frequency="PT15M",
        severity=SEVERITY_INFO,
        runbook="Azure OpenAI account '{backend}' processed more than {threshold} tokens "
        "(prompt + completion) in the last hour, {share} tokens its deployments can process in an hour: it is "
        "close to throttling, and spend is above the planned budget. "
        "First steps: in the {book}, 'Tokens by product' and 'Tokens and cost by subscription' "
        "name the consumer. "
        "If unexpected, lower that product's tokensPerMinute or tokenQuota, or suspend the subscription.",
    ),
    AlertRule(
        key="agw-unhealthy-hosts",
        each="app_gateway",
        signal=Metric(APP_GATEWAY, "UnhealthyHostCount", "Average"),
        threshold="unhealthy_hosts",
        operator="GreaterThanOrEqual",
        window="PT5M",
        frequency="PT1M",
        severity=SEVERITY_ERROR,
        runbook="The Application Gateway sees {threshold} or more unhealthy backends (API Management). "
        "Its health probe (/status-0123456789abcdef) fails, so clients get 502. "
        "First steps: Application Gateway > Backend health shows the probe error; check APIM is running, "
        "its private IP and NSG rules on the APIM subnet, and the backend certificate/host name.",
    ),
    AlertRule(
        key="agw-waf-blocks",
        each="app_gateway",
        signal=Metric(APP_GATEWAY, "AzwafTotalRequests", "Total", {"Action": ("Block",)}),
        threshold="waf_blocked_requests",
        operator="GreaterThanOrEqual",
        window="PT5M",
        frequency="PT1M",
        severity=SEVERITY_WARNING,
        runbook="The WAF blocked {threshold} or more requests in 5 minutes: an attack, "
        "or a false positive (prompts often contain code or SQL that managed rules match). "
        "First steps: AGWFirewallLogs | where Action == 'Blocked' | summarize count() by RuleId, ClientIp, "
        "RequestUri. One client and many rules: attack, consider a custom block rule. Many clients and "
        "one rule on the OpenAI paths: false positive, add a scoped exclusion in the WAF policy.",
    ),
    AlertRule(
        key="backends-unavailable",
        each="apim",
        signal=LogQuery(
            lambda _: BACKENDS_UNAVAILABLE_QUERY, "Responses", "Total", "No Azure OpenAI backend available"
        ),
        threshold="circuit_breaker_trips",
        operator="GreaterThanOrEqual",
        window="PT5M",
        frequency="PT5M",
        severity=SEVERITY_ERROR,
        runbook="The gateway answered 503 without reaching any backend {threshold} or more times "
        "in 5 minutes: every pool member's circuit breaker is open (all throttled or failing) or no "
        "account is reachable. Clients are told to retry after Retry-After. "
        "First steps: 'Backend health' in the {book}; the per-account 429 alerts; Azure Service Health. "
        "Query: ApiManagementGatewayLogs | where ResponseCode == 503 | project TimeGenerated, "
        "LastErrorReason, LastErrorMessage, BackendId. "
        "If no account answers at all, suspect private endpoints or private DNS.",
    ),
    AlertRule(
        key="limits-{product}",
        each="product",
        signal=LogQuery(
            lambda t: gateway_rejections_query(t.name), "Rejections", "Total", "Gateway limit rejections: {product}"
        ),
        threshold="gateway_limit_rejections",
        operator="GreaterThanOrEqual",
        severity=SEVERITY_INFO,
        runbook="Product '{product}' had {threshold} or more requests rejected by its own "
        "gateway limits in 15 minutes ({limits}). Azure OpenAI is fine; callers hit "
        "their allowance and got 429 (rate or tokens per minute) or 403 (token quota used up). "
        "First steps: '429s by source' in the {book} names the subscriptions. Tell the consumer to "
        "honour Retry-After, or raise the product's limits in the stack config if the demand is expected.",
    ),
    AlertRule(
        key="spend-{product}",
        each="budgeted_product",
        signal=LogQuery(
            lambda t: _spend_pace(t, by="Product"), "BudgetUsedPercent", "Maximum", "Spend pace over budget: {product}"
        ),
        threshold=100,
        window="P1D",
        frequency="PT1H",
        severity=SEVERITY_WARNING,
        runbook="Product '{product}' spent more in the last 24 hours than its daily share of the "
        "{budget} {currency} monthly budget (budget / days in this month), priced from the "
        "gateway's token metrics and the stack's pricing table. At this pace the month ends over budget. "
        "First steps: 'Cost by product' in the {book} shows month-to-date spend against the budget and "
        "the subscriptions and deployments behind it. Lower tokenQuota/tokensPerMinute for the product, "
        "or raise monthlyBudget if the spend is agreed.",
    ),
    *(
        AlertRule(
            key=f"spend-team-{{team}}-{percent}",
            each="budgeted_team",
            signal=LogQuery(
                lambda t: _spend_pace(t, by="Team"),
                "BudgetUsedPercent",
                "Maximum",
                f"Team spend pace at {percent}% of budget: {{team}}",
            ),
            threshold=percent,
            window="P1D",
            frequency="PT1H",
            severity=SEVERITY_WARNING if percent >= 100 else SEVERITY_INFO,
            runbook=f"Team '{{team}}' ({{contact}}) spent more than {percent}% of its daily share of the "
            "{budget} {currency} monthly budget in the last 24 hours (budget / days in this month), priced from the "
            "gateway's token metrics (dimension Team) and the stack's pricing table. "
            "First steps: 'Chargeback' in the {book} shows the team's month-to-date spend by model and product. "
            "Tell the team's contact; lower the team's tokensPerMinute or tokenQuota, or raise its monthlyBudget if "
            "the spend is agreed.",
        )
        for percent in TEAM_BUDGET_ALERT_PERCENTS
    ),
)
