"""Rules for observability: diagnostic settings, Log Analytics, Application Insights and alerting."""

from __future__ import annotations

from ._model import HIGH, LOW, MEDIUM, Concern
from ._props import dig, items, lower, number, text

DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
WORKSPACE = "azure-native:operationalinsights:Workspace"
COMPONENT = "azure-native:applicationinsights:Component"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
QUERY_RULE = "azure-native:monitor:ScheduledQueryRule"
CONCERN = Concern("monitoring")

# Resource type -> (ARM provider/type segment of its id, input holding its name).
MONITORED = {
    "azure-native:apimanagement:ApiManagementService": ("microsoft.apimanagement/service", "serviceName"),
    "azure-native:cognitiveservices:Account": ("microsoft.cognitiveservices/accounts", "accountName"),
    "azure-native:keyvault:Vault": ("microsoft.keyvault/vaults", "vaultName"),
    "azure-native:network:ApplicationGateway": ("microsoft.network/applicationgateways", "applicationGatewayName"),
}
# Resource types whose diagnostic settings offer logs only.
_WITHOUT_METRICS = ("microsoft.network/networksecuritygroups",)
_RECEIVERS = (
    "emailReceivers",
    "smsReceivers",
    "webhookReceivers",
    "armRoleReceivers",
    "azureAppPushReceivers",
    "azureFunctionReceivers",
    "logicAppReceivers",
    "automationRunbookReceivers",
    "eventHubReceivers",
    "itsmReceivers",
    "incidentReceivers",
    "voiceReceivers",
)


def _targets(setting, resource):
    """True when the diagnostic setting's resourceUri is the resource. The dependency edge is read
    first because under preview resourceUri is usually the target's still-unknown id."""
    if resource in setting.dependencies:
        return True
    segment, name_input = MONITORED[resource.resource_type]
    name = lower(dig(resource.props, name_input))
    uri = lower(dig(setting.props, "resourceUri")).rstrip("/")
    return bool(name) and uri.endswith(f"/providers/{segment}/{name}")


@CONCERN.rule(
    "monitoring-diagnostic-settings-coverage",
    summary="Every API Management, Azure OpenAI, Key Vault and Application Gateway resource has a "
    "diagnostic setting (stack rule).",
    resource_types=(*MONITORED, DIAGNOSTIC_SETTING),
    severity=HIGH,
    remediation="Add a monitor.DiagnosticSetting per resource with resourceUri=<resource>.id.",
    sources=(
        "Azure Policy 7f89b1eb-583c-429a-8828-af049802c1d9",
        "Azure Policy cf820ca0-f99e-4f3e-84fb-66e913812d21",
        "Azure Policy 1b4d1c4e-934c-4703-944c-27c82c06bebb",
        "Azure Policy 8a04f872-51e9-4313-97fb-fc1c3543011c",
    ),
    stack_rule=True,
)
def _every_resource_has_diagnostics(resources, config):
    settings = [r for r in resources if r.resource_type == DIAGNOSTIC_SETTING]
    for resource in (r for r in resources if r.resource_type in MONITORED):
        if not any(_targets(setting, resource) for setting in settings):
            yield (
                resource.urn,
                "no DiagnosticSetting sends this resource's logs and metrics anywhere; add one "
                "(allLogs + AllMetrics to the Log Analytics workspace) with resourceUri set to its id.",
            )


@CONCERN.rule(
    "monitoring-diagnostic-setting-complete",
    summary="Diagnostic settings send allLogs and AllMetrics (where the type has metrics) to a Log "
    "Analytics workspace.",
    resource_types=(DIAGNOSTIC_SETTING,),
    severity=MEDIUM,
    remediation="Set workspaceId, logs=[{'categoryGroup': 'allLogs', 'enabled': True}] and "
    "metrics=[{'category': 'AllMetrics', 'enabled': True}].",
)
def _setting_complete(args, config):
    if not text(dig(args.props, "workspaceId")):
        yield "workspaceId is not set; send the logs to the stack's Log Analytics workspace."
    logs = items(dig(args.props, "logs"))
    if not any(lower(dig(entry, "categoryGroup")) == "alllogs" and dig(entry, "enabled") is True for entry in logs):
        yield "logs has no enabled categoryGroup 'allLogs' entry; add {'categoryGroup': 'allLogs', 'enabled': True}."
    metrics = items(dig(args.props, "metrics"))
    if not any(lower(dig(entry, "category")) == "allmetrics" and dig(entry, "enabled") is True for entry in metrics):
        target = lower(dig(args.props, "resourceUri"))
        if not any(f"/providers/{kind}/" in target for kind in _WITHOUT_METRICS):
            yield "metrics has no enabled 'AllMetrics' entry; add {'category': 'AllMetrics', 'enabled': True}."


