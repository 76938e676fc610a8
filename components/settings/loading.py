"""Reading the stack's config into Settings: namespaces, the CLI's text form, and one line per refusal."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from components.settings.base import PROJECT, ConfigError, did_you_mean, map_entry, resolve
from components.settings.models import Settings
from components.settings.rules import check_certificate_vault, check_settings, show

# Namespaces whose keys the CLI hands to every program beside ours: provider configuration.
PROVIDER_NAMESPACES = frozenset({"azure-native", "pulumi", "time"})


def load_settings(subscription_id: str) -> Settings:
    """Reads every `aoai-gateway:*` key the program was given; unknown keys are refused, not ignored.
    `subscription_id` is where the stack deploys, for the rules that depend on it."""
    # The CLI hands config to the program through PULUMI_CONFIG; mocks set it in-process.
    config = dict(pulumi.runtime.config.get_config_env())
    config.update(pulumi.runtime.config.CONFIG.get())
    return settings_from_config(config, subscription_id=subscription_id)


def settings_from_config(config: Mapping[str, Any], *, subscription_id: str | None = None) -> Settings:
    """Settings from `namespace:key` values, as text (the CLI's form) or already decoded; rules checked
    (with `subscription_id`, also those that need the deployment's subscription)."""
    values: dict[str, Any] = {}
    for key, value in sorted(config.items()):
        namespace, _, name = key.partition(":")
        if namespace == PROJECT:
            values[name] = _decode(name, value)
        elif namespace not in PROVIDER_NAMESPACES:
            raise ConfigError(
                f"{key}: '{namespace}' is neither this project's namespace ({PROJECT}) nor a provider's "
                f"({', '.join(sorted(PROVIDER_NAMESPACES))}); did you mean {PROJECT}:{name}?"
            )
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(explain(exc.errors()[0])) from None
    check_settings(settings)
    if subscription_id is not None:
        check_certificate_vault(settings, subscription_id)
    return settings


def _decode(name: str, value: Any) -> Any:
    """A top-level value as the program receives it: the CLI passes every one as text, objects and lists as
    JSON. Text is read by the key's declared type (so `protectResources: "true"` from `pulumi config set`
    is true); inside objects, types must already match."""
    if not isinstance(value, str):
        return value
    # The schema knows the keys by their alias, as the stack file spells them; an unknown key has no type.
    kind = _schema_at([name])[1].get("type")
    if kind in ("object", "array"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{PROJECT}:{name}: not valid structured config ({exc.msg})") from None
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    if kind in ("integer", "number"):
        try:
            return int(value) if kind == "integer" else float(value)
        except ValueError:
            return value
    return value


# ---------------------------------------------------------------- refusals as one line


def explain(error: ErrorDetails) -> str:
    """The first validation error as `<key> = <value>: <what is allowed>`, in plain words."""
    loc = list(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    is_key = bool(loc) and loc[-1] == "[key]"
    if is_key:
        loc = loc[:-1]
    if kind == "duplicate_name":
        loc.append(ctx["key"])
        value = ctx["key"]
    path = _path(loc)
    prop, shape = _schema_at(loc)
    if kind == "missing":
        return f"{path}: required setting is missing ({prop.get('description', '')})"
    if kind == "extra_forbidden":
        allowed = sorted(_schema_at(loc[:-1])[1].get("properties", {}))
        parent = _path(loc[:-1]) if len(loc) > 1 else PROJECT
        return (
            f"{path}: unknown setting in {parent}; allowed: {', '.join(allowed)}{did_you_mean(str(loc[-1]), allowed)}"
        )
    if is_key:
        return f"{path}: invalid name; expected {ctx.get('meaning', error['msg'])}"
    return f"{path}{_shown(value)}: {_allowed(kind, error, shape, value)}"


def _allowed(kind: str, error: ErrorDetails, shape: dict[str, Any], value: Any) -> str:
    ctx = error.get("ctx") or {}
    quoted_number = isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit()
    if kind == "literal_error":
        choices = [str(c) for c in shape.get("enum", [])]
        return f"not allowed; expected one of {', '.join(choices)}{did_you_mean(str(value), choices)}"
    if kind == "int_type":
        return "expected a whole number" + (", written without quotes" if quoted_number else "")
    if kind == "float_type":
        return "expected a number" + (", written without quotes" if quoted_number else "")
    if kind == "bool_type":
        return "expected true or false" + (", written without quotes" if isinstance(value, str) else "")
    if kind == "string_type":
        return "expected text; write it in quotes"
    if kind in ("model_type", "dict_type"):
        return "expected an object"
    if kind == "tuple_type":
        return "expected a list"
    if kind in ("greater_than_equal", "less_than_equal"):
        # The bounds of the value itself: a map entry's own, not those of the setting that holds the map.
        return f"out of range; allowed {shape.get('minimum', '')}..{shape.get('maximum', '')}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def _shown(value: Any) -> str:
    # Objects and lists are named by their key; echoing them would not fit on one line.
    return "" if isinstance(value, (Mapping, list, tuple)) and value else f" = {show(value)}"


def _path(loc: list[Any]) -> str:
    text = f"{PROJECT}:"
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if index else "") + str(part)
    return text


# ---------------------------------------------------------------- reading the models' schema along an error's location


@functools.cache
def _schema() -> dict[str, Any]:
    return Settings.model_json_schema(by_alias=True)


def _schema_at(loc: list[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The innermost setting (property) on the way to `loc`, and the schema of the value at `loc`; {} where the
    location leaves the schema."""
    root = _schema()
    prop: dict[str, Any] = {}
    shape = root
    for part in loc:
        if "properties" in shape:
            step = prop = shape["properties"].get(part, {})
        elif "items" in shape:
            step = shape["items"]
        else:
            step = map_entry(shape)
        if not step:
            return {}, {}
        shape = resolve(root, step)[0]
    return prop, shape
