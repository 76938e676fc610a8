"""Where telemetry lands and who hears of it: Log Analytics, workspace-based Application Insights, the action group."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.applicationinsights as applicationinsights
import pulumi_azure_native.monitor as monitor
import pulumi_azure_native.operationalinsights as operationalinsights

from components.naming import Namer
from components.settings.models import MonitoringSettings
from components.shared import Placement

# Azure caps an action group's short name (shown as the SMS/e-mail sender) at 12 characters.
SHORT_NAME_MAX = 12


@dataclass
class MonitoringArgs:
    placement: Placement
    settings: MonitoringSettings
    namer: Namer


def action_group_short_name(namer: Namer) -> str:
    """`<workload>-<env>` cut to fit: on-call people see it as the sender of every notification."""
    env = namer.environment[:4]
    return f"{namer.workload[: SHORT_NAME_MAX - len(env) - 1]}-{env}"


def email_receiver_name(address: str) -> str:
    """Receivers are keyed by their address, so reordering alertEmails changes nothing in Azure."""
    return "email-" + re.sub(r"[^A-Za-z0-9._-]", "-", address.lower())


class Monitoring(pulumi.ComponentResource):
    """Log Analytics workspace, Application Insights on top of it, and the action group every alert targets."""

    workspace_id: pulumi.Output[str]
    app_insights_id: pulumi.Output[str]
    app_insights_connection_string: pulumi.Output[str]
    action_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings

        workspace = operationalinsights.Workspace(
            f"{name}-log",
            workspace_name=args.namer.name("log_analytics"),
            resource_group_name=args.placement.resource_group_name,
            location=args.placement.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=settings.retention_days,
            # Nothing here ingests with the workspace's shared keys: diagnostic settings are Azure-managed and
            # Application Insights authenticates on its own endpoint, so the keys can go.
            features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True),
            tags=args.placement.tags,
            opts=child,
        )
        insights = applicationinsights.Component(
            f"{name}-appi",
            resource_name_=args.namer.name("app_insights"),
            resource_group_name=args.placement.resource_group_name,
            location=args.placement.location,
            kind="web",
            application_type="web",
            # Workspace-based: telemetry lands in the workspace as AppRequests/AppMetrics, next to the gateway
            # logs, so one KQL query (alerts, workbook) can join token metrics with gateway responses.
            workspace_resource_id=workspace.id,
            ingestion_mode="LogAnalytics",
            # Entra ID only: the APIM logger signs in as APIM's identity (Monitoring Metrics Publisher), so a
            # leaked connection string cannot be used to write telemetry.
            disable_local_auth=True,
            tags=args.placement.tags,
            opts=child,
        )
        group = monitor.ActionGroup(
            f"{name}-ag",
            action_group_name=args.namer.name("action_group"),
            resource_group_name=args.placement.resource_group_name,
            location="global",
            group_short_name=action_group_short_name(args.namer),
            enabled=True,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name=email_receiver_name(address), email_address=address, use_common_alert_schema=True
                )
                for address in sorted(settings.alert_emails)
            ],
            webhook_receivers=[
                monitor.WebhookReceiverArgs(
                    name=receiver,
                    # Paging webhooks (PagerDuty, Opsgenie, Teams) carry their credential in the URL.
                    service_uri=pulumi.Output.secret(uri),
                    use_common_alert_schema=True,
                )
                for receiver, uri in sorted(settings.alert_webhooks.items())
            ],
            tags=args.placement.tags,
            opts=child,
        )

        self.workspace_id = workspace.id
        self.app_insights_id = insights.id
        self.app_insights_connection_string = pulumi.Output.secret(insights.connection_string)
        self.action_group_id = group.id
        self.register_outputs(
            {
                "workspaceId": self.workspace_id,
                "appInsightsId": self.app_insights_id,
                "actionGroupId": self.action_group_id,
            }
        )
