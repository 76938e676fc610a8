"""Rules for tags, allowed locations and Azure's naming constraints."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._model import HIGH, MEDIUM, Concern
from ._props import dig, items, lower, names, text

CONCERN = Concern("tagging-and-naming")

# Every type the program declares whose ARM resource takes a tags map.
TAGGABLE = (
    "azure-native:resources:ResourceGroup",
    "azure-native:cognitiveservices:Account",
    "azure-native:cognitiveservices:Deployment",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Secret",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:apimanagement:ApiManagementService",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:PublicIPAddress",
    "azure-native:network:ApplicationGateway",
    "azure-native:network:WebApplicationFirewallPolicy",
    "azure-native:network:PrivateEndpoint",
    "azure-native:privatedns:PrivateZone",
    "azure-native:privatedns:VirtualNetworkLink",
    "azure-native:operationalinsights:Workspace",
    "azure-native:applicationinsights:Component",
    "azure-native:applicationinsights:Workbook",
    "azure-native:monitor:ActionGroup",
    "azure-native:monitor:MetricAlert",
    "azure-native:monitor:ScheduledQueryRule",
)
# Every declared type that takes a location (child resources inherit their parent's), and those
# of them Azure places in "global".
LOCATED = tuple(
    t for t in TAGGABLE if t not in ("azure-native:cognitiveservices:Deployment", "azure-native:keyvault:Secret")
)
GLOBAL = frozenset(
    {
        "azure-native:privatedns:PrivateZone",
        "azure-native:privatedns:VirtualNetworkLink",
        "azure-native:monitor:ActionGroup",
        "azure-native:monitor:MetricAlert",
    }
)

_LETTERS_DIGITS_HYPHENS = "letters, digits and hyphens"
# Type -> ((input path, pattern, what Azure accepts), ...). Absent names are auto-named by Pulumi.
NAME_CONSTRAINTS = {
    "azure-native:keyvault:Vault": (
        (
            ("vaultName",),
            re.compile(r"^(?!.*--)[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$"),
            f"3-24 {_LETTERS_DIGITS_HYPHENS}, starting with a letter, ending with a letter or digit, no '--'",
        ),
    ),
    "azure-native:apimanagement:ApiManagementService": (
        (
            ("serviceName",),
            re.compile(r"^[A-Za-z](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$"),
            f"1-50 {_LETTERS_DIGITS_HYPHENS}, starting with a letter and ending with a letter or digit",
        ),
    ),
    "azure-native:cognitiveservices:Account": (
        (
            ("accountName",),
            re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$"),
            "2-64 letters, digits, '_', '.' and '-', starting with a letter or digit",
        ),
        (
            ("properties", "customSubDomainName"),
            re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$"),
            "2-64 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
        ),
    ),
    "azure-native:operationalinsights:Workspace": (
        (
            ("workspaceName",),
            re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$"),
            f"4-63 {_LETTERS_DIGITS_HYPHENS}, starting and ending with a letter or digit",
        ),
    ),
    "azure-native:network:ApplicationGateway": (
        (
            ("applicationGatewayName",),
            re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$"),
            "1-80 letters, digits, '_', '.' and '-', starting with a letter or digit",
        ),
    ),
    "azure-native:resources:ResourceGroup": (
        (
            ("resourceGroupName",),
            re.compile(r"^[-\w.()]{0,89}[-\w()]$"),
            "1-90 letters, digits, '_', '.', '(', ')' and '-', not ending with '.'",
        ),
    ),
    "azure-native:managedidentity:UserAssignedIdentity": (
        (
            ("resourceName",),
            re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$"),
            "3-128 letters, digits, '_' and '-', starting with a letter or digit",
        ),
    ),
    "azure-native:network:PublicIPAddress": (
        (
            ("dnsSettings", "domainNameLabel"),
            re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$"),
            "3-63 lower-case letters, digits and hyphens, starting with a letter",
        ),
    ),
}


def _normalise_location(value):
    return lower(value).replace(" ", "")


@CONCERN.rule(
    "tags-required",
    summary="Every taggable resource carries the required tags, with the stack's expected values "
    "(pack config requiredTags, tagValues).",
    resource_types=TAGGABLE,
    severity=MEDIUM,
    remediation="Set owner and costCenter in Pulumi.<stack>.yaml; the program tags every resource from "
    "them (components/naming.py standard_tags).",
    sources=(
        "Azure Policy 871b6d14-10aa-478d-b590-94f262ecfa99",
        "Azure Policy 96670d01-0a4d-4649-9c89-2d3abc0a5025",
    ),
    config_schema={
        "requiredTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["costCenter", "environment", "managedBy", "owner", "project"],
        },
        "tagValues": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {},
            "description": "Tags whose value is fixed for the stack, e.g. {'environment': 'prod'}.",
        },
    },
)
def _required_tags(args, config):
    tags = dig(args.props, "tags")
    tags = tags if isinstance(tags, Mapping) else {}
    missing = [name for name in config["requiredTags"] if not text(tags.get(name))]
    if missing:
        yield f"tags lack {names(missing)}; pass the stack's standard tags to every taggable resource."
    for name, expected in sorted(config["tagValues"].items()):
        actual = text(tags.get(name))
        if actual and actual != expected:
            yield f"tags[{name!r}] is {actual!r}; this stack expects {expected!r}."


@CONCERN.rule(
    "locations-allowed",
    summary="Resources are deployed only to the stack's allowed locations (pack config allowedLocations; "
    "'global' only for global resource types).",
    resource_types=LOCATED,
    severity=HIGH,
    remediation="Deploy to a region listed in allowedLocations of policies/config/<environment>.json, or "
    "extend the list after a data-residency review.",
    sources=("Azure Policy e56962a6-4747-49cd-b67b-bf8b01975c4c",),
    config_schema={
        "allowedLocations": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Azure region names (e.g. 'swedencentral'). Empty denies every location.",
        },
    },
)
def _allowed_location(args, config):
    allowed = {_normalise_location(location) for location in config["allowedLocations"]}
    places = [("location", dig(args.props, "location"))]
    places += [
        (f"additionalLocations[{index}].location", dig(extra, "location"))
        for index, extra in enumerate(items(dig(args.props, "additionalLocations")))
    ]
    for where, value in places:
        location = _normalise_location(value)
        if not location or (location == "global" and args.resource_type in GLOBAL):
            continue
        if not allowed:
            yield (
                f"{where} is {value!r} but allowedLocations is empty in this stack's pack config "
                "(policies/config/<environment>.json); list the approved regions there."
            )
        elif location not in allowed:
            yield f"{where} is {value!r}; this stack deploys only to {names(allowed)}."


@CONCERN.rule(
    "naming-azure-constraints",
    summary="Explicit resource names meet Azure's length and character rules (Key Vault <= 24, "
    "APIM <= 50, OpenAI custom subdomain lower-case, ...).",
    resource_types=tuple(NAME_CONSTRAINTS),
    severity=MEDIUM,
    remediation="Derive names with components/naming, which clamps each type to its limits.",
)
def _name_constraints(args, config):
    for path, pattern, rule in NAME_CONSTRAINTS[args.resource_type]:
        value = dig(args.props, *path)
        if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
            yield f"{'.'.join(path)} {value!r} breaks Azure's naming rule: {rule}."
