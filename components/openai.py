"""Azure OpenAI accounts (one per backend region) and their model deployments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.cognitiveservices as cognitiveservices

from components.settings.models import OpenAiBackendSettings
from components.shared import Placement, PrivateLink, ai_account, diagnostic_setting, private_endpoint


@dataclass
class OpenAiBackendsArgs:
    backends: Mapping[str, OpenAiBackendSettings]
    account_names: Mapping[str, str]
    placement: Placement
    workspace_id: pulumi.Input[str]
    # Keys exist only for the api-key mode; with managed identity local auth is switched off.
    disable_local_auth: bool = True
    public_network_access: bool = False
    private_link: PrivateLink | None = None
    protect: bool = False


@dataclass(frozen=True)
class OpenAiAccount:
    """What the gateway needs to know about one backend."""

    id: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    priority: int
    weight: int


class OpenAiBackends(pulumi.ComponentResource):
    accounts: dict[str, OpenAiAccount]
    # Only in api-key mode: each account's primary key, a Pulumi secret, for the Key Vault.
    keys: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: OpenAiBackendsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:openai:OpenAiBackends", name, None, opts)
        self.accounts = {}
        self.keys = {}
        for backend_name, backend in sorted(args.backends.items()):
            prefix = f"{name}-{backend_name}"
            account_name = args.account_names[backend_name]
            account = ai_account(
                prefix,
                account_name=account_name,
                kind="OpenAI",
                location=backend.location,
                placement=args.placement,
                private=not args.public_network_access,
                parent=self,
                protect=args.protect,
                disable_local_auth=args.disable_local_auth,
            )
            # Azure rejects concurrent deployment operations on one account, so each waits for the previous.
            previous: pulumi.Resource | None = None
            for deployment_name, deployment in sorted(backend.deployments.items()):
                previous = cognitiveservices.Deployment(
                    f"{prefix}-{deployment_name}",
                    deployment_name=deployment_name,
                    account_name=account.name,
                    resource_group_name=args.placement.resource_group_name,
                    sku=cognitiveservices.SkuArgs(name=deployment.sku, capacity=deployment.capacity),
                    properties=cognitiveservices.DeploymentPropertiesArgs(
                        model=cognitiveservices.DeploymentModelArgs(
                            format="OpenAI", name=deployment.model, version=deployment.version
                        ),
                        version_upgrade_option=deployment.version_upgrade_option,
                        rai_policy_name=deployment.content_filter,
                    ),
                    tags=args.placement.tags,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else []),
                )
            diagnostic_setting(f"{prefix}-diag", target_id=account.id, workspace_id=args.workspace_id, parent=self)
            if args.private_link is not None:
                private_endpoint(
                    f"{prefix}-pe",
                    target_name=account_name,
                    target_id=account.id,
                    group_id="account",
                    link=args.private_link,
                    placement=args.placement,
                    parent=self,
                )
            self.accounts[backend_name] = OpenAiAccount(
                id=account.id,
                endpoint=account.properties.endpoint,
                priority=backend.priority,
                weight=backend.weight,
            )
            if not args.disable_local_auth:
                keys = cognitiveservices.list_account_keys_output(
                    account_name=account.name,
                    resource_group_name=args.placement.resource_group_name,
                    opts=pulumi.InvokeOutputOptions(parent=self),
                )
                self.keys[backend_name] = pulumi.Output.secret(keys.key1).apply(lambda key: key or "")
        self.register_outputs({key: account.id for key, account in self.accounts.items()})
