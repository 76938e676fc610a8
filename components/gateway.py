"""API Management: the service, Key Vault named values, backends and pool, the OpenAI API, products, logging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.apimanagement as apim

from components.apim_policies import CLIENT_HEADERS, SUBSCRIPTION_KEY_HEADER, SUBSCRIPTION_KEY_QUERY, render_policy
from components.config import ApimSettings, ProductSettings
from components.openai import OpenAiAccount
from components.secrets import StoredSecret
from components.shared import diagnostic_setting, role_assignment
from components.spec_patch import dump_spec, patch_spec

API_ID = "azure-openai"
API_PATH = "openai"
POOL_ID = "openai-pool"
TOKEN_METRIC_NAMESPACE = "aoai-gateway"
APP_INSIGHTS_NAMED_VALUE = "appinsights-connection-string"
_SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security"
# Custom properties are strings; "False" switches a legacy protocol or cipher off for clients and backends.
HARDENED_CUSTOM_PROPERTIES: dict[str, str] = {
    f"{_SECURITY}.Protocols.Tls10": "False",
    f"{_SECURITY}.Protocols.Tls11": "False",
    f"{_SECURITY}.Protocols.Ssl30": "False",
    f"{_SECURITY}.Backend.Protocols.Tls10": "False",
    f"{_SECURITY}.Backend.Protocols.Tls11": "False",
    f"{_SECURITY}.Backend.Protocols.Ssl30": "False",
    f"{_SECURITY}.Ciphers.TripleDes168": "False",
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2": "True",
}
# Headers that help to trace a call without exposing credentials.
LOGGED_HEADERS = [
    "x-ms-client-request-id",
    "x-ms-region",
    CLIENT_HEADERS["remaining_tokens"],
    CLIENT_HEADERS["tokens_consumed"],
    "Retry-After",
]


def backend_id(backend_name: str) -> str:
    return f"openai-{backend_name}"


def key_named_value(backend_name: str) -> str:
    return f"openai-key-{backend_name}"


@dataclass
class GatewayArgs:
    service_name: str
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    subscription_id: pulumi.Input[str]
    apim: ApimSettings
    auth_mode: str
    backends: Mapping[str, OpenAiAccount]
    products: Mapping[str, ProductSettings]
    api_spec: Mapping[str, Any]
    api_operations: tuple[str, ...]
    spec_source: str
    # Key Vault secrets APIM reads, keyed by the named value that references each: the App Insights
    # connection string and, in api-key mode, the account keys (`openai-key-<backend>`).
    key_vault_secrets: Mapping[str, StoredSecret]
    app_insights_id: pulumi.Input[str]
    workspace_id: pulumi.Input[str]
    sampling_percentage: float = 100
    log_body_bytes: int = 0
    subnet_id: pulumi.Input[str] | None = None
    protect: bool = False


class Gateway(pulumi.ComponentResource):
    service_id: pulumi.Output[str]
    service_name: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    private_ip: pulumi.Output[str] | None
    subscription_keys: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:gateway:Gateway", name, None, opts)
        self._name = name
        self._args = args
        service = self._service()
        self._common: dict[str, Any] = {"resource_group_name": args.resource_group_name, "service_name": service.name}
        principal_id = service.identity.apply(lambda identity: identity.principal_id if identity else "")
        self._principal_id = principal_id
        openai_users = [
            role_assignment(
                f"{name}-openai-user-{backend_name}",
                role="Cognitive Services OpenAI User",
                scope=account.id,
                principal_id=principal_id,
                subscription_id=args.subscription_id,
                parent=self,
                description="APIM calls Azure OpenAI as its managed identity.",
            )
            for backend_name, account in sorted(args.backends.items())
            if args.auth_mode == "managedIdentity"
        ]
        named_values = self._named_values()
        backends = self._backends(named_values)
        api = self._api(service, backends, named_values, openai_users)
        logger = self._logging(service, api, named_values)
        self.subscription_keys = self._products(api, logger)
        diagnostic_setting(
            f"{name}-diag", target_id=service.id, workspace_id=args.workspace_id, parent=self, dedicated_tables=True
        )

        self.service_id = service.id
        self.service_name = service.name
        self.gateway_url = service.gateway_url
        self.principal_id = principal_id
        self.private_ip = (
            service.private_ip_addresses.apply(lambda ips: (ips or [""])[0])
            if args.apim.virtual_network_type == "Internal"
            else None
        )
        self.register_outputs({"gatewayUrl": self.gateway_url, "serviceId": self.service_id})

    def _child(self, **extra: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)

    def _service(self) -> apim.ApiManagementService:
        args = self._args
        in_vnet = args.apim.virtual_network_type != "None"
        return apim.ApiManagementService(
            f"{self._name}-apim",
            service_name=args.service_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=apim.ApiManagementServiceSkuPropertiesArgs(name=args.apim.sku, capacity=args.apim.capacity),
            identity=apim.ApiManagementServiceIdentityArgs(type="SystemAssigned"),
            publisher_email=args.apim.publisher_email,
            publisher_name=args.apim.publisher_name,
            custom_properties=HARDENED_CUSTOM_PROPERTIES,
            # Older management API versions ignore newer security settings; refuse them.
            api_version_constraint=apim.ApiVersionConstraintArgs(min_api_version="2021-08-01"),
            virtual_network_type=args.apim.virtual_network_type,
            virtual_network_configuration=(
                apim.VirtualNetworkConfigurationArgs(subnet_resource_id=args.subnet_id) if in_vnet else None
            ),
            # Azure rejects "Disabled" while the service is created; private exposure comes from the
            # Internal VNet mode instead (see the advisory policy rule).
            public_network_access="Enabled",
            # Callers get keys from the stack outputs: no portal to publish or to secure.
            developer_portal_status="Disabled",
            legacy_portal_status="Disabled",
            tags=args.tags,
            opts=self._child(protect=args.protect),
        )

    def _named_values(self) -> dict[str, apim.NamedValue]:
        """Secrets reach APIM only as Key Vault references, each readable by APIM's identity alone."""
        args = self._args
        named_values = {}
        for nv_name, secret in sorted(args.key_vault_secrets.items()):
            reader = role_assignment(
                f"{self._name}-kv-reader-{nv_name}",
                role="Key Vault Secrets User",
                # Scoped to the one secret: APIM needs nothing else in the vault.
                scope=secret.id,
                principal_id=self._principal_id,
                subscription_id=args.subscription_id,
                parent=self,
                description=f"APIM reads the named value {nv_name} from Key Vault.",
            )
            named_values[nv_name] = apim.NamedValue(
                f"{self._name}-nv-{nv_name}",
                named_value_id=nv_name,
                display_name=nv_name,
                secret=True,
                # Versionless URI: APIM picks up a rotated secret without a deployment.
                key_vault=apim.KeyVaultContractCreatePropertiesArgs(secret_identifier=secret.uri),
                tags=["key-vault"],
                **self._common,
                # Fails while APIM's identity cannot read the secret yet (role propagation can lag).
                opts=self._child(depends_on=[reader]),
            )
        return named_values

    def _backends(self, named_values: Mapping[str, apim.NamedValue]) -> dict[str, apim.Backend]:
        """One backend per account with a circuit breaker, and a priority/weight pool over them."""
        args = self._args
        backends: dict[str, apim.Backend] = {}
        for backend_name, account in sorted(args.backends.items()):
            key_ref = key_named_value(backend_name)
            uses_key = key_ref in named_values
            backends[backend_name] = apim.Backend(
                f"{self._name}-backend-{backend_name}",
                backend_id=backend_id(backend_name),
                title=f"Azure OpenAI {backend_name}",
                description=f"Azure OpenAI account of backend '{backend_name}'.",
                url=account.endpoint.apply(lambda endpoint: endpoint.rstrip("/") + "/openai"),
                protocol="http",
                tls=apim.BackendTlsPropertiesArgs(validate_certificate_chain=True, validate_certificate_name=True),
                circuit_breaker=apim.BackendCircuitBreakerArgs(
                    rules=[
                        apim.CircuitBreakerRuleArgs(
                            name="throttled-or-failing",
                            # One 429 or 5xx takes the account out of the pool; Retry-After sets how long.
                            failure_condition=apim.CircuitBreakerFailureConditionArgs(
                                count=1,
                                interval="PT10S",
                                status_code_ranges=[
                                    apim.FailureStatusCodeRangeArgs(min=429, max=429),
                                    apim.FailureStatusCodeRangeArgs(min=500, max=599),
                                ],
                            ),
                            trip_duration="PT30S",
                            accept_retry_after=True,
                        )
                    ]
                ),
                credentials=(
                    apim.BackendCredentialsContractArgs(header={"api-key": [f"{{{{{key_ref}}}}}"]})
                    if uses_key
                    else None
                ),
                **self._common,
                opts=self._child(depends_on=[named_values[key_ref]] if uses_key else []),
            )
        pool = apim.Backend(
            f"{self._name}-backend-pool",
            backend_id=POOL_ID,
            title="Azure OpenAI pool",
            description="Priority first (PTU), then weighted spill-over (pay-as-you-go).",
            type="Pool",
            pool=apim.BackendBaseParametersPoolArgs(
                services=[
                    apim.BackendPoolItemArgs(
                        id=backends[backend_name].id,
                        priority=args.backends[backend_name].priority,
                        weight=args.backends[backend_name].weight,
                    )
                    for backend_name in sorted(backends)
                ]
            ),
            **self._common,
            opts=self._child(),
        )
        return {**backends, POOL_ID: pool}

    def _api(
        self,
        service: apim.ApiManagementService,
        backends: Mapping[str, apim.Backend],
        named_values: Mapping[str, apim.NamedValue],
        openai_users: Sequence[pulumi.Resource],
    ) -> apim.Api:
        args = self._args
        primary = min(args.backends.items(), key=lambda item: (item[1].priority, item[0]))[1]
        spec_json = primary.endpoint.apply(
            lambda endpoint: dump_spec(
                patch_spec(
                    args.api_spec,
                    backend_url=endpoint.rstrip("/") + "/openai",
                    keep_operations=args.api_operations,
                    source=args.spec_source,
                )
            )
        )
        api = apim.Api(
            f"{self._name}-api",
            api_id=API_ID,
            display_name="Azure OpenAI",
            description="Azure OpenAI inference API behind the gateway.",
            path=API_PATH,
            protocols=["https"],
            subscription_required=True,
            # The OpenAI SDKs send their key in `api-key`: the subscription key goes there unchanged.
            subscription_key_parameter_names=apim.SubscriptionKeyParameterNamesContractArgs(
                header=SUBSCRIPTION_KEY_HEADER, query=SUBSCRIPTION_KEY_QUERY
            ),
            format="openapi+json",
            value=spec_json,
            api_type="http",
            **self._common,
            opts=self._child(),
        )
        policy = render_policy(
            "api.xml.j2",
            scope="api",
            context={
                "auth_mode": "managed-identity" if args.auth_mode == "managedIdentity" else "api-key",
                "backend_id": POOL_ID,
                "backend_count": len(args.backends),
                "token_metric_namespace": TOKEN_METRIC_NAMESPACE,
                "deployment_dimension": True,
                "subscription_key_header": SUBSCRIPTION_KEY_HEADER,
                "subscription_key_query": SUBSCRIPTION_KEY_QUERY,
            },
            named_values=named_values.keys(),
            backends=[POOL_ID, *(backend_id(name) for name in args.backends)],
        )
        apim.ApiPolicy(
            f"{self._name}-api-policy",
            api_id=api.name,
            policy_id="policy",
            format="rawxml",
            value=policy,
            **self._common,
            # APIM validates backend ids at PUT; the roles must exist before the first token request.
            opts=self._child(depends_on=[*backends.values(), *openai_users]),
        )
        return api

    def _logging(
        self, service: apim.ApiManagementService, api: apim.Api, named_values: Mapping[str, apim.NamedValue]
    ) -> apim.Logger:
        args = self._args
        # Application Insights accepts only Entra ID-authenticated telemetry (local auth is off): the
        # logger signs in as APIM's identity, which may publish metrics there and nothing else.
        publisher = role_assignment(
            f"{self._name}-metrics-publisher",
            role="Monitoring Metrics Publisher",
            scope=args.app_insights_id,
            principal_id=self._principal_id,
            subscription_id=args.subscription_id,
            parent=self,
            description="APIM sends request telemetry and token metrics to Application Insights.",
        )
        logger = apim.Logger(
            f"{self._name}-logger",
            logger_id="appinsights",
            logger_type="applicationInsights",
            description="Application Insights: request telemetry and the token metrics.",
            resource_id=args.app_insights_id,
            credentials={
                "connectionString": f"{{{{{APP_INSIGHTS_NAMED_VALUE}}}}}",
                "identityClientId": "SystemAssigned",
            },
            is_buffered=True,
            **self._common,
            opts=self._child(depends_on=[named_values[APP_INSIGHTS_NAMED_VALUE], publisher]),
        )
        body = apim.BodyDiagnosticSettingsArgs(bytes=args.log_body_bytes) if args.log_body_bytes else None
        # A key sent in the query string would otherwise be logged with the URL.
        masking = apim.DataMaskingArgs(
            query_params=[apim.DataMaskingEntityArgs(mode="Hide", value=SUBSCRIPTION_KEY_QUERY)],
            headers=[apim.DataMaskingEntityArgs(mode="Hide", value=SUBSCRIPTION_KEY_HEADER)],
        )
        message = apim.HttpMessageDiagnosticArgs(headers=LOGGED_HEADERS, body=body, data_masking=masking)
        pipeline = apim.PipelineDiagnosticSettingsArgs(request=message, response=message)
        apim.ApiDiagnostic(
            f"{self._name}-api-diagnostic",
            api_id=api.name,
            diagnostic_id="applicationinsights",
            logger_id=logger.id,
            always_log="allErrors",
            log_client_ip=True,
            http_correlation_protocol="W3C",
            verbosity="information",
            # The token metric policy emits nothing unless custom metrics are on.
            metrics=True,
            sampling=apim.SamplingSettingsArgs(sampling_type="fixed", percentage=args.sampling_percentage),
            frontend=pipeline,
            backend=pipeline,
            **self._common,
            opts=self._child(),
        )
        apim.ApiDiagnostic(
            f"{self._name}-api-azuremonitor",
            api_id=api.name,
            diagnostic_id="azuremonitor",
            # Built-in logger that feeds the resource-specific ApiManagementGatewayLogs table.
            logger_id=service.id.apply(lambda sid: f"{sid}/loggers/azuremonitor"),
            always_log="allErrors",
            log_client_ip=True,
            verbosity="information",
            sampling=apim.SamplingSettingsArgs(sampling_type="fixed", percentage=100),
            frontend=pipeline,
            backend=pipeline,
            **self._common,
            opts=self._child(),
        )
        return logger

    def _products(self, api: apim.Api, logger: apim.Logger) -> dict[str, pulumi.Output[str]]:
        """Each product: its API, a templated policy with its limits, and one subscription whose key is exported."""
        args = self._args
        keys: dict[str, pulumi.Output[str]] = {}
        for product_name, product in sorted(args.products.items()):
            prefix = f"{self._name}-product-{product_name}"
            resource = apim.Product(
                prefix,
                product_id=product_name,
                display_name=product.display_name,
                description=product.description or product.display_name,
                subscription_required=True,
                approval_required=product.approval_required,
                subscriptions_limit=product.subscriptions_limit,
                state=apim.ProductState.PUBLISHED,
                **self._common,
                opts=self._child(),
            )
            apim.ProductApiLink(
                f"{prefix}-api",
                api_link_id=f"{product_name}-{API_ID}",
                product_id=resource.name,
                api_id=api.id,
                **self._common,
                opts=self._child(),
            )
            policy = render_policy(
                "product.xml.j2",
                scope="product",
                context=product_policy_context(product_name, product),
                named_values=(),
                backends=(),
            )
            apim.ProductPolicy(
                f"{prefix}-policy",
                product_id=resource.name,
                policy_id="policy",
                format="rawxml",
                value=policy,
                **self._common,
                opts=self._child(),
            )
            subscription = apim.Subscription(
                f"{prefix}-subscription",
                sid=f"{product_name}-default",
                display_name=f"{product.display_name} (default)",
                scope=resource.id,
                state=apim.SubscriptionState.ACTIVE,
                allow_tracing=False,
                **self._common,
                opts=self._child(),
            )
            secrets = apim.list_subscription_secrets_output(
                sid=subscription.name, opts=pulumi.InvokeOutputOptions(parent=self), **self._common
            )
            keys[product_name] = pulumi.Output.secret(secrets.primary_key)
        return keys


def product_policy_context(product_name: str, product: ProductSettings) -> dict[str, Any]:
    return {
        "product": product_name,
        "rate_limit": (
            {"calls": product.rate_limit.calls, "renewal_period": product.rate_limit.renewal_period}
            if product.rate_limit
            else None
        ),
        "token_limit": {"tokens_per_minute": product.tokens_per_minute} if product.tokens_per_minute else None,
        "token_quota": (
            {"tokens": product.token_quota.tokens, "period": product.token_quota.period}
            if product.token_quota
            else None
        ),
        "headers": CLIENT_HEADERS,
    }
