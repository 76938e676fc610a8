"""The deploy's critical path on paper: the longest chain of the plan's dependency graph, each resource
weighted by how long Azure takes to create it.

Figures are Microsoft's where it states one, else estimates (marked so): a plan cannot measure Azure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.rules.typed_view import SERVICE, typed_type

# Minutes to create, by type token. Sources: "Create an API Management instance" (classic: 30-40 minutes to
# create and activate; in a VNet, community reports reach 45-75); "Inject ... Premium v2 tier" (v2 tiers are
# created "in minutes": 15 is an estimate that leaves room); Application Gateway FAQ ("about five to six
# minutes"). The rest are estimates from typical ARM operations.
MINUTES: dict[str, float] = {
    "azure-native:network:ApplicationGateway": 6,
    "azure-native:network:PrivateEndpoint": 2,
    "azure-native:network:PrivateDnsZoneGroup": 0.5,
    "azure-native:network:WebApplicationFirewallPolicy": 1,
    "azure-native:network:VirtualNetwork": 0.5,
    "azure-native:network:Subnet": 0.5,
    "azure-native:network:NetworkSecurityGroup": 0.5,
    "azure-native:network:PublicIPAddress": 0.5,
    "azure-native:privatedns:PrivateZone": 1,
    "azure-native:privatedns:VirtualNetworkLink": 1,
    "azure-native:cognitiveservices:Account": 1,
    # Deployments of one account are chained (Azure refuses concurrent ones); each takes a minute or two.
    "azure-native:cognitiveservices:Deployment": 2,
    "azure-native:keyvault:Vault": 1,
    "azure-native:operationalinsights:Workspace": 1,
    "azure-native:apimanagement:Api": 1,
}
# Everything else: a quick ARM PUT (secrets, role assignments, APIM children, alerts, records).
DEFAULT_MINUTES = 0.3
APIM_MINUTES = {"classic": 45.0, "v2": 15.0}
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def is_component(resource: Mapping[str, Any]) -> bool:
    """One of our components (type token aoai-gateway:*): Azure creates its resources, not the component itself."""
    return str(resource.get("type", "")).startswith("aoai-gateway:")


@dataclass(frozen=True)
class CriticalPath:
    minutes: float
    steps: tuple[tuple[str, float], ...]  # (resource name, minutes), in deploy order

    def line(self) -> str:
        shown = [f"{name} ({minutes:g})" for name, minutes in self.steps if minutes >= 1]
        rest = len(self.steps) - len(shown)
        tail = f" and {rest} quick steps" if rest else ""
        return f"estimated deploy: {round(self.minutes)} min on the critical path: {' → '.join(shown)}{tail}"


def minutes_for(resource: Mapping[str, Any]) -> float:
    type_token, inputs = resource["type"], resource["inputs"]
    if typed_type(type_token, inputs) == SERVICE:
        sku = str((inputs.get("sku") or {}).get("name", ""))
        return APIM_MINUTES["v2" if sku.endswith("V2") else "classic"]
    if type_token == "time:index/sleep:Sleep":
        return _sleep_minutes(str(inputs.get("createDuration", "")))
    return MINUTES.get(type_token, DEFAULT_MINUTES)


def _sleep_minutes(duration: str) -> float:
    match = _DURATION.match(duration)
    if not match or not duration:
        return DEFAULT_MINUTES
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 60 + minutes + seconds / 60


def critical_path(resources: Sequence[Mapping[str, Any]]) -> CriticalPath:
    """The chain of dependencies that takes longest to create, components standing for their resources."""
    by_urn = {r["urn"]: r for r in resources}
    children: dict[str, list[str]] = {}
    for resource in resources:
        children.setdefault(resource.get("parent") or "", []).append(resource["urn"])

    def custom(urn: str) -> list[str]:
        """The created resources a dependency on `urn` waits for: itself, or a component's descendants."""
        if not is_component(by_urn[urn]):
            return [urn]
        return [leaf for child in children.get(urn, []) for leaf in custom(child)]

    finish: dict[str, tuple[float, str | None]] = {}

    def done(urn: str) -> float:
        if urn not in finish:
            waits = [dep for raw in by_urn[urn]["dependsOn"] if raw in by_urn for dep in custom(raw)]
            start, before = max(((done(dep), dep) for dep in waits), default=(0.0, None))
            finish[urn] = (start + minutes_for(by_urn[urn]), before)
        return finish[urn][0]

    # A plan always creates something: the settings require an OpenAI backend.
    leaves = [urn for urn, res in by_urn.items() if not is_component(res)]
    last = max(leaves, key=lambda urn: (done(urn), urn))
    steps: list[tuple[str, float]] = []
    cursor: str | None = last
    while cursor is not None:
        steps.append((by_urn[cursor]["name"], minutes_for(by_urn[cursor])))
        cursor = finish[cursor][1]
    return CriticalPath(finish[last][0], tuple(reversed(steps)))
