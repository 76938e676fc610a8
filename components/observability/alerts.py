"""Alert rules on the gateway's resources and logs, and the workbook charting tokens, cost, 429s, latency, backends."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_azure_native.applicationinsights as applicationinsights
import pulumi_azure_native.monitor as monitor
from jinja2 import TemplateError, UndefinedError

from components.naming import Namer
from components.settings.models import AlertThresholds, ProductSettings
from components.templating import template_environment, template_line

WORKBOOKS_DIR = Path(__file__).resolve().parent / "workbooks"
WORKBOOK_TEMPLATE = "gateway.workbook.json.j2"

APIM = "Microsoft.ApiManagement/service"
OPENAI = "Microsoft.CognitiveServices/accounts"
APP_GATEWAY = "Microsoft.Network/applicationGateways"

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

# Tiers that report the Capacity metric; the v2 tiers report CPU and memory percentages instead.
CLASSIC_APIM_SKUS = frozenset({"Developer", "Basic", "Standard", "Premium"})

SEVERITY_ERROR = 1
SEVERITY_WARNING = 2
SEVERITY_INFO = 3


@dataclass
class AlertsArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    thresholds: AlertThresholds
    namer: Namer
    action_group_id: pulumi.Input[str]
    workspace_id: pulumi.Input[str]
    app_insights_id: pulumi.Input[str]
    apim_id: pulumi.Input[str]
    apim_classic_sku: bool
    openai_account_ids: Mapping[str, pulumi.Input[str]]
    app_gateway_id: pulumi.Input[str] | None
    products: Mapping[str, ProductSettings]
    deployment_prices: Mapping[str, tuple[float, float]]
    currency: str
    token_metric_namespace: str


# ---------------------------------------------------------------- KQL (pure)


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


# ---------------------------------------------------------------- workbook (pure)


class WorkbookRenderError(ValueError):
    """The workbook template did not render into valid workbook JSON; names the template and line."""


# JSON braces and KQL's {TimeRange:grain} parameters stay literal with the project's delimiters.
_ENV = template_environment(WORKBOOKS_DIR, autoescape=False)


def render_workbook(context: Mapping[str, Any], template: str = WORKBOOK_TEMPLATE) -> str:
    """Renders the workbook template and returns compact JSON (stable bytes for the same context)."""
    try:
        loaded = _ENV.get_template(template)
    except TemplateError as exc:
        raise WorkbookRenderError(f"{template}: {exc}") from None
    try:
        text = loaded.render(dict(context))
    except UndefinedError as exc:
        line = template_line(exc.__traceback__, loaded.filename)
        where = f"{template}:{line}" if line else template
        raise WorkbookRenderError(f"{where}: {exc.message}") from None
    except TemplateError as exc:
        raise WorkbookRenderError(f"{template}: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{template} (rendered):{exc.lineno}:{exc.colno}"
        raise WorkbookRenderError(f"{where}: not valid JSON: {exc.msg}") from None
    if document.get("version") != "Notebook/1.0":
        raise WorkbookRenderError(f"{template}: version must be 'Notebook/1.0', got {document.get('version')!r}")
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def workbook_context(
    *,
    title: str,
    workspace_id: str,
    app_insights_id: str,
    apim_id: str,
    openai_account_ids: Mapping[str, str],
    app_gateway_id: str | None,
    products: Mapping[str, ProductSettings],
    deployment_prices: Mapping[str, tuple[float, float]],
    currency: str,
    token_metric_namespace: str,
) -> dict[str, Any]:
    return {
        "title": title,
        "workspace_id": workspace_id,
        "app_insights_id": app_insights_id,
        "apim_id": apim_id,
        "openai_accounts": [{"name": name, "id": openai_account_ids[name]} for name in sorted(openai_account_ids)],
        "app_gateway_id": app_gateway_id,
        "currency": currency,
        "token_metric_namespace": token_metric_namespace,
        "token_usage": token_usage(app_insights_id, deployment_prices),
        "budget_table": budget_table(products),
        "apim_filter": f"_ResourceId =~ {kql_string(apim_id)}",
        "gateway_rejection": GATEWAY_REJECTION,
        "backends_unavailable": BACKENDS_UNAVAILABLE,
    }


# ---------------------------------------------------------------- the component


def _lines(*parts: str) -> str:
    """Joins description fragments: rule descriptions are one paragraph in the portal and in e-mails."""
    return " ".join(part.strip() for part in parts)


class Alerts(pulumi.ComponentResource):
    """Metric alerts per resource, log alerts on gateway health and spend, and the gateway workbook."""

    alert_names: pulumi.Output[list[str]]
    workbook_id: pulumi.Output[str]

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:alerts:Alerts", name, None, opts)
        self._name = name
        self._args = args
        self._names: list[str] = []
        self._workbook_title = f"Azure OpenAI gateway ({args.namer.environment})"

        self._apim_alerts()
        self._openai_alerts()
        if args.app_gateway_id is not None:
            self._edge_alerts(args.app_gateway_id)
        self._gateway_health_alerts()
        self._spend_alerts()
        workbook = self._workbook()

        self.alert_names = pulumi.Output.from_input(list(self._names))
        self.workbook_id = workbook.id
        self.register_outputs({"alertNames": self.alert_names, "workbookId": self.workbook_id})

    # ------------------------------------------------------------ rules by concern

    def _apim_alerts(self) -> None:
        """Server errors, backend latency and (classic tiers) capacity of API Management."""
        args, t, book = self._args, self._args.thresholds, self._book
        self._log_alert(
            "apim-5xx",
            title="APIM server errors",
            scope=args.apim_id,
            query=server_error_rate_query(),
            measure="ErrorPercent",
            aggregation="Maximum",
            operator="GreaterThan",
            threshold=t.apim_server_error_percent,
            window="PT15M",
            frequency="PT5M",
            severity=SEVERITY_ERROR,
            description=_lines(
                f"More than {t.apim_server_error_percent:g}% of gateway responses were 5xx in the last 15 minutes",
                f"(only evaluated with {MIN_REQUESTS_FOR_ERROR_RATE}+ requests). Clients are failing.",
                f"First steps: in the {book}, 'Backend health' shows which Azure OpenAI account fails;",
                "503 without a backend status means every pool member is unavailable (see that alert).",
                "Query: ApiManagementGatewayLogs | where ResponseCode >= 500 | summarize count() by ResponseCode,",
                "BackendResponseCode, LastErrorReason, tostring(parse_url(BackendUrl).Host).",
                "Then check Azure Service Health for the OpenAI regions and the APIM service's Activity log.",
            ),
        )
        self._metric_alert(
            "apim-backend-duration",
            scope=args.apim_id,
            namespace=APIM,
            metric="BackendDuration",
            aggregation="Average",
            operator="GreaterThan",
            threshold=t.apim_backend_duration_ms,
            window="PT15M",
            frequency="PT5M",
            severity=SEVERITY_WARNING,
            description=_lines(
                "Average Azure OpenAI response time seen by APIM exceeded",
                f"{t.apim_backend_duration_ms} ms over 15 minutes.",
                "Users wait longer; long generations and streaming raise this too.",
                f"First steps: in the {book}, 'Latency' splits gateway and backend time; 'Backend health' shows",
                "the slow account. Check the account's 'Time to Response' metric and PTU utilization",
                "(AzureOpenAIProvisionedManagedUtilizationV2): a saturated PTU deployment queues requests.",
            ),
        )
        if args.apim_classic_sku:
            self._metric_alert(
                "apim-capacity",
                scope=args.apim_id,
                namespace=APIM,
                metric="Capacity",
                aggregation="Average",
                operator="GreaterThan",
                threshold=t.apim_capacity_percent,
                window="PT15M",
                frequency="PT5M",
                severity=SEVERITY_WARNING,
                description=_lines(
                    f"API Management capacity stayed above {t.apim_capacity_percent}% for 15 minutes.",
                    "The gateway is close to its limit and latency will grow, then requests fail.",
                    "First steps: check Requests and Duration metrics for a traffic spike; if sustained,",
                    "raise apim.capacity in the stack config (scale units) and run pulumi up.",
                ),
            )

    def _openai_alerts(self) -> None:
        """Throttling and token consumption, per Azure OpenAI account."""
        args, t, book = self._args, self._args.thresholds, self._book
        for backend, account_id in sorted(args.openai_account_ids.items()):
            self._metric_alert(
                f"oai-429-{backend}",
                scope=account_id,
                namespace=OPENAI,
                metric="AzureOpenAIRequests",
                aggregation="Total",
                operator="GreaterThanOrEqual",
                threshold=t.openai_throttled_requests,
                window="PT5M",
                frequency="PT1M",
                severity=SEVERITY_WARNING,
                dimensions={"StatusCode": ["429"]},
                description=_lines(
                    f"Azure OpenAI account '{backend}' answered 429 (throttled) {t.openai_throttled_requests} or more",
                    "times in 5 minutes. The gateway retries other pool members and opens this backend's",
                    "circuit breaker, so clients may not see it yet; if every member throttles they get 503.",
                    f"First steps: in the {book}, '429s by source' and 'Backend health'. Compare the deployment's",
                    "TPM/PTU quota with its traffic (Processed Inference Tokens, Provisioned-managed Utilization V2);",
                    "raise capacity in openaiBackends or lower product tokensPerMinute limits.",
                ),
            )
            self._metric_alert(
                f"oai-tokens-{backend}",
                scope=account_id,
                namespace=OPENAI,
                metric="TokenTransaction",
                aggregation="Total",
                operator="GreaterThan",
                threshold=t.openai_tokens_per_hour,
                window="PT1H",
                frequency="PT15M",
                severity=SEVERITY_INFO,
                description=_lines(
                    f"Azure OpenAI account '{backend}' processed more than {t.openai_tokens_per_hour} tokens",
                    "(prompt + completion) in the last hour: spend is above the planned budget.",
                    f"First steps: in the {book}, 'Tokens by product' and 'Tokens and cost by subscription'",
                    "name the consumer.",
                    "If unexpected, lower that product's tokensPerMinute or tokenQuota, or suspend the subscription.",
                ),
            )

    def _edge_alerts(self, app_gateway_id: pulumi.Input[str]) -> None:
        """Backend health and WAF blocks of the Application Gateway."""
        t = self._args.thresholds
        self._metric_alert(
            "agw-unhealthy-hosts",
            scope=app_gateway_id,
            namespace=APP_GATEWAY,
            metric="UnhealthyHostCount",
            aggregation="Average",
            operator="GreaterThanOrEqual",
            threshold=t.unhealthy_hosts,
            window="PT5M",
            frequency="PT1M",
            severity=SEVERITY_ERROR,
            description=_lines(
                f"The Application Gateway sees {t.unhealthy_hosts} or more unhealthy backends (API Management).",
                "Its health probe (/status-0123456789abcdef) fails, so clients get 502.",
                "First steps: Application Gateway > Backend health shows the probe error; check APIM is running,",
                "its private IP and NSG rules on the APIM subnet, and the backend certificate/host name.",
            ),
        )
        self._metric_alert(
            "agw-waf-blocks",
            scope=app_gateway_id,
            namespace=APP_GATEWAY,
            metric="AzwafTotalRequests",
            aggregation="Total",
            operator="GreaterThanOrEqual",
            threshold=t.waf_blocked_requests,
            window="PT5M",
            frequency="PT1M",
            severity=SEVERITY_WARNING,
            dimensions={"Action": ["Block"]},
            description=_lines(
                f"The WAF blocked {t.waf_blocked_requests} or more requests in 5 minutes: an attack,",
                "or a false positive (prompts often contain code or SQL that managed rules match).",
                "First steps: AGWFirewallLogs | where Action == 'Blocked' | summarize count() by RuleId, ClientIp,",
                "RequestUri. One client and many rules: attack, consider a custom block rule. Many clients and",
                "one rule on the OpenAI paths: false positive, add a scoped exclusion in the WAF policy.",
            ),
        )

    def _gateway_health_alerts(self) -> None:
        """From the gateway's logs: no backend available, and each product's limit rejections."""
        args, t, book = self._args, self._args.thresholds, self._book
        self._log_alert(
            "backends-unavailable",
            title="No Azure OpenAI backend available",
            scope=args.apim_id,
            query=backends_unavailable_query(),
            measure="Responses",
            aggregation="Total",
            operator="GreaterThanOrEqual",
            threshold=t.circuit_breaker_trips,
            window="PT5M",
            frequency="PT5M",
            severity=SEVERITY_ERROR,
            description=_lines(
                f"The gateway answered 503 without reaching any backend {t.circuit_breaker_trips} or more times",
                "in 5 minutes: every pool member's circuit breaker is open (all throttled or failing) or no",
                "account is reachable. Clients are told to retry after Retry-After.",
                f"First steps: 'Backend health' in the {book}; the per-account 429 alerts; Azure Service Health.",
                "Query: ApiManagementGatewayLogs | where ResponseCode == 503 | project TimeGenerated,",
                "LastErrorReason, LastErrorMessage, BackendId.",
                "If no account answers at all, suspect private endpoints or private DNS.",
            ),
        )
        for product_name, product in sorted(args.products.items()):
            self._log_alert(
                f"limits-{product_name}",
                title=f"Gateway limit rejections: {product_name}",
                scope=args.apim_id,
                query=gateway_rejections_query(product_name),
                measure="Rejections",
                aggregation="Total",
                operator="GreaterThanOrEqual",
                threshold=t.gateway_limit_rejections,
                window="PT15M",
                frequency="PT5M",
                severity=SEVERITY_INFO,
                description=_lines(
                    f"Product '{product_name}' had {t.gateway_limit_rejections} or more requests rejected by its own",
                    f"gateway limits in 15 minutes ({_limits_text(product)}). Azure OpenAI is fine; callers hit",
                    "their allowance and got 429 (rate or tokens per minute) or 403 (token quota used up).",
                    f"First steps: '429s by source' in the {book} names the subscriptions. Tell the consumer to",
                    "honour Retry-After, or raise the product's limits in the stack config if the demand is expected.",
                ),
            )

    def _spend_alerts(self) -> None:
        """Spend pace of every product that has a monthly budget."""
        args, book = self._args, self._book
        for product_name, product in sorted(args.products.items()):
            if product.monthly_budget is None:
                continue
            budget = product.monthly_budget
            self._log_alert(
                f"spend-{product_name}",
                title=f"Spend pace over budget: {product_name}",
                scope=args.workspace_id,
                query=self._spend_query(product_name, budget),
                measure="BudgetUsedPercent",
                aggregation="Maximum",
                operator="GreaterThan",
                threshold=100,
                window="P1D",
                frequency="PT1H",
                severity=SEVERITY_WARNING,
                description=_lines(
                    f"Product '{product_name}' spent more in the last 24 hours than its daily share of the",
                    f"{budget:g} {args.currency} monthly budget (budget / days in this month), priced from the",
                    "gateway's token metrics and the stack's pricing table. At this pace the month ends over budget.",
                    f"First steps: 'Cost by product' in the {book} shows month-to-date spend against the budget and",
                    "the subscriptions and deployments behind it. Lower tokenQuota/tokensPerMinute for the product,",
                    "or raise monthlyBudget if the spend is agreed.",
                ),
            )

    @property
    def _book(self) -> str:
        return f"workbook '{self._workbook_title}'"

    # ------------------------------------------------------------ builders

    def _rule_name(self, key: str) -> str:
        rule_name = self._args.namer.name("alert", key)
        self._names.append(rule_name)
        return rule_name

    def _metric_alert(
        self,
        key: str,
        *,
        scope: pulumi.Input[str],
        namespace: str,
        metric: str,
        aggregation: str,
        operator: str,
        threshold: float,
        window: str,
        frequency: str,
        severity: int,
        description: str,
        dimensions: Mapping[str, Sequence[str]] | None = None,
    ) -> monitor.MetricAlert:
        args = self._args
        return monitor.MetricAlert(
            f"{self._name}-{key}",
            rule_name=self._rule_name(key),
            resource_group_name=args.resource_group_name,
            location="global",
            description=description,
            severity=severity,
            enabled=True,
            scopes=[scope],
            evaluation_frequency=frequency,
            window_size=window,
            auto_mitigate=True,
            criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                all_of=[
                    monitor.MetricCriteriaArgs(
                        criterion_type="StaticThresholdCriterion",
                        name=metric,
                        metric_namespace=namespace,
                        metric_name=metric,
                        operator=operator,
                        threshold=threshold,
                        time_aggregation=aggregation,
                        dimensions=[
                            monitor.MetricDimensionArgs(name=dim, operator="Include", values=list(values))
                            for dim, values in sorted((dimensions or {}).items())
                        ],
                    )
                ],
            ),
            actions=[monitor.MetricAlertActionArgs(action_group_id=args.action_group_id)],
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _log_alert(
        self,
        key: str,
        *,
        title: str,
        scope: pulumi.Input[str],
        query: pulumi.Input[str],
        measure: str,
        aggregation: str,
        operator: str,
        threshold: float,
        window: str,
        frequency: str,
        severity: int,
        description: str,
    ) -> monitor.ScheduledQueryRule:
        args = self._args
        return monitor.ScheduledQueryRule(
            f"{self._name}-{key}",
            rule_name=self._rule_name(key),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="LogAlert",
            display_name=title,
            description=description,
            severity=severity,
            enabled=True,
            scopes=[scope],
            evaluation_frequency=frequency,
            window_size=window,
            auto_mitigate=True,
            # Rules are created with the diagnostic settings that feed them; until the first request is
            # logged the gateway tables are empty and Azure's validation would refuse the rule.
            skip_query_validation=True,
            criteria=monitor.ScheduledQueryRuleCriteriaArgs(
                all_of=[
                    monitor.ConditionArgs(
                        criterion_type="StaticThresholdCriterion",
                        query=query,
                        metric_measure_column=measure,
                        time_aggregation=aggregation,
                        operator=operator,
                        threshold=threshold,
                        failing_periods=monitor.ConditionFailingPeriodsArgs(
                            number_of_evaluation_periods=1, min_failing_periods_to_alert=1
                        ),
                    )
                ]
            ),
            actions=monitor.ActionsArgs(action_groups=[args.action_group_id]),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _spend_query(self, product: str, budget: float) -> pulumi.Output[str]:
        prices = self._args.deployment_prices
        return pulumi.Output.from_input(self._args.app_insights_id).apply(
            lambda ai_id: spend_pace_query(product, budget, ai_id, prices)
        )

    def _workbook(self) -> applicationinsights.Workbook:
        args = self._args
        accounts: pulumi.Input[Mapping[str, str]] = (
            pulumi.Output.all(**dict(args.openai_account_ids)) if args.openai_account_ids else {}
        )
        serialized = pulumi.Output.all(
            workspace_id=args.workspace_id,
            app_insights_id=args.app_insights_id,
            apim_id=args.apim_id,
            app_gateway_id=args.app_gateway_id,
            accounts=accounts,
        ).apply(
            lambda v: render_workbook(
                workbook_context(
                    title=self._workbook_title,
                    workspace_id=v["workspace_id"],
                    app_insights_id=v["app_insights_id"],
                    apim_id=v["apim_id"],
                    openai_account_ids=v["accounts"],
                    app_gateway_id=v["app_gateway_id"],
                    products=args.products,
                    deployment_prices=args.deployment_prices,
                    currency=args.currency,
                    token_metric_namespace=args.token_metric_namespace,
                )
            )
        )
        return applicationinsights.Workbook(
            f"{self._name}-workbook",
            resource_name_=args.namer.deterministic_guid("workbook"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="shared",
            category="workbook",
            display_name=self._workbook_title,
            # The portal lists a workbook under its source resource only when the id is lower case.
            source_id=pulumi.Output.from_input(args.workspace_id).apply(str.lower),
            serialized_data=serialized,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )


def _limits_text(product: ProductSettings) -> str:
    parts = []
    if product.rate_limit is not None:
        parts.append(f"{product.rate_limit.calls} requests per {product.rate_limit.renewal_period}s")
    if product.tokens_per_minute is not None:
        parts.append(f"{product.tokens_per_minute} tokens per minute")
    if product.token_quota is not None:
        parts.append(f"{product.token_quota.tokens} tokens {product.token_quota.period.lower()}")
    return ", ".join(parts) or "no limits"
