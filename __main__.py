"""Composition root: reads the stack settings once and wires the components together. No logic here."""

import pulumi

from components.apim.api import TOKEN_METRIC_NAMESPACE
from components.apim.backends import key_named_value
from components.apim.callers import uses_content_safety
from components.apim.diagnostics import APP_INSIGHTS_NAMED_VALUE
from components.apim.gateway import ApiSpec, ContentSafetyEndpoint, Gateway, GatewayArgs
from components.apim.service import host_names
from components.apim.surfaces import DEPLOYMENTS, V1
from components.apim.tiers import is_v2
from components.capacity import token_alerts
from components.content_safety import ContentSafety, ContentSafetyArgs
from components.edge import Edge, EdgeArgs
from components.foundation import Foundation, FoundationArgs, deployment_scope
from components.naming import Namer, standard_tags
from components.network import ApimPrivateDns, ApimPrivateDnsArgs, Network, NetworkArgs
from components.observability.alerts import Alerts, AlertsArgs
from components.observability.monitoring import Monitoring, MonitoringArgs
from components.openai import OpenAiBackends, OpenAiBackendsArgs
from components.outputs import (
    deployment_for,
    deployment_models,
    deployment_names,
    deployment_prices,
    product_limits,
)
from components.secrets import Secrets, SecretsArgs, SecretValue
from components.settings import PROJECT, load_settings
from components.shared import Placement

scope = deployment_scope()
settings = load_settings(scope.subscription_id)
api_specs = {surface: ApiSpec(*spec) for surface, spec in settings.api_specs().items()}
guarded = uses_content_safety(settings.teams, settings.products)
stack = pulumi.get_stack()
namer = Namer(
    settings.workload, settings.environment, stack, settings.location, settings.name_suffix, scope.subscription_id
)
tags = standard_tags(
    environment=settings.environment,
    owner=settings.owner,
    cost_center=settings.cost_center,
    project=PROJECT,
    stack=stack,
)
apim_name = namer.name("apim")
apim_hosts = host_names(apim_name, settings.apim.sku)

foundation = Foundation(
    "foundation",
    FoundationArgs(
        resource_group_name=namer.name("resource_group"),
        location=settings.location,
        tags=tags,
        protect=settings.protect_resources,
    ),
)
rg = foundation.resource_group_name
placement = Placement(resource_group_name=rg, location=settings.location, tags=tags)

monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(placement=placement, settings=settings.monitoring, namer=namer),
)

network = (
    Network(
        "network",
        NetworkArgs(
            placement=placement,
            settings=settings.network,
            namer=namer,
            apim_virtual_network_type=settings.apim.virtual_network_type,
            apim_sku=settings.apim.sku,
            cognitive_services_zone=guarded,
            apim_host_names=apim_hosts if settings.apim.virtual_network_type == "Internal" else {},
            workspace_id=monitoring.workspace_id,
        ),
    )
    if settings.network.enabled
    else None
)

openai = OpenAiBackends(
    "openai",
    OpenAiBackendsArgs(
        backends=settings.openai_backends,
        account_names={
            name: namer.name("openai", name, location=backend.location)
            for name, backend in settings.openai_backends.items()
        },
        placement=placement,
        workspace_id=monitoring.workspace_id,
        disable_local_auth=settings.auth_mode == "managedIdentity",
        public_network_access=settings.network.public_endpoints,
        private_link=network.private_link("openai") if network else None,
        protect=settings.protect_resources,
    ),
)

secrets = Secrets(
    "secrets",
    SecretsArgs(
        vault_name=namer.name("key_vault"),
        placement=placement,
        tenant_id=scope.tenant_id,
        workspace_id=monitoring.workspace_id,
        secrets={
            APP_INSIGHTS_NAMED_VALUE: SecretValue(
                monitoring.app_insights_connection_string, "text/plain; application-insights-connection-string"
            ),
            **{
                key_named_value(name): SecretValue(key, "text/plain; azure-openai-api-key")
                for name, key in openai.keys.items()
            },
        },
        public_network_access=settings.network.public_endpoints,
        soft_delete_retention_days=90 if settings.is_prod else 7,
        # dev must stay re-creatable under the same name; prod keeps deleted secrets recoverable.
        purge_protection=settings.is_prod,
        private_link=network.private_link("key-vault") if network else None,
        protect=settings.protect_resources,
    ),
)

