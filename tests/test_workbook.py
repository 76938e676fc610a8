"""The gateway workbook: valid JSON, Notebook/1.0, and queries that read only tables and metrics Azure has."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader

import components.observability.workbook as workbook
from components.apim.policies import CLIENT_HEADERS
from components.observability.kql import CHARGEBACK_FUNCTION, GATEWAY_REJECTION
from components.observability.workbook import WorkbookRenderError, render_workbook, workbook_context
from components.outputs import deployment_models
from tests.conftest import of_type
from tests.test_alerts import (
    APIM_ID,
    APP_GATEWAY_ID,
    APP_INSIGHTS_ID,
    TABLES,
    WORKSPACE_ID,
    account_ids,
    check_metric,
    full,
    prices_of,
    reduced,
    tables_in,
)
from tests.test_config import settings_for

# Workbook metric aggregation codes (Application Insights Workbooks schema).
AGGREGATIONS = {1: "Total", 2: "Minimum", 3: "Maximum", 4: "Average", 7: "Count"}


def _reversed(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return dict(reversed(list(mapping.items())))


def context(*, reverse_config: bool = False, **overrides: Any) -> dict[str, Any]:
    """The prod workbook's context; with `reverse_config`, built from its config mappings in reverse order."""
    settings = settings_for("prod")
    order = _reversed if reverse_config else dict
    values = workbook_context(
        title="Azure OpenAI gateway (prod)",
        workspace_id=WORKSPACE_ID,
        app_insights_id=APP_INSIGHTS_ID,
        apim_id=APIM_ID,
        openai_account_ids=order(account_ids(settings)),
        app_gateway_id=APP_GATEWAY_ID,
        products=order(settings.products),
        deployment_prices=order(prices_of(settings)),
        deployment_models=order(deployment_models(settings.openai_backends)),
        team_products=order({name: team.product for name, team in settings.teams.items()}),
        team_header=CLIENT_HEADERS["team"],
        currency=settings.currency,
        token_metric_namespace="aoai-gateway",
    )
    values.update(overrides)
    return values


def rendered(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_workbook(context(**overrides)))
    return document


