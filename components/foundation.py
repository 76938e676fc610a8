"""Where the stack deploys: the deployer's tenant and subscription, and the stack's resource group."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.resources as resources


@dataclass(frozen=True)
class DeploymentScope:
    tenant_id: str
    subscription_id: str


def deployment_scope() -> DeploymentScope:
    """The signed-in tenant and subscription, read once before any name is chosen: globally unique names
    hash the subscription in, so two organisations deploying the same stack never collide."""
    client = authorization.get_client_config()
    return DeploymentScope(tenant_id=client.tenant_id, subscription_id=client.subscription_id)


@dataclass
class FoundationArgs:
    resource_group_name: str
    location: str
    tags: dict[str, str]
    protect: bool = False


class Foundation(pulumi.ComponentResource):
    """Resource group every other resource lives in."""

    resource_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: FoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:foundation:Foundation", name, None, opts)
        group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.resource_group_name = group.name
        self.register_outputs({"resourceGroupName": self.resource_group_name})
