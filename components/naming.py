"""Deterministic CAF-style resource names clamped to each Azure type's rules, and the standard tags."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

# Azure regions this program knows, with the short codes used in names.
REGION_ABBREVIATIONS: dict[str, str] = {
    "australiaeast": "aue",
    "brazilsouth": "brs",
    "canadacentral": "cac",
    "canadaeast": "cae",
    "centralindia": "inc",
    "centralus": "cus",
    "eastus": "eus",
    "eastus2": "eus2",
    "francecentral": "frc",
    "germanywestcentral": "gwc",
    "italynorth": "itn",
    "japaneast": "jpe",
    "koreacentral": "krc",
    "northcentralus": "ncus",
    "northeurope": "neu",
    "norwayeast": "noe",
    "polandcentral": "plc",
    "southafricanorth": "san",
    "southcentralus": "scus",
    "southeastasia": "sea",
    "southindia": "ins",
    "spaincentral": "spc",
    "swedencentral": "swc",
    "switzerlandnorth": "chn",
    "switzerlandwest": "chw",
    "uaenorth": "uan",
    "uksouth": "uks",
    "westeurope": "weu",
    "westus": "wus",
    "westus3": "wus3",
}


@dataclass(frozen=True)
class NameRule:
    """What Azure accepts for one resource type's name."""

    abbreviation: str
    max_length: int
    min_length: int = 1
    lowercase: bool = False
    hyphens: bool = True
    globally_unique: bool = False


# CAF abbreviations; limits from the Azure naming rules of each resource provider.
RULES: dict[str, NameRule] = {
    "resource_group": NameRule("rg", 90),
    "openai": NameRule("oai", 64, 2, lowercase=True, globally_unique=True),
    # CAF: "Azure AI Content Safety". The custom subdomain makes it globally unique like the OpenAI accounts.
    "content_safety": NameRule("cs", 64, 2, lowercase=True, globally_unique=True),
    "key_vault": NameRule("kv", 24, 3, lowercase=True, globally_unique=True),
    "apim": NameRule("apim", 50, 1, lowercase=True, globally_unique=True),
    "virtual_network": NameRule("vnet", 64, 2),
    "subnet": NameRule("snet", 80),
    "nsg": NameRule("nsg", 80),
    "public_ip": NameRule("pip", 80),
    "app_gateway": NameRule("agw", 80),
    "waf_policy": NameRule("waf", 128, hyphens=False),
    "private_endpoint": NameRule("pep", 64, 2),
    "private_dns_link": NameRule("pdnslink", 80),
    "user_identity": NameRule("id", 128, 3),
    "log_analytics": NameRule("log", 63, 4),
    "app_insights": NameRule("appi", 255),
    "action_group": NameRule("ag", 260),
    "alert": NameRule("alrt", 260),
}


@dataclass(frozen=True)
class Namer:
    """Names every resource of one stack: `<abbrev>-<workload>-<env>-<region>[-<instance>][-<suffix>]`."""

    workload: str
    environment: str
    stack: str
    location: str
    suffix_override: str = ""
    # The subscription deployed to: hashed into the suffix so the same stack in another organisation's
    # subscription gets other globally unique names.
    subscription_id: str = ""

    @property
    def suffix(self) -> str:
        """Stable per subscription and stack, so globally unique names survive re-runs and never collide."""
        if self.suffix_override:
            return self.suffix_override
        seed = f"{self.subscription_id}/{self.workload}/{self.stack}/{self.location}"
        return hashlib.sha256(seed.encode()).hexdigest()[:5]

    def name(self, kind: str, instance: str = "", *, location: str | None = None) -> str:
        rule = RULES[kind]
        region = REGION_ABBREVIATIONS.get(location or self.location, location or self.location)
        parts = [rule.abbreviation, self.workload, self.environment, region]
        if instance:
            parts.append(distinct_segments(instance, parts))
        tail = self.suffix if rule.globally_unique else ""
        return clamp(parts, rule, tail)

    def deterministic_guid(self, *parts: str) -> str:
        """A GUID-named resource (the workbook) gets a stable id per stack and purpose."""
        return stable_guid(self.workload, self.stack, *parts)


def camel(name: str) -> str:
    """`input_per_1k` -> `inputPer1k`: how a snake_case name is spelled in stack files and ARM properties
    (pydantic's to_camel would say 1K)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def distinct_segments(instance: str, earlier: list[str]) -> str:
    """The instance without the segments the name already has: backend `ptu-swc` in Sweden Central names its
    account `oai-<workload>-<env>-swc-ptu-…`, not `…-swc-ptu-swc-…`."""
    seen = {segment for part in earlier for segment in part.lower().split("-")}
    return "-".join(segment for segment in instance.split("-") if segment.lower() not in seen)


def stable_guid(*parts: str) -> str:
    """Azure names some resources by GUID; deriving it from stable parts keeps re-runs idempotent."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def private_endpoint_name(target_name: str) -> str:
    """`pep-<target>`, clamped: the endpoint of one resource is named after it."""
    rule = RULES["private_endpoint"]
    return clamp([rule.abbreviation, target_name], rule)


def clamp(parts: list[str], rule: NameRule, tail: str = "") -> str:
    """Joins name parts and trims the middle so the name fits, keeping the type prefix and unique tail."""
    sep = "-" if rule.hyphens else ""
    clean = [_clean(p, rule) for p in parts]
    name = sep.join(c for c in [*clean, tail] if c)
    if len(name) > rule.max_length:
        keep_tail = (sep + tail) if tail else ""
        name = name[: rule.max_length - len(keep_tail)].rstrip("-") + keep_tail
    name = re.sub(r"-{2,}", "-", name).strip("-")
    if len(name) < rule.min_length:
        raise ValueError(f"name {name!r} is shorter than {rule.min_length} characters")
    return name


def _clean(text: str, rule: NameRule) -> str:
    allowed = r"[^A-Za-z0-9-]" if rule.hyphens else r"[^A-Za-z0-9]"
    text = re.sub(allowed, "", text)
    return text.lower() if rule.lowercase else text


def standard_tags(*, environment: str, owner: str, cost_center: str, project: str, stack: str) -> dict[str, str]:
    """Tags every taggable resource carries (passed explicitly: transforms do not run under mocks)."""
    return {
        "environment": environment,
        "owner": owner,
        "costCenter": cost_center,
        "project": project,
        "stack": stack,
        "managedBy": "pulumi",
    }
