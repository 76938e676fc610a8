"""The Alerts component: every row of alert_rules.py as a rule per target, and the gateway workbook."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.applicationinsights as applicationinsights
import pulumi_azure_native.monitor as monitor
import pulumi_azure_native.operationalinsights as operationalinsights

from components.apim.policies import CLIENT_HEADERS
from components.naming import Namer
from components.observability.alert_rules import ALERT_RULES, PER_TARGET, AlertRule, Each, Metric, Target
from components.observability.kql import (
    CHARGEBACK_FUNCTION,
    CHARGEBACK_PARAMETERS,
    chargeback_query,
    llm_log_usage_query,
)
from components.observability.workbook import render_workbook, workbook_context
from components.settings.models import AlertThresholds, ProductSettings, TeamSettings
from components.shared import Placement


@dataclass
class AlertsArgs:
    placement: Placement
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
    teams: Mapping[str, TeamSettings]
    # Each account's token alert: (threshold, what its deployments can process or None), tokens per hour.
    openai_token_alerts: Mapping[str, tuple[int, int | None]]
    deployment_prices: Mapping[str, tuple[float, float]]
    # The model each deployment name serves: the chargeback reports models, the metrics know deployments.
    deployment_models: Mapping[str, str]
    currency: str
    token_metric_namespace: str


def number(value: float) -> str:
    """A threshold as people write it: 10, not 10.0; 20000000, not 2e+07."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class Alerts(pulumi.ComponentResource):
    """Metric alerts per resource, log alerts on gateway health and spend, and the gateway workbook."""

    alert_names: pulumi.Output[list[str]]
    workbook_id: pulumi.Output[str]

    def __init__(self, name: str, args: AlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:alerts:Alerts", name, None, opts)
        self._name = name
        self._args = args
        self._workbook_title = f"Azure OpenAI gateway ({args.namer.environment})"
        names = []
        tier = "classic" if args.apim_classic_sku else "v2"
        rules = [rule for rule in ALERT_RULES if rule.apim_tiers in (None, tier)]
        # Consecutive rows about the same kind of target are declared target by target (all of one account's
        # rules together), which is also the order of the alertNames output.
        for each, group in itertools.groupby(rules, key=lambda rule: rule.each):
            grouped = list(group)
            for target in self._targets(each):
                names += [self._declare(rule, target) for rule in grouped]
        workbook = self._workbook()
        self._chargeback_functions()
        self.alert_names = pulumi.Output.from_input(names)
        self.workbook_id = workbook.id
        self.register_outputs({"alertNames": self.alert_names, "workbookId": self.workbook_id})

    def _targets(self, each: Each) -> Iterator[Target]:
        args = self._args
        if each == "apim":
            yield Target("", args.apim_id, {})
        elif each == "app_gateway" and args.app_gateway_id is not None:
            yield Target("", args.app_gateway_id, {})
        elif each == "openai_account":
            for backend, account_id in sorted(args.openai_account_ids.items()):
                threshold, capacity = args.openai_token_alerts[backend]
                share = f"{100 * threshold / capacity:.0f}% of the {capacity:,}" if capacity else "a share of the"
                yield Target(backend, account_id, {"backend": backend, "share": share}, threshold=threshold)
        elif each == "product":
            for product_name, product in sorted(args.products.items()):
                yield Target(product_name, args.apim_id, {"product": product_name, "limits": product.describe()})
        elif each == "budgeted_product":
            for product_name, product in sorted(args.products.items()):
                if product.monthly_budget is not None:
                    yield self._budgeted(product_name, product.monthly_budget, {"product": product_name})
        elif each == "budgeted_team":
            for team_name, team in sorted(args.teams.items()):
                if team.monthly_budget is not None:
                    yield self._budgeted(team_name, team.monthly_budget, {"team": team_name, "contact": team.contact})

    def _budgeted(self, name: str, budget: float, words: dict[str, str]) -> Target:
        """A product or team with a monthly budget: its spend pace is priced from the workspace's token metrics."""
        args = self._args
        return Target(
            name,
            args.workspace_id,
            {**words, "budget": f"{budget:g}", "currency": args.currency},
            app_insights_id=args.app_insights_id,
            deployment_prices=args.deployment_prices,
            budget=budget,
        )

    def _threshold(self, rule: AlertRule, target: Target) -> float:
        if isinstance(rule.threshold, (int, float)):
            return rule.threshold
        if rule.threshold == PER_TARGET:
            if target.threshold is None:
                raise ValueError(f"alert rule {rule.key} needs a threshold per target, and {target.name} has none")
            return target.threshold
        value: float = getattr(self._args.thresholds, rule.threshold)
        return value

    def _declare(self, rule: AlertRule, target: Target) -> str:
        """Declares the rule for this target and returns the rule's name."""
        args = self._args
        key = rule.key.format(**target.words)
        rule_name = args.namer.name("alert", key)
        threshold = self._threshold(rule, target)
        words = {**target.words, "threshold": number(threshold), "book": f"workbook '{self._workbook_title}'"}
        common: dict[str, Any] = {
            "rule_name": rule_name,
            "resource_group_name": args.placement.resource_group_name,
            "description": rule.runbook.format(**words),
            "severity": rule.severity,
            "enabled": True,
            "scopes": [target.scope],
            "evaluation_frequency": rule.frequency,
            "window_size": rule.window,
            "auto_mitigate": True,
            "tags": args.placement.tags,
            "opts": pulumi.ResourceOptions(parent=self),
        }
        signal = rule.signal
        if isinstance(signal, Metric):
            monitor.MetricAlert(
                f"{self._name}-{key}",
                location="global",
                criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                    odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                    all_of=[
                        monitor.MetricCriteriaArgs(
                            criterion_type="StaticThresholdCriterion",
                            name=signal.name,
                            metric_namespace=signal.namespace,
                            metric_name=signal.name,
                            operator=rule.operator,
                            threshold=threshold,
                            time_aggregation=signal.aggregation,
                            dimensions=[
                                monitor.MetricDimensionArgs(name=dimension, operator="Include", values=list(values))
                                for dimension, values in sorted(signal.dimensions.items())
                            ],
                        )
                    ],
                ),
                actions=[monitor.MetricAlertActionArgs(action_group_id=args.action_group_id)],
                **common,
            )
        else:
            monitor.ScheduledQueryRule(
                f"{self._name}-{key}",
                location=args.placement.location,
                kind="LogAlert",
                display_name=signal.title.format(**words),
                # Rules are created with the diagnostic settings that feed them; until the first request is
                # logged the gateway tables are empty and Azure's validation would refuse the rule.
                skip_query_validation=True,
                criteria=monitor.ScheduledQueryRuleCriteriaArgs(
                    all_of=[
                        monitor.ConditionArgs(
                            criterion_type="StaticThresholdCriterion",
                            query=signal.query(target),
                            metric_measure_column=signal.measure,
                            time_aggregation=signal.aggregation,
                            operator=rule.operator,
                            threshold=threshold,
                            failing_periods=monitor.ConditionFailingPeriodsArgs(
                                number_of_evaluation_periods=1, min_failing_periods_to_alert=1
                            ),
                        )
                    ]
                ),
                actions=monitor.ActionsArgs(action_groups=[args.action_group_id]),
                **common,
            )
        return rule_name

    def _team_products(self) -> dict[str, str]:
        """Each team's product: a call with a team's Entra ID token carries no product of its own."""
        return {name: team.product for name, team in self._args.teams.items()}

    def _chargeback_functions(self) -> None:
        """Saved functions in the workspace, for any month: AoaiGatewayChargeback(1) is last month's bill."""
        args = self._args
        # A workspace's name is the last segment of its id; deriving it keeps the dependency on the workspace.
        workspace_name = pulumi.Output.from_input(args.workspace_id).apply(lambda ws: ws.rsplit("/", 1)[-1])
        team_products = self._team_products()
        queries = {
            CHARGEBACK_FUNCTION: (
                "Chargeback: tokens and cost per team, product and model (token metrics)",
                pulumi.Output.from_input(args.app_insights_id).apply(
                    lambda ai: chargeback_query(ai, args.deployment_prices, args.deployment_models, team_products)
                ),
            ),
            f"{CHARGEBACK_FUNCTION}LlmLog": (
                "Chargeback check: tokens per team, product and model as Azure OpenAI reported them (LLM logs)",
                pulumi.Output.from_input(args.apim_id).apply(
                    lambda apim: llm_log_usage_query(apim, CLIENT_HEADERS["team"], team_products)
                ),
            ),
        }
        for alias, (display_name, query) in queries.items():
            operationalinsights.SavedSearch(
                f"{self._name}-{alias.lower()}",
                resource_group_name=args.placement.resource_group_name,
                workspace_name=workspace_name,
                saved_search_id=alias.lower(),
                category="aoai-gateway",
                display_name=display_name,
                query=query,
                function_alias=alias,
                function_parameters=CHARGEBACK_PARAMETERS,
                version=2,
                tags=[operationalinsights.TagArgs(name=k, value=v) for k, v in sorted(args.placement.tags.items())],
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _workbook(self) -> applicationinsights.Workbook:
        args = self._args
        # Output.all unwraps the ids inside the accounts' mapping too.
        serialized = pulumi.Output.all(
            workspace_id=args.workspace_id,
            app_insights_id=args.app_insights_id,
            apim_id=args.apim_id,
            app_gateway_id=args.app_gateway_id,
            openai_account_ids=dict(args.openai_account_ids),
        ).apply(
            lambda ids: render_workbook(
                workbook_context(
                    **ids,
                    title=self._workbook_title,
                    products=args.products,
                    deployment_prices=args.deployment_prices,
                    deployment_models=args.deployment_models,
                    team_products=self._team_products(),
                    team_header=CLIENT_HEADERS["team"],
                    currency=args.currency,
                    token_metric_namespace=args.token_metric_namespace,
                )
            )
        )
        return applicationinsights.Workbook(
            f"{self._name}-workbook",
            resource_name_=args.namer.deterministic_guid("workbook"),
            resource_group_name=args.placement.resource_group_name,
            location=args.placement.location,
            kind="shared",
            category="workbook",
            display_name=self._workbook_title,
            # The portal lists a workbook under its source resource only when the id is lower case.
            source_id=pulumi.Output.from_input(args.workspace_id).apply(str.lower),
            serialized_data=serialized,
            tags=args.placement.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
