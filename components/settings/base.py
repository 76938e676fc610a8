"""What every settings module shares: the project's name and folder, ConfigError, the base model, the field types
and how to read their JSON Schema."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from components.naming import REGION_ABBREVIATIONS, camel
from policies.rules.plan_markers import SECRET

PROJECT = "aoai-gateway"
PROJECT_DIR = Path(__file__).resolve().parents[2]


class ConfigError(pulumi.RunError):
    """A stack setting is wrong. `pulumi.RunError` makes the CLI print the message without a traceback."""


class Section(BaseModel):
    """A block of stack settings: camelCase keys, unknown keys refused, no silent conversions, immutable.

    Numbers and booleans inside a block must be written as such: `capacity: "2"` is refused, not read as 2.
    """

    model_config = ConfigDict(alias_generator=camel, populate_by_name=False, extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True)
class Matches:
    """A string that matches `regex`; `meaning` is what the error and the reference say instead of the regex.

    The offline plan's secret placeholder passes: the real value is only known to the pulumi CLI.
    """

    regex: str
    meaning: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        compiled = re.compile(self.regex)

        def check(value: str) -> str:
            if value != SECRET and not compiled.fullmatch(value):
                raise PydanticCustomError("pattern", "expected {meaning}", {"meaning": self.meaning})
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        # JSON Schema patterns search; the setting must match whole.
        json_schema["pattern"] = f"^(?:{self.regex})$"
        json_schema["x-expected"] = self.meaning
        return json_schema


# Names of map entries (backends, products): they become parts of Azure resource names.
EntryName = Annotated[
    str,
    Matches(
        r"[a-z][a-z0-9-]{0,22}[a-z0-9]", "a name of 2-24 lowercase letters, digits and '-', starting with a letter"
    ),
]
# Deployment and model-price names: what clients send as deployment-id or model.
DeploymentName = Annotated[
    str,
    Matches(
        r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
        "a name of 1-64 letters, digits, '.', '_' and '-', starting with a letter or digit",
    ),
]
Email = Annotated[
    str, Matches(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "an e-mail address such as team@contoso.com")
]
HostName = Annotated[
    str,
    Matches(
        r"(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
        "a lowercase DNS host name such as ai.contoso.com",
    ),
]
HttpsUrl = Annotated[str, Matches(r"https://\S+", "an https:// URL")]


def _distinct(values: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("duplicates", "duplicate entries are not allowed")
    return values


# Marks `tuple[X, ...]` as a list of distinct items in the stack file (YAML and JSON know lists, not tuples).
LIST = Strict(False)
DISTINCT_ITEMS = AfterValidator(_distinct)


def _distinct_ignoring_case(entries: dict[str, Any]) -> dict[str, Any]:
    # Azure compares names case-insensitively: "GPT-4o" and "gpt-4o" would be one deployment.
    seen: dict[str, str] = {}
    for name in sorted(entries):
        if name.lower() in seen:
            raise PydanticCustomError(
                "duplicate_name",
                "duplicate of '{first}' (Azure names ignore case)",
                {"key": name, "first": seen[name.lower()]},
            )
        seen[name.lower()] = name
    return entries


# Marks `dict[Name, X]`: entries keyed by a stable name (never a list position), distinct ignoring case.
DISTINCT_NAMES = AfterValidator(_distinct_ignoring_case)


def _known_region(value: str) -> str:
    if value != SECRET and value not in REGION_ABBREVIATIONS:
        raise PydanticCustomError(
            "region",
            "not a known Azure region name (e.g. swedencentral, eastus2){hint}",
            {"hint": did_you_mean(value, REGION_ABBREVIATIONS)},
        )
    return value


# An Azure region by its programmatic name; the list is the one naming.py abbreviates.
Region = Annotated[
    str,
    AfterValidator(_known_region),
    WithJsonSchema(
        {
            "type": "string",
            "enum": sorted(REGION_ABBREVIATIONS),
            "x-expected": "an Azure region name such as swedencentral",
        }
    ),
]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """ "; did you mean 'x'?" when one choice is close to `word`, else ""."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# ---------------------------------------------------------------- reading the models' JSON Schema (errors, docs)


def resolve(root: dict[str, Any], prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema a property resolves to (refs into `root` followed, the null alternative dropped), and whether
    null is allowed."""
    alternatives = prop.get("anyOf", [prop])
    concrete = [a for a in alternatives if a.get("type") != "null"]
    shape = {**prop, **concrete[0]}
    if "$ref" in shape:
        # The setting's own description and default win over those of the model it refers to.
        reference = shape.pop("$ref")
        shape = {**root["$defs"][reference.rsplit("/", 1)[-1]], **shape}
    return shape, len(concrete) < len(alternatives)


def map_entry(shape: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of a map's entries, whether its keys are checked by a pattern or by a list of names; None when
    `shape` is not a map (a model's additionalProperties is false)."""
    entry = next(iter(shape.get("patternProperties", {}).values()), shape.get("additionalProperties"))
    return entry if isinstance(entry, dict) else None
