"""Monitoring under mocks: retention per stack, workspace-based App Insights, receivers from config, bad config."""

from __future__ import annotations

from functools import cache
from typing import Any

import pulumi
import pytest

from components.naming import Namer
from components.observability.monitoring import (
    SHORT_NAME_MAX,
    Monitoring,
    MonitoringArgs,
    action_group_short_name,
    email_receiver_name,
)
from components.settings import ConfigError
from components.shared import Placement
from offline.engine import PlanResult, run_program
from offline.mocks import SECRET
from tests.conftest import of_type, with_overrides
from tests.test_config import settings_for

TAGS = {"environment": "test", "managedBy": "pulumi"}


@cache
def monitoring_plan(stack: str, webhook: str | None = None) -> PlanResult:
    """The stack's monitoring; with `webhook`, also a webhook receiver named "pager" calling it."""
    overrides: dict[str, Any] = {"monitoring": {"alertWebhooks": {"pager": webhook}}} if webhook else {}
    settings = settings_for(stack, **overrides)
    namer = Namer(settings.workload, settings.environment, stack, settings.location, settings.name_suffix)

    def program() -> None:
        monitoring = Monitoring(
            "monitoring",
            MonitoringArgs(
                placement=Placement(resource_group_name="rg-test", location=settings.location, tags=TAGS),
                settings=settings.monitoring,
                namer=namer,
            ),
        )
        pulumi.export("workspaceId", monitoring.workspace_id)
        pulumi.export("appInsightsId", monitoring.app_insights_id)
        pulumi.export("connectionString", monitoring.app_insights_connection_string)
        pulumi.export("actionGroupId", monitoring.action_group_id)

    return run_program(stack, config=with_overrides(stack, **overrides), program=program)


def only(result: PlanResult, type_suffix: str) -> dict[str, Any]:
    found = of_type(result, type_suffix)
    assert len(found) == 1, f"expected one {type_suffix}, found {len(found)}"
    inputs: dict[str, Any] = found[0]["inputs"]
    return inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_workspace_retention_comes_from_the_stack(stack: str) -> None:
    workspace = only(monitoring_plan(stack), "operationalinsights:Workspace")
    assert workspace["retentionInDays"] == settings_for(stack).monitoring.retention_days
    assert workspace["sku"] == {"name": "PerGB2018"}
    assert workspace["workspaceName"].startswith("log-aoaigw-")
    assert workspace["features"] == {"disableLocalAuth": True}


def test_app_insights_is_workspace_based() -> None:
    result = monitoring_plan("prod")
    insights = only(result, "applicationinsights:Component")
    workspace = only(result, "operationalinsights:Workspace")
    assert insights["workspaceResourceId"] == result.outputs["workspaceId"]
    assert insights["workspaceResourceId"].endswith(f"/workspaces/{workspace['workspaceName']}")
    assert insights["ingestionMode"] == "LogAnalytics"
    assert insights["kind"] == "web" and insights["applicationType"] == "web"
    # Ingestion needs Entra ID: the APIM logger signs in with its managed identity.
    assert insights["disableLocalAuth"] is True


def test_outputs_and_the_connection_string_is_secret() -> None:
    outputs = monitoring_plan("prod").outputs
    assert outputs["connectionString"] == SECRET
    for key in ("workspaceId", "appInsightsId", "actionGroupId"):
        assert outputs[key].startswith("/subscriptions/")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_action_group_receivers_come_from_config(stack: str) -> None:
    settings = settings_for(stack).monitoring
    group = only(monitoring_plan(stack), "monitor:ActionGroup")
    assert group["location"] == "global" and group["enabled"] is True
    assert len(group["groupShortName"]) <= SHORT_NAME_MAX
    emails = {r["emailAddress"]: r for r in group["emailReceivers"]}
    assert emails, f"{stack} configures no alert email, so the receiver checks below would check nothing"
    assert set(emails) == set(settings.alert_emails)
    assert all(r["useCommonAlertSchema"] is True for r in emails.values())
    webhooks = {r["name"]: r for r in group.get("webhookReceivers", [])}
    assert set(webhooks) == set(settings.alert_webhooks)


def test_webhook_receivers_come_from_config_and_their_urls_stay_secret() -> None:
    # Neither stack file configures a webhook (they are set with --secret), so this test adds one.
    group = only(monitoring_plan("prod", "https://example.com/hook?code=abc"), "monitor:ActionGroup")
    (receiver,) = group["webhookReceivers"]
    assert receiver["name"] == "pager"
    assert receiver["serviceUri"] == SECRET, "webhook URLs carry credentials"
    assert receiver["useCommonAlertSchema"] is True


def test_every_resource_is_tagged_and_parented() -> None:
    result = monitoring_plan("prod")
    children = [r for r in result.resources() if r["type"].startswith("azure-native:")]
    assert len(children) == 3
    for resource in children:
        assert resource["inputs"]["tags"] == TAGS
        assert resource["parent"].endswith("aoai-gateway:monitoring:Monitoring::monitoring")


def test_short_name_fits_for_the_longest_workload() -> None:
    namer = Namer("abcdefghij", "prod", "prod", "swedencentral")
    assert action_group_short_name(namer) == "abcdefg-prod"
    assert len(action_group_short_name(namer)) == SHORT_NAME_MAX


def test_email_receiver_names_are_stable_and_distinct() -> None:
    assert email_receiver_name("Ops.Team@Contoso.com") == "email-ops.team-contoso.com"
    assert email_receiver_name("a@b.co") != email_receiver_name("c@b.co")


# ---------------------------------------------------------------- bad alert config (not in test_config.py)


def refused(stack: str, **overrides: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_for(stack, **overrides)
    return str(caught.value)


def test_threshold_of_the_wrong_type_is_refused() -> None:
    message = refused("dev", monitoring={"thresholds": {"openaiThrottledRequests": "many"}})
    assert message == "aoai-gateway:monitoring.thresholds.openaiThrottledRequests = 'many': expected a whole number"


def test_threshold_out_of_range_is_refused() -> None:
    message = refused("prod", monitoring={"thresholds": {"apimServerErrorPercent": 150}})
    assert "aoai-gateway:monitoring.thresholds.apimServerErrorPercent = 150" in message
    assert "0.1..100" in message


def test_unknown_threshold_is_refused() -> None:
    message = refused("dev", monitoring={"thresholds": {"apimErrorPercent": 5}})
    assert "monitoring.thresholds.apimErrorPercent: unknown setting" in message


def test_webhook_must_be_https() -> None:
    message = refused("dev", monitoring={"alertWebhooks": {"pager": "http://example.com/hook"}})
    assert "aoai-gateway:monitoring.alertWebhooks.pager" in message
