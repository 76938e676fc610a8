"""Azure AI Content Safety: the account the gateway's llm-content-safety policy asks to screen prompts, hardened
like the OpenAI accounts (Entra ID only, private in prod, diagnostics to the workspace)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.cognitiveservices as cognitiveservices

from components.shared import diagnostic_setting, private_endpoint


@dataclass
class ContentSafetyArgs:
    account_name: str
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    workspace_id: pulumi.Input[str]
    public_network_access: bool = False
    private_endpoint_subnet_id: pulumi.Input[str] | None = None
    private_dns_zone_id: pulumi.Input[str] | None = None
    protect: bool = False


class ContentSafety(pulumi.ComponentResource):
    account_id: pulumi.Output[str]
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: ContentSafetyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:guardrails:ContentSafety", name, None, opts)
        private = not args.public_network_access
        account = cognitiveservices.Account(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="ContentSafety",
            sku=cognitiveservices.SkuArgs(name="S0"),
            identity=cognitiveservices.IdentityArgs(type=cognitiveservices.ResourceIdentityType.SYSTEM_ASSIGNED),
            properties=cognitiveservices.AccountPropertiesArgs(
                # Entra ID tokens and private endpoints both need a custom subdomain.
                custom_sub_domain_name=args.account_name,
                # APIM signs in with its managed identity (Cognitive Services User): no keys to leak.
                disable_local_auth=True,
                public_network_access="Disabled" if private else "Enabled",
                network_acls=cognitiveservices.NetworkRuleSetArgs(
                    default_action="Deny" if private else "Allow", bypass="AzureServices"
                ),
                restrict_outbound_network_access=True,
                allowed_fqdn_list=[],
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        diagnostic_setting(f"{name}-diag", target_id=account.id, workspace_id=args.workspace_id, parent=self)
        if args.private_endpoint_subnet_id is not None and args.private_dns_zone_id is not None:
            private_endpoint(
                f"{name}-pe",
                target_name=args.account_name,
                target_id=account.id,
                group_id="account",
                subnet_id=args.private_endpoint_subnet_id,
                dns_zone_id=args.private_dns_zone_id,
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=args.tags,
                parent=self,
            )
        self.account_id = account.id
        self.endpoint = account.properties.endpoint
        self.register_outputs({"accountId": self.account_id, "endpoint": self.endpoint})
