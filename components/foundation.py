"""The stack's resource group and the deployer's tenant and subscription, which other components need."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.resources as resources


@dataclass
class FoundationArgs:
    resource_group_name: str
    location: str
    tags: dict[str, str]
    protect: bool = False


class Foundation(pulumi.ComponentResource):
    """Resource group every other resource lives in."""

    resource_group_name: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    subscription_id: pulumi.Output[str]

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:foundation:Foundation", name, None, opts)
        group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.resource_group_name = group.name
        self.tenant_id = client.tenant_id
        self.subscription_id = client.subscription_id
        self.register_outputs({"resourceGroupName": self.resource_group_name, "tenantId": self.tenant_id})
