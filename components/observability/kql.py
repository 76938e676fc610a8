"""The KQL the alerts and the workbook run: gateway-log predicates, token usage priced per deployment, budgets."""

from __future__ import annotations

import json
from collections.abc import Mapping

from components.settings.models import ProductSettings

# Token metric names azure-openai-emit-token-metric writes; they reach the workspace as AppMetrics rows
# whose Properties hold the policy's dimensions ("Product ID", "Subscription ID", "Deployment").
PROMPT_TOKENS = "Prompt Tokens"
COMPLETION_TOKENS = "Completion Tokens"

# A gateway-generated answer never reached Azure OpenAI, so the log row has no backend status.
_NO_BACKEND_CALL = "(isnull(BackendResponseCode) or BackendResponseCode == 0)"
# The gateway's own limits: rate-limit-by-key and azure-openai-token-limit answer 429, an exhausted token
# quota answers 403. A 429 that Azure OpenAI returned carries BackendResponseCode 429 instead.
GATEWAY_REJECTION = (
    '(ResponseCode == 429 or (ResponseCode == 403 and (LastErrorSource contains "token-limit"'
    f' or LastErrorSource contains "quota"))) and {_NO_BACKEND_CALL}'
)
# 503 without any backend status: no pool member could take the request (every circuit breaker open,
# or the backend could not be reached at all).
BACKENDS_UNAVAILABLE = f"ResponseCode == 503 and {_NO_BACKEND_CALL}"
# Below this many requests in the window a few failures make a meaningless percentage.
MIN_REQUESTS_FOR_ERROR_RATE = 20


def kql_string(value: str) -> str:
    """A KQL string literal; KQL reads JSON's escapes."""
    return json.dumps(value)


def kql_real(value: float) -> str:
    """A fixed-point real literal (0.00002, never 2e-05): the query reads like the pricing table."""
    text = f"{float(value):.12f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def price_table(deployment_prices: Mapping[str, tuple[float, float]]) -> str:
    """`let prices = datatable(...)`: price per 1,000 prompt and completion tokens, keyed by deployment name."""
    rows = ", ".join(
        f"{kql_string(name)}, {kql_real(prompt)}, {kql_real(completion)}"
        for name, (prompt, completion) in sorted(deployment_prices.items())
    )
    return f"let prices = datatable(Deployment: string, InputPer1k: real, OutputPer1k: real) [{rows}];"


def token_usage(app_insights_id: str, deployment_prices: Mapping[str, tuple[float, float]]) -> str:
    """`let` statements defining `usage`: one row per token metric record with its product, subscription,
    deployment and cost. Deployments without a price keep their tokens and get a null cost."""
    return "\n".join(
        [
            price_table(deployment_prices),
            "let usage =",
            "    AppMetrics",
            f"    | where _ResourceId =~ {kql_string(app_insights_id)}",
            f"    | where Name in ({kql_string(PROMPT_TOKENS)}, {kql_string(COMPLETION_TOKENS)})",
            '    | extend Product = tostring(Properties["Product ID"]),'
            ' Subscription = tostring(Properties["Subscription ID"]), Deployment = tostring(Properties["Deployment"])',
            f"    | extend PromptTokens = iff(Name == {kql_string(PROMPT_TOKENS)}, Sum, 0.0),"
            f" CompletionTokens = iff(Name == {kql_string(COMPLETION_TOKENS)}, Sum, 0.0)",
            "    | lookup kind=leftouter prices on Deployment",
            "    | extend Cost = (PromptTokens * InputPer1k + CompletionTokens * OutputPer1k) / 1000.0;",
        ]
    )


def server_error_rate_query() -> str:
    return "\n".join(
        [
            "ApiManagementGatewayLogs",
            "| summarize Requests = count(), ServerErrors = countif(ResponseCode >= 500)",
            f"| where Requests >= {MIN_REQUESTS_FOR_ERROR_RATE}",
            "| project ErrorPercent = round(100.0 * ServerErrors / Requests, 2), ServerErrors, Requests",
        ]
    )


def backends_unavailable_query() -> str:
    return "\n".join(
        [
            "ApiManagementGatewayLogs",
            f"| where {BACKENDS_UNAVAILABLE}",
            "| summarize Responses = count()",
        ]
    )


def gateway_rejections_query(product: str) -> str:
    return "\n".join(
        [
            "ApiManagementGatewayLogs",
            f"| where ProductId == {kql_string(product)}",
            f"| where {GATEWAY_REJECTION}",
            "| summarize Rejections = count()",
        ]
    )


def spend_pace_query(
    product: str, monthly_budget: float, app_insights_id: str, deployment_prices: Mapping[str, tuple[float, float]]
) -> str:
    """Spend of one product over the rule's 24-hour window as a percentage of its daily share of the monthly budget.

    A log alert reads at most two days of data, so a month-to-date total is out of reach: the rule
    watches the pace instead (today's spend against budget / days in this month).
    """
    return "\n".join(
        [
            token_usage(app_insights_id, deployment_prices),
            "usage",
            f"| where Product == {kql_string(product)}",
            "| summarize Spend = sum(Cost)",
            f"| extend DailyBudget = {kql_real(monthly_budget)} / dayofmonth(endofmonth(now()))",
            "| project BudgetUsedPercent = round(100.0 * Spend / DailyBudget, 1), Spend = round(Spend, 2), DailyBudget",
        ]
    )


def budget_table(products: Mapping[str, ProductSettings]) -> str:
    """`let budgets = datatable(...)`: the monthly budget of every product that has one."""
    rows = ", ".join(
        f"{kql_string(name)}, {kql_real(product.monthly_budget)}"
        for name, product in sorted(products.items())
        if product.monthly_budget is not None
    )
    return f"let budgets = datatable(Product: string, MonthlyBudget: real) [{rows}];"
