"""The settings described for people and editors: the config reference table and the stack file's JSON Schema."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from components.settings.base import PROJECT, Matches, bounds, kind_of, unwrap
from components.settings.loading import PROVIDER_NAMESPACES
from components.settings.models import Settings


@dataclass(frozen=True)
class SettingDoc:
    key: str
    type_name: str
    default: str
    description: str


def iter_settings(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[SettingDoc]:
    """Every setting, depth first, as the stack file spells it (`apim.sku`, `products.<name>.rateLimit.calls`)."""
    for info in model.model_fields.values():
        key = f"{prefix}{info.alias}"
        yield SettingDoc(key, _type_name(info.annotation), _default(info), _description(info))
        inner = _inner_model(info.annotation)
        if inner is not None:
            nested = f"{key}.<name>." if kind_of(info.annotation) == "map" else f"{key}."
            yield from iter_settings(inner, nested)


def markdown_reference() -> str:
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for doc in iter_settings():
        rows.append(
            f"| `{PROJECT}:{doc.key}` | {doc.type_name} | {doc.default} | {doc.description.replace('|', '/')} |"
        )
    return "\n".join(rows) + "\n"


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of `Pulumi.<stack>.yaml`, for editors (yaml-language-server) and reviewers."""
    settings = Settings.model_json_schema(by_alias=True)
    definitions = settings.pop("$defs", {})
    definitions["Secure"] = {
        "type": "object",
        "description": "A value encrypted by `pulumi config set --secret` (the CLI writes it; do not edit).",
        "properties": {"secure": {"type": "string"}},
        "required": ["secure"],
        "additionalProperties": False,
    }
    config = {
        "type": "object",
        "properties": {f"{PROJECT}:{key}": _secret_allowed(value) for key, value in settings["properties"].items()},
        "required": [f"{PROJECT}:{key}" for key in settings.get("required", [])],
        # Provider configuration (e.g. azure-native:location) lives beside the project's keys.
        "patternProperties": {f"^({'|'.join(sorted(PROVIDER_NAMESPACES))}):": {}},
        "additionalProperties": False,
    }
    for definition in definitions.values():
        for key, value in definition.get("properties", {}).items():
            definition["properties"][key] = _secret_allowed(value)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Pulumi.<stack>.yaml of {PROJECT}",
        "description": "Generated from components/settings/models.py by `make docs`; do not edit.",
        "type": "object",
        "properties": {
            "config": config,
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["config"],
        "additionalProperties": False,
        "$defs": dict(sorted(definitions.items())),
    }


def schema_text() -> str:
    return json.dumps(stack_file_schema(), indent=2, sort_keys=False) + "\n"


def _secret_allowed(schema: dict[str, Any]) -> dict[str, Any]:
    """Any text value may instead be a `secure:` block (`pulumi config set --secret [--path]`)."""
    if schema.get("type") == "string" and "enum" not in schema:
        return {"anyOf": [schema, {"$ref": "#/$defs/Secure"}]}
    if schema.get("type") == "object" and "patternProperties" in schema:
        entries = {key: _secret_allowed(value) for key, value in schema["patternProperties"].items()}
        return {**schema, "patternProperties": entries}
    return schema


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    inner = unwrap(annotation)
    if typing.get_origin(inner) is dict:
        inner = unwrap(typing.get_args(inner)[1])
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _type_name(annotation: Any) -> str:
    optional = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    kind = kind_of(annotation)
    inner = unwrap(annotation)
    if kind == "map":
        kind = f"map of {_type_name(typing.get_args(inner)[1])}"
    elif kind == "list":
        kind = f"list of {_type_name(typing.get_args(inner)[0])}"
    return kind + (" (optional)" if optional else "")


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "see fields"
    if value is PydanticUndefined:
        return "required"
    return f"`{json.dumps(list(value) if isinstance(value, tuple) else value)}`"


def _description(info: FieldInfo) -> str:
    notes = []
    inner = unwrap(info.annotation)
    if typing.get_origin(inner) is Literal:
        notes.append("one of " + ", ".join(f"`{choice}`" for choice in typing.get_args(inner)))
    low, high = bounds(info)
    if low or high:
        notes.append(f"range {low}..{high}")
    for constraint in _constraints(info.annotation):
        notes.append(constraint.meaning)
    text = info.description or ""
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _constraints(annotation: Any) -> list[Matches]:
    """The Matches markers on a field's own type (not on the items of a list or map)."""
    found: list[Matches] = []
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *extras = typing.get_args(annotation)
        found += [extra for extra in extras if isinstance(extra, Matches)]
    return found
