"""Alerts under mocks: every rule exists for its resource, targets the action group, reads real metrics and tables."""

from __future__ import annotations

import dataclasses
import re
import typing
from functools import cache
from typing import Any

import pulumi
import pytest

from components.apim.tiers import CLASSIC_TIERS, ApimSku
from components.capacity import token_alerts
from components.naming import Namer
from components.observability.alerts import Alerts, AlertsArgs
from components.observability.kql import kql_real, kql_string, price_table, spend_pace_query
from components.outputs import deployment_models, deployment_prices
from components.settings import Settings
from components.shared import Placement
from offline.engine import PlanResult, run_program
from offline.mocks import SUBSCRIPTION_ID
from tests.conftest import of_type, with_overrides
from tests.test_config import refused, settings_for

# Real metric names per resource type, with the dimensions and aggregations each supports, from the Azure
# Monitor reference "Supported metrics for <type>" (learn.microsoft.com/azure/azure-monitor/reference/
# supported-metrics/microsoft-apimanagement-service-metrics, .../microsoft-cognitiveservices-accounts-metrics,
# .../microsoft-network-applicationgateways-metrics). A name outside this list is a typo Azure would refuse.
METRICS: dict[str, dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "microsoft.apimanagement/service": {
        "Requests": (
            frozenset(
                {
                    "Location",
                    "Hostname",
                    "LastErrorReason",
                    "BackendResponseCode",
                    "GatewayResponseCode",
                    "BackendResponseCodeCategory",
                    "GatewayResponseCodeCategory",
                    "ApiId",
                }
            ),
            frozenset({"Total", "Maximum", "Minimum"}),
        ),
        "BackendDuration": (frozenset({"Location", "Hostname", "ApiId"}), frozenset({"Average", "Maximum", "Minimum"})),
        "Duration": (frozenset({"Location", "Hostname", "ApiId"}), frozenset({"Average", "Maximum", "Minimum"})),
        "Capacity": (frozenset({"Location"}), frozenset({"Average", "Maximum"})),
        "CpuPercent_Gateway": (frozenset(), frozenset({"Average", "Maximum"})),
        "MemoryPercent_Gateway": (frozenset(), frozenset({"Average", "Maximum"})),
    },
    "microsoft.cognitiveservices/accounts": {
        "AzureOpenAIRequests": (
            frozenset(
                {
                    "ApiName",
                    "OperationName",
                    "Region",
                    "StreamType",
                    "ModelDeploymentName",
                    "ModelName",
                    "ModelVersion",
                    "StatusCode",
                    "IsSpillover",
                    "ServiceTierRequest",
                    "ServiceTierResponse",
                }
            ),
            frozenset({"Total"}),
        ),
        "TokenTransaction": (
            frozenset({"ApiName", "ModelDeploymentName", "FeatureName", "UsageChannel", "Region", "ModelVersion"}),
            frozenset({"Total"}),
        ),
        "ProcessedPromptTokens": (
            frozenset({"ApiName", "ModelDeploymentName", "FeatureName", "UsageChannel", "Region", "ModelVersion"}),
            frozenset({"Total"}),
        ),
        "GeneratedTokens": (
            frozenset({"ApiName", "ModelDeploymentName", "FeatureName", "UsageChannel", "Region", "ModelVersion"}),
            frozenset({"Total"}),
        ),
        "AzureOpenAIProvisionedManagedUtilizationV2": (
            frozenset({"Region", "StreamType", "ModelDeploymentName", "ModelName", "ModelVersion"}),
            frozenset({"Minimum", "Maximum", "Average"}),
        ),
    },
    "microsoft.network/applicationgateways": {
        "UnhealthyHostCount": (frozenset({"BackendSettingsPool"}), frozenset({"Average"})),
        "HealthyHostCount": (frozenset({"BackendSettingsPool"}), frozenset({"Average"})),
        "AzwafTotalRequests": (
            frozenset({"Action", "CountryCode", "Method", "Mode", "PolicyName", "PolicyScope"}),
            frozenset({"Total"}),
        ),
        "AzwafSecRule": (
            frozenset(
                {"Action", "Mode", "RuleGroupID", "RuleID", "CountryCode", "PolicyName", "PolicyScope", "RuleSetName"}
            ),
            frozenset({"Total"}),
        ),
        "ResponseStatus": (frozenset({"HttpStatusGroup"}), frozenset({"Total"})),
    },
}

