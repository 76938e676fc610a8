"""Typed stack settings: the only module that reads Pulumi config, validated once into frozen dataclasses."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pulumi

from components.apim.spec import SpecError, load_spec, operation_ids
from components.naming import REGION_ABBREVIATIONS

PROJECT = "aoai-gateway"
PROJECT_DIR = Path(__file__).resolve().parents[1]
# What the offline plan passes for a secret config value it cannot decrypt; the CLI passes plaintext.
OFFLINE_SECRET = "[secret]"

_REQUIRED: Any = dataclasses.MISSING
_EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
_KEY_NAME = r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$"
_DEPLOYMENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_HOST_NAME = r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


class ConfigError(pulumi.RunError):
    """A stack setting is wrong. `pulumi.RunError` makes the CLI print the message without a traceback."""


def setting(
    description: str,
    default: Any = _REQUIRED,
    *,
    choices: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    pattern: str | None = None,
    item_pattern: str | None = None,
) -> Any:
    """Declares one config field: its documentation and the checks its value must pass."""
    meta = {
        "description": description,
        "choices": choices,
        "minimum": minimum,
        "maximum": maximum,
        "pattern": pattern,
        "item_pattern": item_pattern,
    }
    if isinstance(default, Mapping):
        frozen = types.MappingProxyType(dict(default))
        return field(default_factory=lambda: frozen, metadata=meta)
    if dataclasses.is_dataclass(default):
        return field(default_factory=lambda: default, metadata=meta)
    return field(default=default, metadata=meta)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# ---------------------------------------------------------------- OpenAI backends

MODEL_SKUS = (
    "Standard",
    "GlobalStandard",
    "DataZoneStandard",
    "ProvisionedManaged",
    "GlobalProvisionedManaged",
    "DataZoneProvisionedManaged",
)
PROVISIONED_SKUS = frozenset(s for s in MODEL_SKUS if s.endswith("ProvisionedManaged"))
UPGRADE_OPTIONS = ("OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired", "NoAutoUpgrade")


@dataclass(frozen=True)
class DeploymentSettings:
    model: str = setting("Model name, e.g. gpt-4o or text-embedding-3-small.", pattern=r"^[a-z0-9][a-z0-9.-]{1,63}$")
    version: str = setting("Model version, e.g. 2024-11-20.", pattern=r"^[0-9A-Za-z.-]{1,32}$")
    sku: str = setting("Deployment SKU (PTU SKUs end in ProvisionedManaged).", "Standard", choices=MODEL_SKUS)
    capacity: int = setting(
        "Units: thousands of tokens per minute, or PTUs for provisioned SKUs.", 10, minimum=1, maximum=100000
    )
    version_upgrade_option: str = setting(
        "When Azure may move the deployment to a newer model version.", "NoAutoUpgrade", choices=UPGRADE_OPTIONS
    )
    content_filter: str = setting(
        "Content filter (RAI) policy name.", "Microsoft.DefaultV2", pattern=r"^[A-Za-z0-9._-]{1,64}$"
    )


@dataclass(frozen=True)
class OpenAiBackendSettings:
    location: str = setting("Azure region of this OpenAI account.")
    deployments: Mapping[str, DeploymentSettings] = setting(
        "Model deployments keyed by deployment name (the `deployment-id` clients call)."
    )
    priority: int = setting("Pool priority: 1 is tried first (put PTU backends there).", 1, minimum=1, maximum=100)
    weight: int = setting("Share of traffic among backends of the same priority.", 1, minimum=1, maximum=1000)


# ---------------------------------------------------------------- API Management

APIM_SKUS = ("Developer", "Basic", "Standard", "Premium", "BasicV2", "StandardV2")
APIM_CAPACITY = {
    "Developer": (1, 1),
    "Basic": (1, 2),
    "Standard": (1, 4),
    "Premium": (1, 12),
    "BasicV2": (1, 10),
    "StandardV2": (1, 10),
}
# Classic VNet injection (External/Internal) exists only on these tiers; the v2 tiers use outbound
# VNet integration instead, which this program does not model.
VNET_INJECTION_SKUS = frozenset({"Developer", "Premium"})
NETWORK_MODES = ("None", "External", "Internal")


@dataclass(frozen=True)
class ApimSettings:
    publisher_email: str = setting(
        "Publisher e-mail shown in the developer portal and used for notices.", pattern=_EMAIL
    )
    publisher_name: str = setting("Publisher (organisation) name.", pattern=r"^.{1,100}$")
    sku: str = setting("API Management tier.", "Developer", choices=APIM_SKUS)
    capacity: int = setting(
        "Scale units (Developer: 1; Basic: 1-2; Standard: 1-4; Premium: 1-12; v2: 1-10).", 1, minimum=1, maximum=12
    )
    virtual_network_type: str = setting(
        "VNet injection: None, External, or Internal (Developer and Premium only).", "None", choices=NETWORK_MODES
    )


# ---------------------------------------------------------------- products and limits

QUOTA_PERIODS = ("Hourly", "Daily", "Weekly", "Monthly", "Yearly")


@dataclass(frozen=True)
class RateLimitSettings:
    calls: int = setting("Requests allowed per renewal period, per subscription.", minimum=1, maximum=1_000_000)
    renewal_period: int = setting("Renewal period in seconds.", 60, minimum=1, maximum=300)


@dataclass(frozen=True)
class TokenQuotaSettings:
    tokens: int = setting("Tokens allowed per quota period, per subscription.", minimum=1, maximum=10**12)
    period: str = setting("Quota period.", "Monthly", choices=QUOTA_PERIODS)


@dataclass(frozen=True)
class ProductSettings:
    display_name: str = setting("Display name in the developer portal.", pattern=r"^.{1,100}$")
    description: str = setting("What the product is for.", "", pattern=r"^.{0,1000}$")
    approval_required: bool = setting("Whether an administrator approves each subscription.", True)
    subscriptions_limit: int = setting("Subscriptions a user may hold for this product.", 1, minimum=1, maximum=1000)
    rate_limit: RateLimitSettings | None = setting("Request rate limit per subscription (omit for none).", None)
    tokens_per_minute: int | None = setting(
        "Token-per-minute limit per subscription (omit for none).", None, minimum=1, maximum=100_000_000
    )
    token_quota: TokenQuotaSettings | None = setting("Token quota per period per subscription (omit for none).", None)
    monthly_budget: float | None = setting(
        "Spend per month (pricing currency) before the budget alert fires.", None, minimum=0.01, maximum=10**9
    )


# ---------------------------------------------------------------- network and edge


@dataclass(frozen=True)
class SubnetSettings:
    app_gateway: str = setting("Application Gateway subnet (at least /26; /24 recommended).", "10.20.0.0/24")
    apim: str = setting("API Management subnet (at least /27).", "10.20.1.0/27")
    private_endpoints: str = setting("Private endpoints subnet (at least /28).", "10.20.2.0/27")


SUBNET_MIN_SIZE = {"app_gateway": 26, "apim": 27, "private_endpoints": 28}


@dataclass(frozen=True)
class NetworkSettings:
    enabled: bool = setting("Create the VNet, NSGs, private endpoints and private DNS.", False)
    address_space: str = setting("VNet address space (CIDR).", "10.20.0.0/16")
    subnets: SubnetSettings = setting("Subnet prefixes inside the address space.", SubnetSettings())
    public_endpoints: bool = setting(
        "Leave the OpenAI accounts and the Key Vault reachable from the internet (false: private endpoints only).",
        True,
    )
    unsafe_allow_public_access_in_prod: bool = setting(
        "Explicit opt-in needed before a prod stack may keep public OpenAI/Key Vault access.", False
    )


WAF_MODES = ("Detection", "Prevention")
WAF_RULE_SETS = ("OWASP_3.2", "Microsoft_DefaultRuleSet_2.1")


@dataclass(frozen=True)
class EdgeSettings:
    enabled: bool = setting("Put an Application Gateway WAF_v2 in front of API Management.", False)
    host_name: str = setting(
        "Public host name clients call (the certificate must match).", "api.example.com", pattern=_HOST_NAME
    )
    certificate_key_vault_id: str = setting(
        "Resource id of an existing Key Vault (RBAC) that holds the listener certificate; managed outside "
        "this stack, because the stack's own vault is private and created by the same deployment.",
        "",
        pattern=r"^(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[A-Za-z0-9-]{3,24})?$",
    )
    certificate_secret_name: str = setting(
        "Name of the certificate (its secret) in that vault.",
        "gateway-tls",
        pattern=r"^[A-Za-z0-9-]{1,127}$",
    )
    min_capacity: int = setting("Autoscale lower bound (instances).", 0, minimum=0, maximum=125)
    max_capacity: int = setting("Autoscale upper bound (instances).", 2, minimum=2, maximum=125)
    waf_mode: str = setting("WAF mode.", "Prevention", choices=WAF_MODES)
    rule_set: str = setting("Managed rule set.", "Microsoft_DefaultRuleSet_2.1", choices=WAF_RULE_SETS)


# ---------------------------------------------------------------- monitoring


@dataclass(frozen=True)
class AlertThresholds:
    apim_server_error_percent: float = setting(
        "APIM 5xx responses, % of requests over 15 min.", 5, minimum=0.1, maximum=100
    )
    apim_backend_duration_ms: int = setting(
        "APIM average backend duration (ms) over 15 min.", 20000, minimum=100, maximum=600000
    )
    apim_capacity_percent: int = setting("APIM capacity % (classic tiers) over 15 min.", 80, minimum=1, maximum=100)
    openai_throttled_requests: int = setting(
        "OpenAI 429 responses per account over 5 min.", 50, minimum=1, maximum=1_000_000
    )
    openai_tokens_per_hour: int = setting(
        "OpenAI processed tokens per account per hour.", 5_000_000, minimum=1, maximum=10**12
    )
    unhealthy_hosts: int = setting("Application Gateway unhealthy backend hosts.", 1, minimum=1, maximum=100)
    waf_blocked_requests: int = setting("WAF blocked requests over 5 min.", 100, minimum=1, maximum=1_000_000)
    circuit_breaker_trips: int = setting(
        "Backend-unavailable (circuit open) responses over 5 min.", 1, minimum=1, maximum=1_000_000
    )
    gateway_limit_rejections: int = setting(
        "Token-limit/quota 429s per product over 15 min.", 100, minimum=1, maximum=1_000_000
    )


@dataclass(frozen=True)
class MonitoringSettings:
    retention_days: int = setting("Log Analytics retention in days.", 30, minimum=30, maximum=730)
    sampling_percentage: float = setting(
        "Application Insights sampling for the API diagnostic.", 100, minimum=0, maximum=100
    )
    log_body_bytes: int = setting(
        "Request/response body bytes logged (0 keeps bodies out of logs).", 0, minimum=0, maximum=8192
    )
    alert_emails: tuple[str, ...] = setting("E-mail receivers of the action group.", (), item_pattern=_EMAIL)
    alert_webhooks: Mapping[str, str] = setting(
        "Webhook receivers keyed by name (https URLs).", {}, item_pattern=r"^https://\S+$"
    )
    thresholds: AlertThresholds = setting("Alert thresholds.", AlertThresholds())


@dataclass(frozen=True)
class ModelPrice:
    input_per_1k: float = setting("Price of 1,000 prompt tokens.", minimum=0, maximum=1000)
    output_per_1k: float = setting("Price of 1,000 completion tokens.", minimum=0, maximum=1000)


# ---------------------------------------------------------------- the stack

ENVIRONMENTS = ("dev", "test", "prod")
AUTH_MODES = ("managedIdentity", "apiKey")


@dataclass(frozen=True)
class Settings:
    environment: str = setting(
        "Environment class; prod turns on hardening and mandatory policies.", choices=ENVIRONMENTS
    )
    location: str = setting("Primary Azure region (API Management, Key Vault, monitoring).")
    owner: str = setting("Owner tag: team or person accountable.", pattern=r"^.{1,256}$")
    cost_center: str = setting("costCenter tag for charge-back.", pattern=r"^.{1,256}$")
    openai_backends: Mapping[str, OpenAiBackendSettings] = setting(
        "Azure OpenAI accounts keyed by name; each is a gateway backend."
    )
    apim: ApimSettings = setting("API Management service.")
    products: Mapping[str, ProductSettings] = setting("API Management products keyed by name, each with its limits.")
    workload: str = setting(
        "Short workload name used in every resource name.", "aoaigw", pattern=r"^[a-z][a-z0-9]{1,9}$"
    )
    name_suffix: str = setting(
        "Suffix for globally unique names; empty derives a stable one from the stack.", "", pattern=r"^[a-z0-9]{0,6}$"
    )
    auth_mode: str = setting(
        "How APIM authenticates to OpenAI: managedIdentity or apiKey (key in Key Vault).",
        "managedIdentity",
        choices=AUTH_MODES,
    )
    protect_resources: bool = setting("Protect stateful resources (vault, accounts, APIM) from deletion.", False)
    spec_path: str = setting(
        "OpenAPI spec of the inference API imported into APIM.", "specs/azure-openai-inference.json"
    )
    api_operations: tuple[str, ...] = setting(
        "Operations (operationIds) of the spec to publish.",
        ("ChatCompletions_Create", "Completions_Create", "Embeddings_Create"),
        item_pattern=r"^[A-Za-z0-9_.-]+$",
    )
    inference_api_version: str = setting(
        "api-version clients use (stack output for SDKs).", "2024-10-21", pattern=r"^\d{4}-\d{2}-\d{2}(-preview)?$"
    )
    network: NetworkSettings = setting("Private networking.", NetworkSettings())
    edge: EdgeSettings = setting("Application Gateway WAF in front of API Management.", EdgeSettings())
    monitoring: MonitoringSettings = setting("Logs, metrics and alerts.", MonitoringSettings())
    pricing: Mapping[str, ModelPrice] = setting("Price per model name, for cost metrics, docs and budget alerts.", {})
    currency: str = setting("Currency of the pricing table.", "USD", pattern=r"^[A-Z]{3}$")

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    def api_spec(self) -> dict[str, Any]:
        """Loads the spec named by specPath and checks that every published operation is in it."""
        try:
            spec = load_spec(PROJECT_DIR / self.spec_path)
        except SpecError as exc:
            raise ConfigError(f"{PROJECT}:specPath: {exc}") from None
        available = operation_ids(spec)
        for operation in self.api_operations:
            if operation not in available:
                _fail(
                    f"{PROJECT}:apiOperations",
                    operation,
                    f"not an operation of {self.spec_path}; it has {', '.join(available)}",
                )
        return spec


T = TypeVar("T")


def parse_settings(raw: Mapping[str, Any]) -> Settings:
    """Builds validated Settings from the project's config values (keys without the namespace)."""
    settings = _parse_dataclass(Settings, raw, f"{PROJECT}:")
    _check_combinations(settings)
    return settings


