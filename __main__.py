"""Composition root: reads the stack settings once and wires the components together. No logic here."""

import pulumi

from components.config import PROJECT, load_settings
from components.foundation import Foundation, FoundationArgs
from components.naming import Namer, standard_tags

settings = load_settings()
namer = Namer(settings.workload, settings.environment, pulumi.get_stack(), settings.location, settings.name_suffix)
tags = standard_tags(
    environment=settings.environment,
    owner=settings.owner,
    cost_center=settings.cost_center,
    project=PROJECT,
    stack=pulumi.get_stack(),
)

foundation = Foundation(
    "foundation",
    FoundationArgs(
        resource_group_name=namer.name("resource_group"),
        location=settings.location,
        tags=tags,
        protect=settings.protect_resources,
    ),
)

pulumi.export("resourceGroupName", foundation.resource_group_name)