# Log Analytics tables our queries may read (Azure Monitor Logs table reference). ApiManagementGatewayLogs and
# ApiManagementGatewayLlmLog exist only with resource-specific ("Dedicated") diagnostic settings on APIM.
TABLES = frozenset(
    {
        "ApiManagementGatewayLogs",
        "ApiManagementGatewayLlmLog",
        "AppMetrics",
        "AppRequests",
        "AppDependencies",
        "AzureDiagnostics",
        "AzureMetrics",
        "AGWFirewallLogs",
        "AGWAccessLogs",
    }
)

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_LET = re.compile(r"\blet\s+([A-Za-z_]\w*)\s*=")
# Our KQL puts every tabular source on its own line, first in a pipeline, or after join/lookup.
_SOURCE_LINE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\||$)", re.M)
_JOINED = re.compile(r"\b(?:join|lookup)\b(?:\s+kind\s*=\s*\w+)?\s*\(?\s*([A-Za-z_]\w*)")


def tables_in(kql: str) -> set[str]:
    """Table names a query reads: its tabular sources minus the names it binds with `let`."""
    code = _STRING.sub('""', kql)
    bound = set(_LET.findall(code))
    sources = set(_SOURCE_LINE.findall(code)) | set(_JOINED.findall(code))
    return sources - bound


def check_metric(namespace: str, metric: str, aggregation: str, dimensions: set[str]) -> None:
    known = METRICS.get(namespace.lower())
    assert known is not None, f"unknown metric namespace {namespace}"
    assert metric in known, f"{namespace} has no metric {metric!r}; known: {sorted(known)}"
    allowed_dims, allowed_aggs = known[metric]
    assert aggregation in allowed_aggs, f"{metric} does not support {aggregation}"
    assert dimensions <= allowed_dims, f"{metric} has no dimension(s) {sorted(dimensions - allowed_dims)}"


