"""Cross-cutting shapes every component uses the same way: role assignments, diagnostic settings, private endpoints,
hardened Azure AI accounts, and the ARM form of typed arguments for generic resources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.cognitiveservices as cognitiveservices
import pulumi_azure_native.monitor as monitor
import pulumi_azure_native.network as network
import pulumiverse_time

from components.naming import camel, private_endpoint_name, stable_guid

# Built-in role definition ids (the same in every tenant).
BUILTIN_ROLES: dict[str, str] = {
    "Cognitive Services OpenAI User": "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    "Cognitive Services User": "a97b65f3-24c7-4388-baec-2e87135dc908",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}


def role_assignment(
    name: str,
    *,
    role: str,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    parent: pulumi.Resource,
    description: str,
) -> authorization.RoleAssignment:
    """Grants a built-in role by name to a service principal.

    Assignment names must be unique in the whole tenant. Derived from scope, principal and role (Azure's
    convention, Bicep's guid(scope, principalId, roleDefinitionId)), the same grant keeps its name, and a
    re-created identity or the same stack in another subscription never collides with an existing one.
    """
    role_id = BUILTIN_ROLES[role]
    return authorization.RoleAssignment(
        name,
        role_assignment_name=pulumi.Output.all(scope, principal_id).apply(
            lambda parts: stable_guid(str(parts[0]).lower(), str(parts[1]).lower(), role_id)
        ),
        scope=scope,
        principal_id=principal_id,
        # ServicePrincipal skips the directory lookup that fails while a new identity replicates.
        principal_type="ServicePrincipal",
        role_definition_id=pulumi.Output.concat(
            "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role_id
        ),
        description=description,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def after_grants(
    name: str, grants: Sequence[pulumi.CustomResource], *, seconds: int, parent: pulumi.Resource
) -> list[pulumi.Resource]:
    """What a resource that uses freshly granted roles depends on: the grants, then a bounded wait for them to
    apply (Azure documents up to 10 minutes), so the first `pulumi up` does not fail on a role still in flight."""
    if not grants or seconds == 0:
        return list(grants)
    return [
        pulumiverse_time.Sleep(
            name,
            create_duration=f"{seconds}s",
            # A re-created grant (new identity) waits again; an unchanged one never does.
            triggers={str(index): grant.id for index, grant in enumerate(grants)},
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(grants)),
        )
    ]


def diagnostic_setting(
    name: str,
    *,
    target_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    dedicated_tables: bool = False,
    metrics: bool = True,
) -> monitor.DiagnosticSetting:
    """All logs and all metrics of one resource to the stack's Log Analytics workspace.

    `metrics=False` only for types Azure refuses metric export on (network security groups).
    """
    return monitor.DiagnosticSetting(
        name,
        name="to-log-analytics",
        resource_uri=target_id,
        workspace_id=workspace_id,
        # Resource-specific tables (e.g. ApiManagementGatewayLogs) are cheaper to query than AzureDiagnostics.
        log_analytics_destination_type="Dedicated" if dedicated_tables else None,
        logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
        metrics=[monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)] if metrics else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class Placement:
    """Where a component's resources go and how they are labelled: every component is given the same three."""

    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]


@dataclass(frozen=True)
class PrivateLink:
    """Where a resource's private endpoint goes: the endpoints' subnet, and the private DNS zone that resolves the
    resource's name to the endpoint."""

    subnet_id: pulumi.Input[str]
    dns_zone_id: pulumi.Input[str]


def private_endpoint(
    name: str,
    *,
    target_name: str,
    target_id: pulumi.Input[str],
    group_id: str,
    link: PrivateLink,
    placement: Placement,
    parent: pulumi.Resource,
) -> network.PrivateEndpoint:
    """A private endpoint for one sub-resource plus the DNS zone group that registers its A record. The endpoint is
    in the placement's region (its VNet's), whatever region the target is in."""
    endpoint_name = private_endpoint_name(target_name)
    endpoint = network.PrivateEndpoint(
        name,
        private_endpoint_name=endpoint_name,
        resource_group_name=placement.resource_group_name,
        location=placement.location,
        subnet=network.SubnetArgs(id=link.subnet_id),
        custom_network_interface_name=f"{endpoint_name}-nic",
        private_link_service_connections=[
            network.PrivateLinkServiceConnectionArgs(
                name=endpoint_name, private_link_service_id=target_id, group_ids=[group_id]
            )
        ],
        tags=placement.tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    network.PrivateDnsZoneGroup(
        f"{name}-dns",
        private_dns_zone_group_name="default",
        private_endpoint_name=endpoint.name,
        resource_group_name=placement.resource_group_name,
        private_dns_zone_configs=[
            network.PrivateDnsZoneConfigArgs(name=group_id, private_dns_zone_id=link.dns_zone_id)
        ],
        # A sibling of the endpoint, so depending on the component also waits for the DNS record.
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return endpoint


def ai_account(
    name: str,
    *,
    account_name: str,
    kind: str,
    location: str,
    placement: Placement,
    private: bool,
    parent: pulumi.Resource,
    protect: bool,
    disable_local_auth: bool = True,
) -> cognitiveservices.Account:
    """An Azure AI services account (OpenAI, Content Safety) hardened the same way whatever its kind: a system
    identity, Entra ID sign-in, no outbound calls, and reachable only through its private endpoint when `private`.
    In `location`, which may differ from the placement's: an OpenAI account goes where its models are."""
    return cognitiveservices.Account(
        name,
        account_name=account_name,
        resource_group_name=placement.resource_group_name,
        location=location,
        kind=kind,
        sku=cognitiveservices.SkuArgs(name="S0"),
        identity=cognitiveservices.IdentityArgs(type=cognitiveservices.ResourceIdentityType.SYSTEM_ASSIGNED),
        properties=cognitiveservices.AccountPropertiesArgs(
            # Entra ID tokens and private endpoints both need a custom subdomain.
            custom_sub_domain_name=account_name,
            disable_local_auth=disable_local_auth,
            public_network_access="Disabled" if private else "Enabled",
            network_acls=cognitiveservices.NetworkRuleSetArgs(
                default_action="Deny" if private else "Allow", bypass="AzureServices"
            ),
            restrict_outbound_network_access=True,
            allowed_fqdn_list=[],
        ),
        tags=placement.tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


def wire(value: Any) -> Any:
    """The ARM (camelCase) form of an SDK argument dict, for a generic resource that sets what a typed one does."""
    if isinstance(value, Mapping):
        return {camel(key): wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [wire(item) for item in value]
    return value
