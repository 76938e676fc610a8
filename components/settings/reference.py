"""The settings described for editors and people: the stack file's JSON Schema, and the reference table drawn
from the models' schema it is built on (so the two cannot disagree)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from components.settings.base import PROJECT, map_entry, resolve
from components.settings.loading import PROVIDER_NAMESPACES
from components.settings.models import Settings

SECURE = {
    "type": "object",
    "description": "A value encrypted by `pulumi config set --secret` (the CLI writes it; do not edit).",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
}


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of `Pulumi.<stack>.yaml`, for editors (yaml-language-server) and reviewers."""
    settings = Settings.model_json_schema(by_alias=True)
    definitions = {**settings.pop("$defs", {}), "Secure": SECURE}
    for schema in (settings, *definitions.values()):
        for key, value in schema.get("properties", {}).items():
            schema["properties"][key] = _secret_allowed(value)
    config = {
        "type": "object",
        "properties": {f"{PROJECT}:{key}": value for key, value in settings["properties"].items()},
        "required": [f"{PROJECT}:{key}" for key in settings.get("required", [])],
        # Provider configuration (e.g. azure-native:location) lives beside the project's keys.
        "patternProperties": {f"^({'|'.join(sorted(PROVIDER_NAMESPACES))}):": {}},
        "additionalProperties": False,
    }
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
    return json.dumps(stack_file_schema(), indent=2) + "\n"


def markdown_reference() -> str:
    schema = Settings.model_json_schema(by_alias=True)
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for key, type_name, default, description in _settings(schema, schema["properties"], f"{PROJECT}:"):
        rows.append(f"| `{key}` | {type_name} | {default} | {description.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def _secret_allowed(schema: dict[str, Any]) -> dict[str, Any]:
    """Any free text may instead be a `secure:` block (`pulumi config set --secret [--path]`)."""
    if schema.get("type") == "string" and "enum" not in schema:
        return {"anyOf": [schema, {"$ref": "#/$defs/Secure"}]}
    if "patternProperties" in schema:
        return {**schema, "patternProperties": {k: _secret_allowed(v) for k, v in schema["patternProperties"].items()}}
    return schema


def _settings(root: dict[str, Any], properties: dict[str, Any], prefix: str) -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default, description) for every setting, depth first, as the stack file spells the keys."""
    for name, prop in properties.items():
        key = f"{prefix}{name}"
        shape, optional = resolve(root, prop)
        yield key, _type_name(root, shape) + (" (optional)" if optional else ""), _default(shape), _description(shape)
        entry = map_entry(shape)
        item = resolve(root, entry)[0] if entry else shape
        if "properties" in item:
            yield from _settings(root, item["properties"], f"{key}.<name>." if entry else f"{key}.")


def _type_name(root: dict[str, Any], shape: dict[str, Any]) -> str:
    entry = map_entry(shape)
    if entry:
        return f"map of {_type_name(root, resolve(root, entry)[0])}"
    if shape.get("type") == "array":
        return f"list of {_type_name(root, resolve(root, shape['items'])[0])}"
    return "string" if "enum" in shape else str(shape.get("type", "string"))


def _default(shape: dict[str, Any]) -> str:
    if "default" not in shape:
        return "required"
    if shape["default"] is None:
        return "none"
    return "see fields" if "properties" in shape else f"`{json.dumps(shape['default'])}`"


def _description(shape: dict[str, Any]) -> str:
    notes = []
    if "x-expected" in shape:
        notes.append(shape["x-expected"])
    elif "enum" in shape:
        notes.append("one of " + ", ".join(f"`{choice}`" for choice in shape["enum"]))
    if "minimum" in shape or "maximum" in shape:
        notes.append(f"range {shape.get('minimum', '')}..{shape.get('maximum', '')}")
    text = str(shape.get("description", ""))
    return text + (f" ({'; '.join(notes)})" if notes else "")
