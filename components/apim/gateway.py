"""The Gateway component: API Management with its named values, backends and pool, the OpenAI API, products, logging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.apim.api import API_ID, openai_api
from components.apim.backends import openai_backends
from components.apim.diagnostics import APP_INSIGHTS_NAMED_VALUE, api_logging
from components.apim.products import products
from components.apim.service import apim_service, key_vault_named_values
from components.openai import OpenAiAccount
from components.secrets import StoredSecret
from components.settings.models import ApimSettings, ProductSettings
from components.shared import diagnostic_setting, role_assignment


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
    role_propagation_seconds: int = 0
    # APIM's forward-request timeout: how long it waits for Azure OpenAI's response headers.
    backend_timeout_seconds: int = 300
    sampling_percentage: float = 100
    log_body_bytes: int = 0
    # Prompt and completion bytes logged to ApiManagementGatewayLlmLog (0: usage metadata only).
    llm_message_bytes: int = 0
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
        service = apim_service(
            f"{name}-apim",
            service_name=args.service_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            settings=args.apim,
            subnet_id=args.subnet_id,
            tags=args.tags,
            protect=args.protect,
            parent=self,
        )
        common: dict[str, Any] = {"resource_group_name": args.resource_group_name, "service_name": service.name}
        principal_id = service.principal_id
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
        named_values = key_vault_named_values(
            name,
            args.key_vault_secrets,
            principal_id=principal_id,
            subscription_id=args.subscription_id,
            role_propagation_seconds=args.role_propagation_seconds,
            common=common,
            parent=self,
        )
        backends = openai_backends(name, args.backends, named_values=named_values, common=common, parent=self)
        api = openai_api(
            name,
            accounts=args.backends,
            api_spec=args.api_spec,
            api_operations=args.api_operations,
            spec_source=args.spec_source,
            auth_mode=args.auth_mode,
            backend_timeout_seconds=args.backend_timeout_seconds,
            named_values=named_values.keys(),
            wait_for=[*backends.values(), *openai_users],
            common=common,
            parent=self,
        )
        api_logging(
            name,
            service_id=service.id,
            service_name=service.name,
            resource_group_name=args.resource_group_name,
            api=api,
            connection_string=named_values[APP_INSIGHTS_NAMED_VALUE],
            app_insights_id=args.app_insights_id,
            principal_id=principal_id,
            subscription_id=args.subscription_id,
            sampling_percentage=args.sampling_percentage,
            log_body_bytes=args.log_body_bytes,
            llm_message_bytes=args.llm_message_bytes,
            common=common,
            parent=self,
        )
        self.subscription_keys = products(name, args.products, api=api, api_id=API_ID, common=common, parent=self)
        diagnostic_setting(
            f"{name}-diag", target_id=service.id, workspace_id=args.workspace_id, parent=self, dedicated_tables=True
        )

        self.service_id = service.id
        self.service_name = service.name
        self.gateway_url = service.gateway_url
        self.principal_id = principal_id
        self.private_ip = service.private_ip if args.apim.virtual_network_type == "Internal" else None
        self.register_outputs({"gatewayUrl": self.gateway_url, "serviceId": self.service_id})
