"""Azure AI Content Safety: the account the gateway's llm-content-safety policy asks to screen prompts, hardened
like the OpenAI accounts (Entra ID only, private in prod, diagnostics to the workspace)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.shared import Placement, PrivateLink, ai_account, diagnostic_setting, private_endpoint


@dataclass
class ContentSafetyArgs:
    account_name: str
    placement: Placement
    workspace_id: pulumi.Input[str]
    public_network_access: bool = False
    private_link: PrivateLink | None = None
    protect: bool = False


class ContentSafety(pulumi.ComponentResource):
    account_id: pulumi.Output[str]
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: ContentSafetyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:guardrails:ContentSafety", name, None, opts)
        # APIM signs in with its managed identity (Cognitive Services User): local auth stays off, no keys to leak.
        account = ai_account(
            f"{name}-account",
            account_name=args.account_name,
            kind="ContentSafety",
            location=args.placement.location,
            placement=args.placement,
            private=not args.public_network_access,
            parent=self,
            protect=args.protect,
        )
        diagnostic_setting(f"{name}-diag", target_id=account.id, workspace_id=args.workspace_id, parent=self)
        if args.private_link is not None:
            private_endpoint(
                f"{name}-pe",
                target_name=args.account_name,
                target_id=account.id,
                group_id="account",
                link=args.private_link,
                placement=args.placement,
                parent=self,
            )
        self.account_id = account.id
        self.endpoint = account.properties.endpoint
        self.register_outputs({"accountId": self.account_id, "endpoint": self.endpoint})
