"""Generic ARM resources seen as the typed resources they are, so every rule written for the typed shape
applies to them too.

The program declares what pulumi-azure-native's default API versions cannot express (API Management
PremiumV2, LLM logging) through `azure-native:resources:Resource` with an explicit `apiVersion`, its ARM
properties under `properties`. Each shape listed here is the one of that API version's REST spec; a
generic resource of a listed provider at an API version not listed here is reported by a rule instead of
passing every check unseen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GENERIC = "azure-native:resources:Resource"
SERVICE = "azure-native:apimanagement:ApiManagementService"
API_DIAGNOSTIC = "azure-native:apimanagement:ApiDiagnostic"
BACKEND = "azure-native:apimanagement:Backend"

# (provider namespace, resource type) -> (typed resource type, API versions whose shape the view knows).
KNOWN_SHAPES: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("microsoft.apimanagement", "service"): (SERVICE, frozenset({"2025-03-01-preview"})),
    ("microsoft.apimanagement", "diagnostics"): (API_DIAGNOSTIC, frozenset({"2025-03-01-preview"})),
    ("microsoft.apimanagement", "backends"): (BACKEND, frozenset({"2025-03-01-preview"})),
}
WATCHED_PROVIDERS = frozenset(namespace for namespace, _ in KNOWN_SHAPES)


def _key(props: Mapping[str, Any]) -> tuple[str, str]:
    return str(props.get("resourceProviderNamespace") or "").lower(), str(props.get("resourceType") or "").lower()


def unknown_shape(resource_type: str, props: Mapping[str, Any]) -> str | None:
    """Why the rules cannot read a generic resource of a watched provider, or None when they can."""
    namespace, kind = _key(props)
    if resource_type != GENERIC or namespace not in WATCHED_PROVIDERS:
        return None
    known = KNOWN_SHAPES.get((namespace, kind))
    version = props.get("apiVersion")
    if known is None or version not in known[1]:
        versions = ", ".join(sorted(known[1])) if known else "none"
        return f"{namespace}/{kind} at API version {version} (the pack knows: {versions})"
    return None


def typed_type(resource_type: str, props: Mapping[str, Any]) -> str:
    """The typed resource type a resource is checked as (itself, unless it is a generic one the pack knows)."""
    known = KNOWN_SHAPES.get(_key(props)) if resource_type == GENERIC else None
    return known[0] if known and props.get("apiVersion") in known[1] else resource_type


def typed_props(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """A generic resource's inputs in the typed resource's input shape: ARM properties at the top level,
    the name under the typed resource's name input."""
    typed = typed_type(resource_type, props)
    if typed == resource_type:
        return props
    view: dict[str, Any] = {
        key: props.get(key) for key in ("resourceGroupName", "location", "sku", "identity", "tags") if key in props
    }
    view.update(props.get("properties") or {})
    # parentResourcePath: service/<service>[/apis/<api>]
    parent = str(props.get("parentResourcePath") or "").split("/")
    service = parent[1] if len(parent) > 1 else ""
    if typed == SERVICE:
        view["serviceName"] = props.get("resourceName")
    elif typed == BACKEND:
        view.update(serviceName=service, backendId=props.get("resourceName"))
    elif typed == API_DIAGNOSTIC:
        view.update(serviceName=service, apiId=parent[-1], diagnosticId=props.get("resourceName"))
    return view