@CONCERN.rule(
    "monitoring-app-insights-workspace-based",
    summary="Application Insights components are workspace-based.",
    resource_types=(COMPONENT,),
    severity=MEDIUM,
    remediation="Set workspaceResourceId to the Log Analytics workspace id.",
    sources=("Azure Policy d550e854-df1a-4de9-bf44-cd894b39a95e",),
)
def _workspace_based(args, config):
    if not text(dig(args.props, "workspaceResourceId")):
        yield "workspaceResourceId is not set; classic Application Insights is retired. Link the workspace."
    mode = text(dig(args.props, "ingestionMode"))
    if mode and mode.lower() != "loganalytics":
        yield f"ingestionMode is {mode!r}; use 'LogAnalytics' (or leave it unset)."


@CONCERN.rule(
    "monitoring-workspace-retention",
    summary="Log Analytics retention is inside the stack's range (pack config minimumDays..maximumDays).",
    resource_types=(WORKSPACE,),
    severity=LOW,
    remediation="Set monitoring.retentionDays in Pulumi.<stack>.yaml within the range of "
    "policies/config/<environment>.json.",
    config_schema={
        "minimumDays": {"type": "integer", "minimum": 30, "maximum": 730, "default": 30},
        "maximumDays": {"type": "integer", "minimum": 30, "maximum": 730, "default": 730},
    },
)
def _workspace_retention(args, config):
    low, high = config["minimumDays"], config["maximumDays"]
    days = number(dig(args.props, "retentionInDays"))
    if days is None:
        yield f"retentionInDays is not set; set it between {low:g} and {high:g} days for this stack."
    elif not low <= days <= high:
        yield f"retentionInDays is {days:g}; this stack keeps logs between {low:g} and {high:g} days."


@CONCERN.rule(
    "monitoring-workspace-local-auth-disabled",
    summary="Log Analytics workspaces accept only Entra ID-authenticated ingestion.",
    resource_types=(WORKSPACE,),
    severity=MEDIUM,
    remediation="Set features={'disableLocalAuth': True}.",
    sources=("Azure Policy e15effd4-2278-4c65-a0da-4d6f6d1890e2",),
)
def _workspace_local_auth(args, config):
    if dig(args.props, "features", "disableLocalAuth") is not True:
        yield "features.disableLocalAuth is not true; require Entra ID for ingestion (shared keys are not needed)."


@CONCERN.rule(
    "monitoring-alerts-routed",
    summary="Metric and log alert rules are enabled and notify an action group.",
    resource_types=(METRIC_ALERT, QUERY_RULE),
    severity=MEDIUM,
    remediation="Set actions to the stack's action group (MetricAlert: actions=[{'actionGroupId': ...}]; "
    "ScheduledQueryRule: actions={'actionGroups': [...]}).",
)
def _alerts_routed(args, config):
    if dig(args.props, "enabled") is False:
        yield "the alert rule is disabled; enable it or remove it."
    if args.resource_type == METRIC_ALERT:
        groups = [text(dig(action, "actionGroupId")) for action in items(dig(args.props, "actions"))]
    else:
        groups = [text(group) for group in items(dig(args.props, "actions", "actionGroups"))]
    if not any(groups):
        yield "the alert rule notifies no action group; add the stack's action group to its actions."


@CONCERN.rule(
    "monitoring-action-group-receivers",
    summary="Action groups are enabled and have at least one receiver.",
    resource_types=(ACTION_GROUP,),
    severity=MEDIUM,
    remediation="Set enabled=True and add an email (or webhook) receiver.",
)
def _action_group_receivers(args, config):
    if dig(args.props, "enabled") is not True:
        yield "enabled is not true; a disabled action group silently drops every alert."
    if not any(items(dig(args.props, receivers)) for receivers in _RECEIVERS):
        yield "the action group has no receivers; add at least one email or webhook receiver."
