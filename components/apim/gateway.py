"""The Gateway component: API Management with its named values, backends and pools, the two OpenAI API surfaces,
products and team subscriptions, guardrails and logging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.apim.api import openai_api
from components.apim.backends import content_safety_backend, openai_backends
from components.apim.callers import CONTENT_SAFETY_BACKEND, entra_teams_context
from components.apim.diagnostics import APP_INSIGHTS_NAMED_VALUE, api_diagnostics, app_insights_logger
from components.apim.products import products
from components.apim.service import apim_service, key_vault_named_values
from components.apim.surfaces import SURFACES
from components.openai import OpenAiAccount
from components.secrets import StoredSecret
from components.settings.models import ApimSettings, AuthMode, ProductSettings, TeamSettings
from components.shared import Placement, diagnostic_setting, role_assignment


@dataclass(frozen=True)
class ApiSpec:
    """One surface's OpenAPI document, patched and checked (pointing at a placeholder account), and where it came
    from."""

    document: Mapping[str, Any]
    source: str


@dataclass(frozen=True)
class ContentSafetyEndpoint:
    id: pulumi.Input[str]
    endpoint: pulumi.Input[str]


@dataclass
class GatewayArgs:
    service_name: str
    placement: Placement
    subscription_id: pulumi.Input[str]
    apim: ApimSettings
    auth_mode: AuthMode
    backends: Mapping[str, OpenAiAccount]
    products: Mapping[str, ProductSettings]
    # Spec of each surface, by surface name ("deployments", "v1").
    specs: Mapping[str, ApiSpec]
    # Deployment names the pools serve: a request for another is answered 404 by the gateway.
    deployments: tuple[str, ...]
    # Key Vault secrets APIM reads, keyed by the named value that references each: the App Insights
    # connection string and, in api-key mode, the account keys (`openai-key-<backend>`).
    key_vault_secrets: Mapping[str, StoredSecret]
    app_insights_id: pulumi.Input[str]
    workspace_id: pulumi.Input[str]
    teams: Mapping[str, TeamSettings] = field(default_factory=dict)
    content_safety: ContentSafetyEndpoint | None = None
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
    team_keys: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:gateway:Gateway", name, None, opts)
        service = apim_service(
            f"{name}-apim",
            service_name=args.service_name,
            placement=args.placement,
            settings=args.apim,
            subnet_id=args.subnet_id,
            protect=args.protect,
            parent=self,
        )
        common: dict[str, Any] = {
            "resource_group_name": args.placement.resource_group_name,
            "service_name": service.name,
        }
        principal_id = service.principal_id

        def grant(key: str, role: str, scope: pulumi.Input[str], description: str) -> pulumi.CustomResource:
            return role_assignment(
                f"{name}-{key}",
                role=role,
                scope=scope,
                principal_id=principal_id,
                subscription_id=args.subscription_id,
                parent=self,
                description=description,
            )

        openai_users = [
            grant(
                f"openai-user-{backend_name}",
                "Cognitive Services OpenAI User",
                account.id,
                "APIM calls Azure OpenAI as its managed identity.",
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
        guardrails: list[pulumi.Resource] = []
        if args.content_safety is not None:
            guardrails = [
                grant(
                    "content-safety-user",
                    "Cognitive Services User",
                    args.content_safety.id,
                    "APIM asks Azure AI Content Safety to screen prompts (llm-content-safety).",
                ),
                content_safety_backend(
                    f"{name}-backend-content-safety",
                    endpoint=args.content_safety.endpoint,
                    common=common,
                    parent=self,
                ),
            ]
        backend_ids = [CONTENT_SAFETY_BACKEND] if args.content_safety is not None else []
        logger = app_insights_logger(
            name,
            connection_string=named_values[APP_INSIGHTS_NAMED_VALUE],
            app_insights_id=args.app_insights_id,
            principal_id=principal_id,
            subscription_id=args.subscription_id,
            common=common,
            parent=self,
        )
        entra_teams = entra_teams_context(args.teams, args.products)
        apis = []
        for surface in SURFACES:
            backends = openai_backends(
                name, args.backends, surface=surface, named_values=named_values, common=common, parent=self
            )
            spec = args.specs[surface.name]
            api = openai_api(
                name,
                surface,
                accounts=args.backends,
                spec=spec.document,
                spec_source=spec.source,
                policy={
                    "auth_mode": args.auth_mode,
                    "timeout_seconds": args.backend_timeout_seconds,
                    "deployments": list(args.deployments),
                    "entra_teams": entra_teams,
                    "content_safety_backend": CONTENT_SAFETY_BACKEND,
                },
                subscription_required=not entra_teams,
                named_values=named_values.keys(),
                extra_backends=backend_ids,
                wait_for=[*backends.values(), *openai_users, *guardrails],
                common=common,
                parent=self,
            )
            api_diagnostics(
                f"{name}-api{surface.infix}",
                api=api,
                logger=logger,
                service_id=service.id,
                sampling_percentage=args.sampling_percentage,
                log_body_bytes=args.log_body_bytes,
                llm_message_bytes=args.llm_message_bytes,
                common=common,
                parent=self,
            )
            apis.append((api, surface.api_id, surface.infix))
        self.subscription_keys, self.team_keys = products(
            name,
            args.products,
            args.teams,
            apis=apis,
            backends=backend_ids,
            wait_for=guardrails,
            common=common,
            parent=self,
        )
        diagnostic_setting(
            f"{name}-diag", target_id=service.id, workspace_id=args.workspace_id, parent=self, dedicated_tables=True
        )

        self.service_id = service.id
        self.service_name = service.name
        self.gateway_url = service.gateway_url
        self.principal_id = principal_id
        self.private_ip = service.private_ip if args.apim.virtual_network_type == "Internal" else None
        self.register_outputs({"gatewayUrl": self.gateway_url, "serviceId": self.service_id})