content_safety = (
    ContentSafety(
        "content-safety",
        ContentSafetyArgs(
            account_name=namer.name("content_safety"),
            placement=placement,
            workspace_id=monitoring.workspace_id,
            public_network_access=settings.network.public_endpoints,
            private_link=network.private_link("cognitive-services") if network else None,
            protect=settings.protect_resources,
        ),
    )
    if guarded
    else None
)

gateway = Gateway(
    "gateway",
    GatewayArgs(
        service_name=apim_name,
        placement=placement,
        subscription_id=scope.subscription_id,
        apim=settings.apim,
        auth_mode=settings.auth_mode,
        backends=openai.accounts,
        products=settings.products,
        teams=settings.teams,
        specs=api_specs,
        deployments=deployment_names(settings.openai_backends),
        content_safety=(
            ContentSafetyEndpoint(id=content_safety.account_id, endpoint=content_safety.endpoint)
            if content_safety
            else None
        ),
        key_vault_secrets=secrets.stored,
        app_insights_id=monitoring.app_insights_id,
        workspace_id=monitoring.workspace_id,
        sampling_percentage=settings.monitoring.sampling_percentage,
        log_body_bytes=settings.monitoring.log_body_bytes,
        llm_message_bytes=settings.monitoring.llm_message_bytes,
        backend_timeout_seconds=settings.apim_backend_timeout_seconds,
        role_propagation_seconds=settings.role_propagation_seconds,
        subnet_id=network.apim_subnet_id if network and settings.apim.virtual_network_type != "None" else None,
        protect=settings.protect_resources,
    ),
)

# Internal APIM has no public DNS: the VNet resolves its host names through private zones.
if network and gateway.private_ip is not None:
    ApimPrivateDns(
        "apim-dns",
        ApimPrivateDnsArgs(
            resource_group_name=rg, zone_names=network.apim_dns_zone_names, private_ip=gateway.private_ip
        ),
    )

edge = (
    Edge(
        "edge",
        EdgeArgs(
            placement=placement,
            settings=settings.edge,
            namer=namer,
            subnet_id=network.app_gateway_subnet_id,
            # A name known before APIM exists: the gateway is created beside APIM, not after it.
            apim_gateway_host=apim_hosts["gateway"],
            subscription_id=scope.subscription_id,
            zone_redundant=settings.is_prod,
            role_propagation_seconds=settings.role_propagation_seconds,
            workspace_id=monitoring.workspace_id,
        ),
    )
    if settings.edge.enabled and network
    else None
)

alerts = Alerts(
    "alerts",
    AlertsArgs(
        placement=placement,
        thresholds=settings.monitoring.thresholds,
        namer=namer,
        action_group_id=monitoring.action_group_id,
        workspace_id=monitoring.workspace_id,
        app_insights_id=monitoring.app_insights_id,
        apim_id=gateway.service_id,
        apim_classic_sku=not is_v2(settings.apim.sku),
        openai_account_ids={name: account.id for name, account in openai.accounts.items()},
        app_gateway_id=edge.application_gateway_id if edge else None,
        products=settings.products,
        teams=settings.teams,
        openai_token_alerts=token_alerts(
            settings.openai_backends, settings.monitoring.thresholds.openai_tokens_per_hour
        ),
        deployment_prices=deployment_prices(settings.openai_backends, settings.pricing),
        deployment_models=deployment_models(settings.openai_backends),
        currency=settings.currency,
        token_metric_namespace=TOKEN_METRIC_NAMESPACE,
    ),
)

# Clients call the Application Gateway when there is one; APIM directly otherwise.
pulumi.export("gatewayUrl", edge.gateway_url if edge else gateway.gateway_url)
pulumi.export("apimGatewayUrl", gateway.gateway_url)
if edge:
    pulumi.export("edgePublicIp", edge.public_ip_address)
    pulumi.export("edgePublicFqdn", edge.public_fqdn)
pulumi.export("apiPath", DEPLOYMENTS.path)
pulumi.export("v1Path", V1.path)
pulumi.export("apiVersion", settings.inference_api_version)
pulumi.export("subscriptionKeys", gateway.subscription_keys)
pulumi.export("teamKeys", gateway.team_keys)
pulumi.export("productLimits", product_limits(settings.products))
pulumi.export("chatDeployment", deployment_for(settings.openai_backends, "chat"))
pulumi.export("embeddingDeployment", deployment_for(settings.openai_backends, "embedding"))
pulumi.export("resourceGroupName", rg)
pulumi.export("alertNames", alerts.alert_names)
pulumi.export("workbookId", alerts.workbook_id)
