"""The gateway workbook: its template rendered into compact, validated workbook JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, UndefinedError

from components.observability.kql import (
    BACKENDS_UNAVAILABLE,
    CHARGEBACK_FUNCTION,
    GATEWAY_REJECTION,
    budget_table,
    chargeback_query,
    kql_string,
    llm_log_usage_query,
    token_usage,
)
from components.settings.models import ProductSettings
from components.templating import template_environment, template_line

WORKBOOKS_DIR = Path(__file__).resolve().parent / "workbooks"
WORKBOOK_TEMPLATE = "gateway.workbook.json.j2"


class WorkbookRenderError(ValueError):
    """The workbook template did not render into valid workbook JSON; names the template and line."""


# JSON braces and KQL's {TimeRange:grain} parameters stay literal with the project's delimiters.
_ENV = template_environment(WORKBOOKS_DIR, autoescape=False)


def render_workbook(context: Mapping[str, Any], template: str = WORKBOOK_TEMPLATE) -> str:
    """Renders the workbook template and returns compact JSON (stable bytes for the same context)."""
    try:
        loaded = _ENV.get_template(template)
        text = loaded.render(dict(context))
    except UndefinedError as exc:
        # Only rendering meets an undefined value, so the template is loaded by now.
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
    deployment_models: Mapping[str, str],
    team_products: Mapping[str, str],
    team_header: str,
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
        "chargeback_function": CHARGEBACK_FUNCTION,
        "chargeback": {
            months_ago: chargeback_query(
                app_insights_id, deployment_prices, deployment_models, team_products, months_ago
            )
            for months_ago in ("0", "1")
        },
        "llm_usage_last_month": llm_log_usage_query(apim_id, team_header, team_products, "1"),
        "apim_filter": f"_ResourceId =~ {kql_string(apim_id)}",
        "gateway_rejection": GATEWAY_REJECTION,
        "backends_unavailable": BACKENDS_UNAVAILABLE,
    }