def load_settings() -> Settings:
    """Reads every `aoai-gateway:*` key the program was given; unknown keys are refused, not ignored."""
    return settings_from_config(_all_config())


def settings_from_config(config: Mapping[str, Any]) -> Settings:
    """Settings from `namespace:key` config values, as strings (the CLI's form) or already decoded."""
    prefix = f"{PROJECT}:"
    values = {
        key[len(prefix) :]: _decode(key[len(prefix) :], value)
        for key, value in sorted(config.items())
        if key.startswith(prefix)
    }
    return parse_settings(values)


def _all_config() -> dict[str, str]:
    # The CLI hands config to the program through PULUMI_CONFIG; mocks set it in-process.
    merged = dict(pulumi.runtime.config.get_config_env())
    merged.update(pulumi.runtime.config.CONFIG.get())
    return merged


def _decode(key: str, text: Any) -> Any:
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{PROJECT}:{key}: not valid structured config ({exc.msg})") from None
    return text


# ---------------------------------------------------------------- generic parsing


def _fail(path: str, value: Any, allowed: str) -> typing.NoReturn:
    raise ConfigError(f"{path} = {_show(value)}: {allowed}")


def _show(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_dataclass(cls: type[T], raw: Any, path: str) -> T:
    if not isinstance(raw, Mapping):
        _fail(path.rstrip(":."), raw, "expected an object")
    fields = {camel(f.name): f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        where = path.rstrip(":.") or PROJECT
        raise ConfigError(f"{path}{unknown[0]}: unknown setting in {where}; allowed: {', '.join(sorted(fields))}")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, f in fields.items():
        key_path = f"{path}{key}"
        if key not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{key_path}: required setting is missing ({f.metadata['description']})")
            continue
        kwargs[f.name] = _parse_value(hints[f.name], raw[key], key_path, f.metadata)
    return cls(**kwargs)


def _parse_value(hint: Any, value: Any, path: str, meta: Mapping[str, Any]) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        inner = next(a for a in args if a is not type(None))
        return _parse_value(inner, value, path, meta)
    if dataclasses.is_dataclass(hint):
        return _parse_dataclass(typing.cast(type, hint), value, f"{path}.")
    if origin is Mapping or origin is dict:
        if not isinstance(value, Mapping):
            _fail(path, value, "expected an object keyed by name")
        item_hint = args[1]
        parsed = {}
        seen: dict[str, str] = {}
        for name in sorted(value):
            _check_key_name(item_hint, name, path)
            # Azure compares names case-insensitively: "GPT-4o" and "gpt-4o" would be one deployment.
            if name.lower() in seen:
                _fail(f"{path}.{name}", name, f"duplicate of {seen[name.lower()]!r} (Azure names ignore case)")
            seen[name.lower()] = name
            item_meta = {"item_pattern": None, **meta, "pattern": meta.get("item_pattern")}
            parsed[name] = _parse_value(item_hint, value[name], f"{path}.{name}", item_meta)
        return types.MappingProxyType(parsed)
    if origin is tuple:
        if not isinstance(value, list):
            _fail(path, value, "expected a list")
        items = tuple(
            _parse_value(args[0], v, f"{path}[{i}]", {**meta, "pattern": meta.get("item_pattern")})
            for i, v in enumerate(value)
        )
        if len(set(items)) != len(items):
            _fail(path, value, "duplicate entries are not allowed")
        return items
    return _parse_scalar(hint, value, path, meta)


def _check_key_name(item_hint: Any, name: str, path: str) -> None:
    pattern = _DEPLOYMENT_NAME if item_hint is DeploymentSettings else _KEY_NAME
    if item_hint in (str, ModelPrice):
        pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
    if not re.match(pattern, name):
        raise ConfigError(f"{path}.{name}: invalid name; names must match {pattern}")


def _parse_scalar(hint: Any, value: Any, path: str, meta: Mapping[str, Any]) -> Any:
    if hint is bool:
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        _fail(path, value, "expected true or false")
    if hint is int:
        number = _number(value, path, "expected a whole number")
        if number != int(number):
            _fail(path, value, "expected a whole number")
        number = int(number)
    elif hint is float:
        number = _number(value, path, "expected a number")
    elif hint is str:
        if not isinstance(value, str):
            _fail(path, value, "expected a string")
        if value == OFFLINE_SECRET:
            return value
        choices = meta.get("choices") or ()
        if choices and value not in choices:
            _fail(path, value, f"not allowed; expected one of {', '.join(choices)}")
        pattern = meta.get("pattern")
        if pattern and not re.match(pattern, value):
            _fail(path, value, f"does not match {pattern}")
        return value
    else:  # pragma: no cover - a new field type without a parser is a programming error
        raise TypeError(f"unsupported config field type {hint!r} at {path}")
    low, high = meta.get("minimum"), meta.get("maximum")
    if (low is not None and number < low) or (high is not None and number > high):
        _fail(path, value, f"out of range; allowed {_fmt(low)}..{_fmt(high)}")
    return number


def _number(value: Any, path: str, message: str) -> float:
    if isinstance(value, bool):
        _fail(path, value, message)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            pass
    _fail(path, value, message)


def _fmt(bound: float | None) -> str:
    if bound is None:
        return ""
    return str(int(bound)) if float(bound).is_integer() else str(bound)


# ---------------------------------------------------------------- cross-field rules


def _check_combinations(s: Settings) -> None:
    ns = f"{PROJECT}:"
    if s.location not in REGION_ABBREVIATIONS:
        _fail(f"{ns}location", s.location, "not a known Azure region name (e.g. swedencentral, eastus2)")
    if not s.openai_backends:
        _fail(f"{ns}openaiBackends", {}, "at least one OpenAI backend is required")
    for name, backend in s.openai_backends.items():
        path = f"{ns}openaiBackends.{name}"
        if backend.location not in REGION_ABBREVIATIONS:
            _fail(f"{path}.location", backend.location, "not a known Azure region name")
        if not backend.deployments:
            _fail(f"{path}.deployments", {}, "at least one deployment is required")
        for dep_name, dep in backend.deployments.items():
            if dep.sku in PROVISIONED_SKUS and (dep.capacity < 15 or dep.capacity % 5):
                _fail(
                    f"{path}.deployments.{dep_name}.capacity",
                    dep.capacity,
                    "provisioned SKUs need at least 15 PTUs in steps of 5",
                )
    _check_pool(s)
    low, high = APIM_CAPACITY[s.apim.sku]
    if not low <= s.apim.capacity <= high:
        _fail(f"{ns}apim.capacity", s.apim.capacity, f"out of range for {s.apim.sku}; allowed {low}..{high}")
    if s.is_prod and s.apim.sku == "Developer":
        _fail(
            f"{ns}apim.sku",
            s.apim.sku,
            "Developer has no SLA and one unit; prod needs Basic, Standard, Premium or a v2 tier",
        )
    if not s.api_operations:
        _fail(f"{ns}apiOperations", [], "publish at least one operation of the spec")
    if s.apim.virtual_network_type != "None":
        if s.apim.sku not in VNET_INJECTION_SKUS:
            _fail(
                f"{ns}apim.virtualNetworkType",
                s.apim.virtual_network_type,
                f"needs an APIM SKU with VNet injection ({', '.join(sorted(VNET_INJECTION_SKUS))}), not {s.apim.sku}",
            )
        if not s.network.enabled:
            _fail(f"{ns}apim.virtualNetworkType", s.apim.virtual_network_type, "needs network.enabled: true")
    if not s.products:
        _fail(f"{ns}products", {}, "at least one product is required")
    for name, product in s.products.items():
        if product.rate_limit is None and product.tokens_per_minute is None and product.token_quota is None:
            _fail(f"{ns}products.{name}", "no limits", "every product needs rateLimit, tokensPerMinute or tokenQuota")
    if s.edge.enabled and not s.network.enabled:
        _fail(f"{ns}edge.enabled", True, "the Application Gateway needs network.enabled: true")
    if s.edge.enabled and not s.edge.certificate_key_vault_id:
        _fail(
            f"{ns}edge.certificateKeyVaultId",
            "",
            "the HTTPS listener needs the resource id of the vault with its certificate",
        )
    if s.edge.min_capacity > s.edge.max_capacity:
        _fail(f"{ns}edge.minCapacity", s.edge.min_capacity, f"must not exceed edge.maxCapacity ({s.edge.max_capacity})")
    _check_network(s)
    if s.is_prod and not s.monitoring.alert_emails and not s.monitoring.alert_webhooks:
        _fail(
            f"{ns}monitoring.alertEmails", [], "prod needs at least one alert receiver (alertEmails or alertWebhooks)"
        )


def _check_pool(s: Settings) -> None:
    # One pool serves every request, so any member may receive any deployment-id.
    offered = {name: set(backend.deployments) for name, backend in s.openai_backends.items()}
    every = set().union(*offered.values())
    for name in sorted(offered):
        missing = sorted(every - offered[name])
        if missing:
            _fail(
                f"{PROJECT}:openaiBackends.{name}.deployments",
                sorted(offered[name]),
                f"lacks {', '.join(missing)}, which other backends of the pool offer; "
                "every pool member must offer the same deployments",
            )
    by_priority: dict[int, list[str]] = {}
    for name, backend in s.openai_backends.items():
        by_priority.setdefault(backend.priority, []).append(name)
    for priority, names in sorted(by_priority.items()):
        if len(names) == 1 and s.openai_backends[names[0]].weight != 1:
            _fail(
                f"{PROJECT}:openaiBackends.{names[0]}.weight",
                s.openai_backends[names[0]].weight,
                f"weight only splits traffic among backends of one priority, and {names[0]} is alone at "
                f"priority {priority}; leave it at 1 or give another backend the same priority",
            )


def _check_network(s: Settings) -> None:
    ns = f"{PROJECT}:network"
    if s.is_prod and s.network.public_endpoints and not s.network.unsafe_allow_public_access_in_prod:
        _fail(
            f"{ns}.publicEndpoints",
            True,
            "prod keeps OpenAI and Key Vault private; set network.unsafeAllowPublicAccessInProd: true to opt in",
        )
    if not s.network.public_endpoints and not s.network.enabled:
        _fail(f"{ns}.publicEndpoints", False, "private access needs network.enabled: true (private endpoints)")
    if not s.network.enabled:
        return
    space = _cidr(f"{ns}.addressSpace", s.network.address_space)
    subnets: dict[str, ipaddress.IPv4Network] = {}
    for f in dataclasses.fields(SubnetSettings):
        path = f"{ns}.subnets.{camel(f.name)}"
        net = _cidr(path, getattr(s.network.subnets, f.name))
        if not net.subnet_of(space):
            _fail(path, str(net), f"must lie inside network.addressSpace {space}")
        if net.prefixlen > SUBNET_MIN_SIZE[f.name]:
            _fail(path, str(net), f"too small; needs /{SUBNET_MIN_SIZE[f.name]} or larger")
        for other_name, other in subnets.items():
            if net.overlaps(other):
                _fail(path, str(net), f"overlaps network.subnets.{other_name} ({other})")
        subnets[camel(f.name)] = net


def _cidr(path: str, text: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError:
        _fail(path, text, "expected an IPv4 CIDR block such as 10.20.0.0/24 (host bits zero)")
    if not isinstance(net, ipaddress.IPv4Network):
        _fail(path, text, "expected an IPv4 CIDR block")
    return net


def iter_fields(cls: type, prefix: str = "") -> typing.Iterator[tuple[str, str, Any, dataclasses.Field[Any]]]:
    """Yields (key path, type name, default, field) for every documented setting, for the config reference."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{camel(f.name)}"
        hint = hints[f.name]
        yield key, _type_name(hint), _default_of(f), f
        inner = _inner_dataclass(hint)
        if inner is not None:
            child = f"{key}.<name>." if typing.get_origin(hint) is Mapping else f"{key}."
            yield from iter_fields(inner, child)


def _inner_dataclass(hint: Any) -> type | None:
    for candidate in (hint, *typing.get_args(hint)):
        if dataclasses.is_dataclass(candidate):
            return candidate  # type: ignore[return-value]
    return None


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _type_name(next(a for a in typing.get_args(hint) if a is not type(None))) + " (optional)"
    if origin is Mapping:
        return f"map of {_type_name(typing.get_args(hint)[1])}"
    if origin is tuple:
        return f"list of {_type_name(typing.get_args(hint)[0])}"
    if dataclasses.is_dataclass(hint):
        return "object"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}[hint]


def _default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
        return dict(value) if isinstance(value, Mapping) else value
    return _REQUIRED