def items(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item, groups included."""
    for item in document["items"]:
        yield item
        if item["type"] == 12:
            yield from items(item["content"])


def queries(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in items(document) if i["type"] == 3]


def metric_charts(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in items(document) if i["type"] == 10]


def test_workbook_parses_as_notebook() -> None:
    document = rendered()
    assert document["version"] == "Notebook/1.0"
    assert document["fallbackResourceIds"] == [WORKSPACE_ID]
    names = [i["name"] for i in items(document)]
    assert names, "the workbook has no item"
    assert len(names) == len(set(names)), "item names must be unique"


def test_every_query_reads_only_known_tables_from_the_workspace() -> None:
    document = rendered()
    seen: set[str] = set()
    for item in queries(document):
        content = item["content"]
        assert content["version"] == "KqlItem/1.0"
        assert content["resourceType"] == "microsoft.operationalinsights/workspaces"
        assert content["crossComponentResources"] == [WORKSPACE_ID]
        tables = tables_in(content["query"])
        assert tables, f"{item['name']}: no table found"
        assert tables <= TABLES, f"{item['name']}: unknown table(s) {sorted(tables - TABLES)}"
        seen |= tables
    assert {"AppMetrics", "ApiManagementGatewayLogs"} <= seen


def test_queries_stay_on_this_stacks_resources() -> None:
    found = queries(rendered())
    gateway_tables = {"ApiManagementGatewayLogs", "ApiManagementGatewayLlmLog"}
    token_queries = [i for i in found if "AppMetrics" in tables_in(i["content"]["query"])]
    gateway_queries = [i for i in found if tables_in(i["content"]["query"]) & gateway_tables]
    assert token_queries and gateway_queries, "the workbook charts both token metrics and gateway logs"
    for item in token_queries:
        assert f'_ResourceId =~ "{APP_INSIGHTS_ID}"' in item["content"]["query"], item["name"]
    for item in gateway_queries:
        assert f'_ResourceId =~ "{APIM_ID}"' in item["content"]["query"], item["name"]


def test_every_metric_chart_reads_real_metrics_of_its_resources() -> None:
    document = rendered()
    ids_by_type = {
        "microsoft.apimanagement/service": {APIM_ID},
        "microsoft.cognitiveservices/accounts": set(account_ids(settings_for("prod")).values()),
        "microsoft.network/applicationgateways": {APP_GATEWAY_ID},
    }
    charted = set()
    charted_ids: dict[str, set[str]] = {}
    for item in metric_charts(document):
        content = item["content"]
        assert content["version"] == "MetricsItem/2.0"
        resource_type = content["resourceType"]
        # One resource per chart: accounts live in several regions, and a multi-resource chart cannot span them.
        assert len(content["resourceIds"]) == 1, item["name"]
        assert set(content["resourceIds"]) <= ids_by_type[resource_type], item["name"]
        charted_ids.setdefault(resource_type, set()).update(content["resourceIds"])
        assert content["metrics"], f"{item['name']}: charts no metric"
        for spec in content["metrics"]:
            assert spec["namespace"] == resource_type
            namespace, _, metric = spec["metric"].partition("--")
            assert namespace == resource_type
            dims = {spec["splitBy"]} if spec.get("splitBy") else set()
            check_metric(namespace, metric, AGGREGATIONS[spec["aggregation"]], dims)
            charted.add(metric)
    assert {"AzureOpenAIRequests", "BackendDuration", "UnhealthyHostCount", "AzwafTotalRequests"} <= charted
    assert charted_ids == ids_by_type, "every account, the APIM service and the Application Gateway are charted"


def test_charts_cover_tokens_cost_throttling_latency_and_backends() -> None:
    names = {i["name"] for i in items(rendered())}
    for required in (
        "tokens-by-product",
        "by-subscription",
        "tokens-by-deployment",
        "cost-by-product",
        "budget",
        "429-by-source",
        "latency",
        "backends",
        "backends-unavailable",
    ):
        assert required in names


def test_429_chart_tells_gateway_limits_from_backend_throttling() -> None:
    query = next(i for i in queries(rendered()) if i["name"] == "429-by-source")["content"]["query"]
    assert GATEWAY_REJECTION in query, "the same rule as the gateway-limit alerts"
    # Written out, not taken from kql.py: a gateway limit is a 429 (or quota 403) that never reached a backend.
    assert "(isnull(BackendResponseCode) or BackendResponseCode == 0)" in query
    assert "BackendResponseCode == 429" in query


def test_budget_table_lists_budgeted_products_and_reads_the_whole_month() -> None:
    item = next(i for i in queries(rendered()) if i["name"] == "budget")
    query = item["content"]["query"]
    assert '"internal", 5000.0' in query and '"partner", 800.0' in query
    assert "startofmonth(now())" in query
    assert "timeContextFromParameter" not in item["content"], "month to date ignores the picker"
    assert item["content"]["timeContext"]["durationMs"] >= 31 * 24 * 3600 * 1000


@pytest.mark.parametrize(("name", "months_ago"), [("chargeback-this-month", "0"), ("chargeback-last-month", "1")])
def test_chargeback_prices_a_calendar_month_per_team_product_and_model(name: str, months_ago: str) -> None:
    item = next(i for i in queries(rendered()) if i["name"] == name)
    query = item["content"]["query"]
    assert f"startofmonth(now(), -{months_ago})" in query and "between (monthStart .. monthEnd)" in query
    assert "by Month = format_datetime(monthStart, 'yyyy-MM'), Team, Product, Model" in query
    # Deployments are priced and named by the model they serve, from the stack's own tables.
    assert '"gpt-5.4", 0.00275, 0.0165' in query and '"gpt-5.4", "gpt-5.4"' in query
    # A call with a team's Entra ID token carries no product: the team's is filled in.
    assert '"support-bot", "internal"' in query and "| lookup kind=leftouter teams on Team" in query
    assert "timeContextFromParameter" not in item["content"], "a calendar month ignores the picker"
    assert item["content"]["timeContext"]["durationMs"] >= 62 * 24 * 3600 * 1000, "last month must be in range"


def test_the_llm_log_check_counts_each_request_once_and_names_the_team() -> None:
    query = next(i for i in queries(rendered()) if i["name"] == "chargeback-llm-log")["content"]["query"]
    assert "by CorrelationId" in query.split("| join")[0], "message chunks are rows of their own"
    assert f'ResponseHeaders["{CLIENT_HEADERS["team"]}"]' in query


def test_chargeback_functions_are_saved_in_the_workspace() -> None:
    searches = {s["inputs"]["functionAlias"]: s["inputs"] for s in of_type(full(), "operationalinsights:SavedSearch")}
    assert set(searches) == {CHARGEBACK_FUNCTION, f"{CHARGEBACK_FUNCTION}LlmLog"}
    for search in searches.values():
        assert search["workspaceName"] == WORKSPACE_ID.rsplit("/", 1)[-1]
        assert search["functionParameters"] == "monthsAgo:int = 0"
        assert "startofmonth(now(), -monthsAgo)" in search["query"]
    assert tables_in(searches[CHARGEBACK_FUNCTION]["query"]) == {"AppMetrics"}
    assert f'_ResourceId =~ "{APP_INSIGHTS_ID}"' in searches[CHARGEBACK_FUNCTION]["query"]


def test_app_gateway_section_only_with_an_app_gateway() -> None:
    without = rendered(app_gateway_id=None)
    charts = metric_charts(without)
    assert charts, "the other metric charts stay"
    assert not [c for c in charts if c["content"]["resourceType"].endswith("applicationgateways")]
    assert "edge-heading" not in {i["name"] for i in items(without)}


def test_rendering_does_not_follow_the_order_of_the_config() -> None:
    """Accounts, products and prices come from config mappings; reordering them must not change a byte."""
    settings = settings_for("prod")
    sizes = (len(account_ids(settings)), len(settings.products), len(prices_of(settings)))
    assert min(sizes) >= 2, "with a single entry, reversing a mapping changes nothing"
    assert render_workbook(context(reverse_config=True)) == render_workbook(context())


def test_missing_context_names_the_template_and_variable() -> None:
    values = context()
    del values["apim_filter"]
    with pytest.raises(WorkbookRenderError, match=r"gateway\.workbook\.json\.j2.*'apim_filter' is undefined"):
        render_workbook(values)


def test_invalid_json_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    original = workbook._ENV.loader
    assert original is not None
    loader = ChoiceLoader([DictLoader({"broken.json.j2": '{"version": "Notebook/1.0", "items": [}'}), original])
    monkeypatch.setattr(workbook._ENV, "loader", loader)
    with pytest.raises(WorkbookRenderError, match=r"broken\.json\.j2 \(rendered\):1:.*not valid JSON"):
        render_workbook(context(), template="broken.json.j2")


# ---------------------------------------------------------------- the Workbook resource


@pytest.mark.parametrize("variant", [full, reduced], ids=["full", "reduced"])
def test_workbook_resource(variant: Any) -> None:
    result = variant()
    (workbook,) = of_type(result, "applicationinsights:Workbook")
    inputs = workbook["inputs"]
    assert inputs["kind"] == "shared" and inputs["category"] == "workbook"
    # Pinned, not recomputed with the Namer the component uses: the GUID is the deployed workbook's name.
    assert inputs["resourceName"] == "5270b655-d55d-59d6-a9b1-a7d2b64d7788"
    assert inputs["sourceId"] == WORKSPACE_ID.lower()
    assert inputs["displayName"] == "Azure OpenAI gateway (prod)"
    document = json.loads(inputs["serializedData"])
    assert document["version"] == "Notebook/1.0"
    has_edge = any(c["content"]["resourceType"].endswith("applicationgateways") for c in metric_charts(document))
    assert has_edge is (variant is full)
    assert result.outputs["workbookId"].endswith(f"/workbooks/{inputs['resourceName']}")