def arm(provider: str, name: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-test/providers/{provider}/{name}"


ACTION_GROUP_ID = arm("Microsoft.Insights/actionGroups", "ag-test")
WORKSPACE_ID = arm("Microsoft.OperationalInsights/workspaces", "log-test")
APP_INSIGHTS_ID = arm("Microsoft.Insights/components", "appi-test")
APIM_ID = arm("Microsoft.ApiManagement/service", "apim-test")
APP_GATEWAY_ID = arm("Microsoft.Network/applicationGateways", "agw-test")
TAGS = {"environment": "prod", "managedBy": "pulumi"}


def account_ids(settings: Settings) -> dict[str, str]:
    return {name: arm("Microsoft.CognitiveServices/accounts", f"oai-{name}") for name in settings.openai_backends}


def prices_of(settings: Settings) -> dict[str, tuple[float, float]]:
    return deployment_prices(settings.openai_backends, settings.pricing)


def namer_for(settings: Settings, stack: str = "prod") -> Namer:
    return Namer(settings.workload, settings.environment, stack, settings.location, settings.name_suffix)


def alerts_args(settings: Settings, **overrides: Any) -> AlertsArgs:
    args = AlertsArgs(
        placement=Placement(resource_group_name="rg-test", location=settings.location, tags=TAGS),
        thresholds=settings.monitoring.thresholds,
        namer=namer_for(settings),
        action_group_id=ACTION_GROUP_ID,
        workspace_id=WORKSPACE_ID,
        app_insights_id=APP_INSIGHTS_ID,
        apim_id=APIM_ID,
        apim_classic_sku=settings.apim.sku in CLASSIC_TIERS,
        openai_account_ids=account_ids(settings),
        app_gateway_id=APP_GATEWAY_ID,
        products=settings.products,
        teams=settings.teams,
        openai_token_alerts=token_alerts(
            settings.openai_backends, settings.monitoring.thresholds.openai_tokens_per_hour
        ),
        deployment_prices=prices_of(settings),
        deployment_models=deployment_models(settings.openai_backends),
        currency=settings.currency,
        token_metric_namespace="aoai-gateway",
    )
    return dataclasses.replace(args, **overrides)


def run_alerts(args: AlertsArgs) -> PlanResult:
    def program() -> None:
        alerts = Alerts("alerts", args)
        pulumi.export("alertNames", alerts.alert_names)
        pulumi.export("workbookId", alerts.workbook_id)

    return run_program("prod", config=with_overrides("prod"), program=program)


@cache
def full() -> PlanResult:
    """prod's Application Gateway and budgets on every product, with a classic APIM tier."""
    return run_alerts(alerts_args(settings_for("prod"), apim_classic_sku=True))


@cache
def reduced() -> PlanResult:
    """A v2 APIM without an Application Gateway, and one product without a budget."""
    settings = settings_for("prod")
    products = dict(settings.products)
    products["partner"] = products["partner"].model_copy(update={"monthly_budget": None})
    return run_alerts(alerts_args(settings, apim_classic_sku=False, app_gateway_id=None, products=products))


def rules(result: PlanResult) -> list[dict[str, Any]]:
    return of_type(result, "monitor:MetricAlert") + of_type(result, "monitor:ScheduledQueryRule")


def by_key(result: PlanResult) -> dict[str, dict[str, Any]]:
    """Rules keyed by the part of their logical name after the component's name."""
    return {r["name"].removeprefix("alerts-"): r for r in rules(result)}


def resource_type(resource_id: str) -> str:
    """`Microsoft.X/type` of an ARM id."""
    provider = resource_id.split("/providers/", 1)[1].split("/")
    return f"{provider[0]}/{provider[1]}".lower()


# ---------------------------------------------------------------- which alerts exist


def test_every_named_alert_exists_for_prod() -> None:
    settings = settings_for("prod")
    expected = {
        "apim-5xx",
        "apim-backend-duration",
        "apim-capacity",
        "agw-unhealthy-hosts",
        "agw-waf-blocks",
        "backends-unavailable",
        *(f"oai-429-{b}" for b in settings.openai_backends),
        *(f"oai-tokens-{b}" for b in settings.openai_backends),
        *(f"limits-{p}" for p in settings.products),
        *(f"spend-{p}" for p, product in settings.products.items() if product.monthly_budget is not None),
        *(
            f"spend-team-{t}-{percent}"
            for t, team in settings.teams.items()
            if team.monthly_budget is not None
            for percent in (80, 100)
        ),
    }
    assert any(key.startswith("spend-team-") for key in expected), "prod onboards teams with budgets"
    assert set(by_key(full())) == expected


def test_capacity_alert_for_classic_tiers_gateway_cpu_for_v2() -> None:
    assert set(typing.get_args(ApimSku)) - CLASSIC_TIERS == {"BasicV2", "StandardV2", "PremiumV2"}
    classic, v2 = by_key(full()), by_key(reduced())
    assert "apim-capacity" in classic and "apim-cpu" not in classic
    assert "apim-cpu" in v2 and "apim-capacity" not in v2, "v2 tiers report no Capacity (it reads 0)"
    criteria = v2["apim-cpu"]["inputs"]["criteria"]["allOf"][0]
    expected = ("Microsoft.ApiManagement/service", "CpuPercent_Gateway")
    assert (criteria["metricNamespace"], criteria["metricName"]) == expected


def test_app_gateway_alerts_absent_without_app_gateway() -> None:
    keys = set(by_key(reduced()))
    assert not {k for k in keys if k.startswith("agw-")}
    assert {"agw-unhealthy-hosts", "agw-waf-blocks"} <= set(by_key(full()))


def test_spend_rule_only_for_products_with_a_budget() -> None:
    keys = set(by_key(reduced()))
    assert "spend-internal" in keys
    assert "spend-partner" not in keys
    assert "limits-partner" in keys, "limit rejections are watched whether or not a product has a budget"


def test_alert_names_output_lists_every_rule() -> None:
    for result in (full(), reduced()):
        names = [r["inputs"]["ruleName"] for r in rules(result)]
        assert names, "the alerts component declared no rule"
        assert sorted(result.outputs["alertNames"]) == sorted(names)
        assert len(set(names)) == len(names)
        assert all(name.startswith("alrt-aoaigw-prod-") and len(name) <= 260 for name in names)


# ---------------------------------------------------------------- what every rule carries


@pytest.mark.parametrize("variant", [full, reduced], ids=["full", "reduced"])
def test_every_rule_targets_the_action_group_and_is_tagged(variant: Any) -> None:
    found = rules(variant())
    assert {rule["type"].rsplit(":", 1)[-1] for rule in found} == {"MetricAlert", "ScheduledQueryRule"}
    for rule in found:
        inputs = rule["inputs"]
        if rule["type"].endswith("MetricAlert"):
            assert inputs["actions"] == [{"actionGroupId": ACTION_GROUP_ID}], rule["name"]
        else:
            assert inputs["actions"]["actionGroups"] == [ACTION_GROUP_ID], rule["name"]
        assert inputs["tags"] == TAGS
        assert inputs["enabled"] is True and inputs["autoMitigate"] is True
        assert inputs["severity"] in (0, 1, 2, 3, 4)


def test_every_rule_has_a_description_on_call_can_act_on() -> None:
    found = rules(full())
    assert found, "the alerts component declared no rule"
    for rule in found:
        description = rule["inputs"]["description"]
        assert len(description) >= 150, f"{rule['name']}: description too short to act on"
        assert "First steps" in description, f"{rule['name']}: description must say what to do first"
        assert len(description) <= 2048


def test_metric_alert_scopes_match_their_metrics() -> None:
    settings = settings_for("prod")
    accounts = account_ids(settings)
    expected_scope = {
        "apim-backend-duration": APIM_ID,
        "apim-capacity": APIM_ID,
        "agw-unhealthy-hosts": APP_GATEWAY_ID,
        "agw-waf-blocks": APP_GATEWAY_ID,
        **{f"oai-429-{b}": accounts[b] for b in accounts},
        **{f"oai-tokens-{b}": accounts[b] for b in accounts},
    }
    metric_alerts = {r["name"].removeprefix("alerts-"): r for r in of_type(full(), "monitor:MetricAlert")}
    assert set(metric_alerts) == set(expected_scope)
    for key, rule in metric_alerts.items():
        inputs = rule["inputs"]
        assert inputs["scopes"] == [expected_scope[key]], key
        assert inputs["location"] == "global"
        criteria = inputs["criteria"]
        assert criteria["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
        assert criteria["allOf"], f"{key}: no criterion"
        for criterion in criteria["allOf"]:
            assert criterion["metricNamespace"].lower() == resource_type(expected_scope[key]), key
            check_metric(
                criterion["metricNamespace"],
                criterion["metricName"],
                criterion["timeAggregation"],
                {d["name"] for d in criterion.get("dimensions", [])},
            )


def test_log_alert_scopes_match_the_tables_they_read() -> None:
    log_alerts = of_type(full(), "monitor:ScheduledQueryRule")
    read: set[str] = set()
    for rule in log_alerts:
        inputs = rule["inputs"]
        assert inputs["kind"] == "LogAlert"
        assert inputs["location"] == settings_for("prod").location
        query = inputs["criteria"]["allOf"][0]["query"]
        tables = tables_in(query)
        assert tables, f"{rule['name']}: no table found in its query"
        assert tables <= TABLES, f"{rule['name']}: unknown table(s) {sorted(tables - TABLES)}"
        read |= tables
        if "ApiManagementGatewayLogs" in tables:
            assert inputs["scopes"] == [APIM_ID], "gateway log alerts read the APIM service's own logs"
        if "AppMetrics" in tables:
            assert inputs["scopes"] == [WORKSPACE_ID]
            assert f'_ResourceId =~ "{APP_INSIGHTS_ID}"' in query, "token metrics of this stack only"
    # Both scope rules above apply to some alert; otherwise they would check nothing.
    assert {"ApiManagementGatewayLogs", "AppMetrics"} <= read


def test_log_alert_windows_fit_what_azure_accepts() -> None:
    minutes = {"PT1M": 1, "PT5M": 5, "PT15M": 15, "PT30M": 30, "PT1H": 60, "PT6H": 360, "P1D": 1440, "P2D": 2880}
    log_alerts = of_type(full(), "monitor:ScheduledQueryRule")
    assert log_alerts, "no log alert to check"
    for rule in log_alerts:
        inputs = rule["inputs"]
        window, frequency = minutes[inputs["windowSize"]], minutes[inputs["evaluationFrequency"]]
        assert frequency <= window <= 2880, rule["name"]
        criterion = inputs["criteria"]["allOf"][0]
        assert criterion["metricMeasureColumn"] in criterion["query"]


# ---------------------------------------------------------------- thresholds come from the stack config

THRESHOLD_OF = {
    "apim-5xx": "apim_server_error_percent",
    "apim-backend-duration": "apim_backend_duration_ms",
    "apim-capacity": "apim_capacity_percent",
    "agw-unhealthy-hosts": "unhealthy_hosts",
    "agw-waf-blocks": "waf_blocked_requests",
    "backends-unavailable": "circuit_breaker_trips",
    "oai-429-": "openai_throttled_requests",
    "limits-": "gateway_limit_rejections",
}


def test_thresholds_come_from_the_stack_config() -> None:
    thresholds = settings_for("prod").monitoring.thresholds
    checked = 0
    for key, rule in by_key(full()).items():
        field = next((attr for prefix, attr in THRESHOLD_OF.items() if key == prefix or key.startswith(prefix)), None)
        if field is None:
            continue
        criterion = rule["inputs"]["criteria"]["allOf"][0]
        assert criterion["threshold"] == getattr(thresholds, field), key
        checked += 1
    assert checked > 0, "no rule has a configured threshold"
    derived = ("spend-", "oai-tokens-")
    assert checked == len(by_key(full())) - sum(k.startswith(derived) for k in by_key(full()))


# What prod's accounts can process an hour, worked out by hand from Pulumi.prod.yaml: ptu-swc runs 15 PTU of
# gpt-5.4 (2,400 input tokens a minute each, Microsoft's PTU table) and 120K TPM of embeddings; the paygo
# accounts run 150K (frc) and 100K (gwc) TPM of gpt-5.4 plus 120K TPM of embeddings each.
PROD_TOKENS_PER_HOUR = {
    "ptu-swc": (15 * 2_400 + 120_000) * 60,
    "paygo-frc": (150_000 + 120_000) * 60,
    "paygo-gwc": (100_000 + 120_000) * 60,
}


def test_token_alerts_fire_at_80_percent_of_what_each_account_can_process() -> None:
    """Unset, the threshold follows each account's deployments, so the alert can fire and is not noise."""
    settings = settings_for("prod")
    assert settings.monitoring.thresholds.openai_tokens_per_hour is None
    found = {key: rule for key, rule in by_key(full()).items() if key.startswith("oai-tokens-")}
    assert set(found) == {f"oai-tokens-{name}" for name in PROD_TOKENS_PER_HOUR}
    for name, capacity in PROD_TOKENS_PER_HOUR.items():
        rule = found[f"oai-tokens-{name}"]["inputs"]
        assert rule["criteria"]["allOf"][0]["threshold"] == capacity * 8 // 10
        assert f"80% of the {capacity:,} tokens its deployments can process in an hour" in rule["description"]


def test_a_configured_token_threshold_applies_to_every_account() -> None:
    alerts = token_alerts(settings_for("prod").openai_backends, 1_000_000)
    assert alerts == {name: (1_000_000, capacity) for name, capacity in PROD_TOKENS_PER_HOUR.items()}


def test_a_ptu_model_without_a_published_figure_needs_a_threshold() -> None:
    unknown = {"deployments": {"gpt-5.4": {"model": "gpt-9"}}}
    backends = {name: unknown for name in PROD_TOKENS_PER_HOUR}
    pricing = {"gpt-9": {"inputPer1k": 0.01, "outputPer1k": 0.02}}
    message = refused("prod", openaiBackends=backends, pricing=pricing)
    assert "cannot be sized; set monitoring.thresholds.openaiTokensPerHour" in message
    sized = settings_for(
        "prod", openaiBackends=backends, pricing=pricing, monitoring={"thresholds": {"openaiTokensPerHour": 5_000_000}}
    )
    assert token_alerts(sized.openai_backends, 5_000_000)["ptu-swc"] == (5_000_000, None)


def test_429_alerts_filter_throttled_status_and_waf_counts_blocks_only() -> None:
    def dimensions(rule: dict[str, Any]) -> dict[str, Any]:
        return {d["name"]: d["values"] for d in rule["inputs"]["criteria"]["allOf"][0].get("dimensions", [])}

    rules_by_key = by_key(full())
    throttled = {key: rule for key, rule in rules_by_key.items() if key.startswith("oai-429-")}
    assert len(throttled) == len(settings_for("prod").openai_backends), "one 429 alert per backend"
    for key, rule in throttled.items():
        assert dimensions(rule) == {"StatusCode": ["429"]}, key
    assert dimensions(rules_by_key["agw-waf-blocks"]) == {"Action": ["Block"]}


# ---------------------------------------------------------------- the KQL itself


def test_gateway_limit_query_separates_gateway_from_backend_429s() -> None:
    query = by_key(full())["limits-internal"]["inputs"]["criteria"]["allOf"][0]["query"]
    assert 'ProductId == "internal"' in query
    assert "ResponseCode == 429" in query
    assert "(isnull(BackendResponseCode) or BackendResponseCode == 0)" in query, "a backend 429 is not a gateway limit"


def test_spend_query_prices_tokens_and_compares_to_the_product_budget() -> None:
    settings = settings_for("prod")
    assert settings.products["partner"].monthly_budget == 800
    assert prices_of(settings) == {"gpt-5.4": (0.00275, 0.0165), "text-embedding-3-small": (0.000022, 0.0)}
    query = by_key(full())["spend-partner"]["inputs"]["criteria"]["allOf"][0]["query"]
    assert 'Product == "partner"' in query
    # Written out, not formatted by the kql helpers the query is built with: KQL needs plain decimals.
    assert "800.0 / dayofmonth(endofmonth(now()))" in query
    assert '"gpt-5.4", 0.00275, 0.0165' in query
    assert '"text-embedding-3-small", 0.000022, 0.0' in query
    assert '"Prompt Tokens"' in query and '"Completion Tokens"' in query


def test_team_budget_alerts_warn_at_80_percent_then_at_the_budget() -> None:
    settings = settings_for("prod")
    budgets = {name: team.monthly_budget for name, team in settings.teams.items() if team.monthly_budget}
    assert budgets, "prod's teams have budgets"
    found = by_key(full())
    for team, budget in budgets.items():
        warning, over = found[f"spend-team-{team}-80"], found[f"spend-team-{team}-100"]
        for rule, percent in ((warning, 80), (over, 100)):
            criterion = rule["inputs"]["criteria"]["allOf"][0]
            assert criterion["threshold"] == percent
            assert f'Team == "{team}"' in criterion["query"]
            assert f"{kql_real(budget)} / dayofmonth(endofmonth(now()))" in criterion["query"]
            assert settings.teams[team].contact in rule["inputs"]["description"]
        assert over["inputs"]["severity"] < warning["inputs"]["severity"], "over budget is the more severe"


def test_a_deployments_price_is_its_models_price() -> None:
    """The token metrics know the deployment name, so its cost is the price of the model the pool serves under it.
    The settings refuse what would make that ambiguous: one name served as two models, a model without a price
    (tests/test_config.py)."""
    gpt5 = {"deployments": {"gpt-5.4": {"model": "gpt-5", "version": "2025-08-07"}}}
    settings = settings_for(
        "prod",
        openaiBackends={name: gpt5 for name in PROD_TOKENS_PER_HOUR},
        pricing={"gpt-5": {"inputPer1k": 0.005, "outputPer1k": 0.02}},
    )
    assert prices_of(settings) == {"gpt-5.4": (0.005, 0.02), "text-embedding-3-small": (0.000022, 0.0)}


def test_kql_literals() -> None:
    assert kql_real(0.00002) == "0.00002"
    assert kql_real(0) == "0.0"
    assert kql_real(5000) == "5000.0"
    assert kql_string('a"b') == '"a\\"b"'
    assert price_table({}) == "let prices = datatable(Deployment: string, InputPer1k: real, OutputPer1k: real) [];"
    assert "e-" not in price_table({"m": (0.000015, 0.00006)})


def test_table_finder_sees_sources_and_skips_let_names() -> None:
    query = spend_pace_query("p", 10, APP_INSIGHTS_ID, {"d": (1.0, 2.0)})
    assert tables_in(query) == {"AppMetrics"}
    assert tables_in("T1\n| join kind=inner (T2 | where x) on k\n| lookup T3 on k") == {"T1", "T2", "T3"}


def test_metric_checker_refuses_unknown_names() -> None:
    with pytest.raises(AssertionError):
        check_metric("Microsoft.CognitiveServices/accounts", "ThrottledRequests", "Total", set())
    with pytest.raises(AssertionError):
        check_metric("Microsoft.ApiManagement/service", "Requests", "Total", {"StatusCode"})
