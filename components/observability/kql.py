"""The KQL the alerts and the workbook run: gateway-log predicates, token usage priced per deployment, budgets."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from components.settings.models import ProductSettings

# Token metric names llm-emit-token-metric writes; they reach the workspace as AppMetrics rows whose
# Properties hold the policy's dimensions ("Product ID", "Subscription ID", "Deployment", "Team"). Metrics are
# aggregated before any log sampling, so they count every call: the chargeback is priced from them.
PROMPT_TOKENS = "Prompt Tokens"
COMPLETION_TOKENS = "Completion Tokens"

# A gateway-generated answer never reached Azure OpenAI, so the log row has no backend status.
_NO_BACKEND_CALL = "(isnull(BackendResponseCode) or BackendResponseCode == 0)"
# The gateway's own limits: rate-limit-by-key and llm-token-limit answer 429, an exhausted token quota (or
# quota-by-key) answers 403. A 429 that Azure OpenAI returned carries BackendResponseCode 429 instead.
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


def _datatable(name: str, columns: str, rows: Iterable[tuple[str | float, ...]]) -> str:
    """`let <name> = datatable(<columns>) [<rows>];`, text cells as string literals and numbers as reals."""
    cells = (kql_string(cell) if isinstance(cell, str) else kql_real(cell) for row in rows for cell in row)
    return f"let {name} = datatable({columns}) [{', '.join(cells)}];"


def price_table(deployment_prices: Mapping[str, tuple[float, float]]) -> str:
    """`let prices = datatable(...)`: price per 1,000 prompt and completion tokens, keyed by deployment name."""
    rows = ((name, *price) for name, price in sorted(deployment_prices.items()))
    return _datatable("prices", "Deployment: string, InputPer1k: real, OutputPer1k: real", rows)


def token_usage(app_insights_id: str, deployment_prices: Mapping[str, tuple[float, float]]) -> str:
    """`let` statements defining `usage`: one row per token metric record with its product, subscription,
    deployment, team (empty for a product's own subscription) and cost."""
    return "\n".join(
        [
            price_table(deployment_prices),
            "let usage =",
            "    AppMetrics",
            f"    | where _ResourceId =~ {kql_string(app_insights_id)}",
            f"    | where Name in ({kql_string(PROMPT_TOKENS)}, {kql_string(COMPLETION_TOKENS)})",
            '    | extend Product = tostring(Properties["Product ID"]),'
            ' Subscription = tostring(Properties["Subscription ID"]), Deployment = tostring(Properties["Deployment"]),'
            ' Team = tostring(Properties["Team"])',
            f"    | extend PromptTokens = iff(Name == {kql_string(PROMPT_TOKENS)}, Sum, 0.0),"
            f" CompletionTokens = iff(Name == {kql_string(COMPLETION_TOKENS)}, Sum, 0.0)",
            "    | lookup kind=leftouter prices on Deployment",
            "    | extend Cost = (PromptTokens * InputPer1k + CompletionTokens * OutputPer1k) / 1000.0;",
        ]
    )


# The saved function finance runs: AoaiGatewayChargeback() for this month, AoaiGatewayChargeback(1) for the last.
CHARGEBACK_FUNCTION = "AoaiGatewayChargeback"
CHARGEBACK_PARAMETERS = "monthsAgo:int = 0"
# Calls made with a product's own subscription key rather than a team's.
NO_TEAM = "(no team)"


def _month(months_ago: str) -> list[str]:
    return [
        f"let monthStart = startofmonth(now(), -{months_ago});",
        "let monthEnd = endofmonth(monthStart);",
    ]


def team_table(team_products: Mapping[str, str]) -> str:
    """`let teams = datatable(...)`: each team's product. Calls with a team's Entra ID token carry no product."""
    return _datatable("teams", "Team: string, TeamProduct: string", sorted(team_products.items()))


_TEAM_PRODUCT = [
    "| lookup kind=leftouter teams on Team",
    '| extend Product = iff(isempty(Product), coalesce(TeamProduct, ""), Product)',
]


def chargeback_query(
    app_insights_id: str,
    deployment_prices: Mapping[str, tuple[float, float]],
    deployment_models: Mapping[str, str],
    team_products: Mapping[str, str],
    months_ago: str = "monthsAgo",
) -> str:
    """Tokens and cost of one calendar month per team, product and model, from the token metrics (every call).
    `months_ago` is KQL: the saved function's parameter, or a literal such as "0" in the workbook."""
    return "\n".join(
        [
            token_usage(app_insights_id, deployment_prices),
            _datatable("models", "Deployment: string, Model: string", sorted(deployment_models.items())),
            team_table(team_products),
            *_month(months_ago),
            "usage",
            "| where TimeGenerated between (monthStart .. monthEnd)",
            "| lookup kind=leftouter models on Deployment",
            *_TEAM_PRODUCT,
            f"| extend Team = iff(isempty(Team), {kql_string(NO_TEAM)}, Team), Model = coalesce(Model, Deployment)",
            "| summarize PromptTokens = sum(PromptTokens), CompletionTokens = sum(CompletionTokens),"
            " Cost = round(sum(Cost), 2) by Month = format_datetime(monthStart, 'yyyy-MM'), Team, Product, Model",
            "| order by Cost desc",
        ]
    )


def llm_log_usage_query(
    apim_id: str, team_header: str, team_products: Mapping[str, str], months_ago: str = "monthsAgo"
) -> str:
    """Tokens of one calendar month per team, product and model as Azure OpenAI reported them (the LLM logs).
    A request's message chunks are rows of their own, so tokens are taken once per request. Team and product
    come from the gateway log, which the API diagnostic samples: unsampled requests show no product."""
    return "\n".join(
        [
            team_table(team_products),
            *_month(months_ago),
            "ApiManagementGatewayLlmLog",
            f"| where _ResourceId =~ {kql_string(apim_id)}",
            "| where TimeGenerated between (monthStart .. monthEnd)",
            "| summarize PromptTokens = max(PromptTokens), CompletionTokens = max(CompletionTokens),"
            " Model = take_any(ModelName) by CorrelationId",
            "| join kind=leftouter (",
            "    ApiManagementGatewayLogs",
            f"    | where _ResourceId =~ {kql_string(apim_id)}",
            "    | where TimeGenerated between (monthStart .. monthEnd)",
            "    | project CorrelationId, Product = ProductId,"
            f" Team = tostring(ResponseHeaders[{kql_string(team_header)}])",
            ") on CorrelationId",
            *_TEAM_PRODUCT,
            f"| extend Team = iff(isempty(Team), {kql_string(NO_TEAM)}, Team),"
            ' Product = iff(isempty(Product), "(not in the sampled gateway log)", Product)',
            "| summarize Requests = count(), PromptTokens = sum(PromptTokens), CompletionTokens = sum(CompletionTokens)"
            " by Month = format_datetime(monthStart, 'yyyy-MM'), Team, Product, Model",
            "| order by PromptTokens desc",
        ]
    )


SERVER_ERROR_RATE_QUERY = "\n".join(
    [
        "ApiManagementGatewayLogs",
        "| summarize Requests = count(), ServerErrors = countif(ResponseCode >= 500)",
        f"| where Requests >= {MIN_REQUESTS_FOR_ERROR_RATE}",
        "| project ErrorPercent = round(100.0 * ServerErrors / Requests, 2), ServerErrors, Requests",
    ]
)
BACKENDS_UNAVAILABLE_QUERY = "\n".join(
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
    product: str,
    monthly_budget: float,
    app_insights_id: str,
    deployment_prices: Mapping[str, tuple[float, float]],
    by: str = "Product",
) -> str:
    """Spend of one product (or team: `by="Team"`) over the rule's 24-hour window as a percentage of its daily
    share of the monthly budget.

    A log alert reads at most two days of data, so a month-to-date total is out of reach: the rule
    watches the pace instead (today's spend against budget / days in this month).
    """
    return "\n".join(
        [
            token_usage(app_insights_id, deployment_prices),
            "usage",
            f"| where {by} == {kql_string(product)}",
            "| summarize Spend = sum(Cost)",
            f"| extend DailyBudget = {kql_real(monthly_budget)} / dayofmonth(endofmonth(now()))",
            "| project BudgetUsedPercent = round(100.0 * Spend / DailyBudget, 1), Spend = round(Spend, 2), DailyBudget",
        ]
    )


def budget_table(products: Mapping[str, ProductSettings]) -> str:
    """`let budgets = datatable(...)`: the monthly budget of every product that has one."""
    rows = (
        (name, product.monthly_budget)
        for name, product in sorted(products.items())
        if product.monthly_budget is not None
    )
    return _datatable("budgets", "Product: string, MonthlyBudget: real", rows)
