"""The stack settings as typed models, one section per concern; the rules that span sections are in rules.py."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from components.apim.limits import RATE_LIMIT_MAX_RENEWAL_SECONDS, REQUEST_QUOTA_MAX_SECONDS, TokenQuotaPeriod
from components.apim.spec import SpecError, load_spec, patch_spec, resolve_operations, validate_for_apim
from components.apim.tiers import ApimSku
from components.settings.base import (
    DISTINCT_ITEMS,
    DISTINCT_NAMES,
    LIST,
    PROJECT,
    PROJECT_DIR,
    ConfigError,
    DeploymentName,
    Email,
    EntryName,
    HostName,
    HttpsUrl,
    Matches,
    Region,
    Section,
)
from components.waf import PROMPT_PRONE_GROUPS

# Any endpoint: each API only points the checked document at its own account (point_at rewrites `servers`), so
# checking with this one checks what every account gets.
SPEC_CHECK_BACKEND_URL = "https://example.openai.azure.com/openai"


def resource_id(provider_path: str, meaning: str) -> Matches:
    """An existing resource's id (/subscriptions/<id>/resourceGroups/<group>/providers/<provider_path>), or empty."""
    return Matches(rf"(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/{provider_path})?", meaning)


# ---------------------------------------------------------------- OpenAI backends

ModelSku = Literal[
    "Standard",
    "GlobalStandard",
    "DataZoneStandard",
    "ProvisionedManaged",
    "GlobalProvisionedManaged",
    "DataZoneProvisionedManaged",
]
UpgradeOption = Literal["OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired", "NoAutoUpgrade"]


class DeploymentSettings(Section):
    model: Annotated[
        str, Matches(r"[a-z0-9][a-z0-9.-]{1,63}", "a model name such as gpt-5.4-mini (lowercase, digits, '.' and '-')")
    ] = Field(description="Model name, e.g. gpt-5.4 or text-embedding-3-small.")
    version: Annotated[str, Matches(r"[0-9A-Za-z.-]{1,32}", "a model version such as 2024-07-18 (in quotes)")] = Field(
        description="Model version, e.g. 2026-03-05."
    )
    sku: ModelSku = Field("Standard", description="Deployment SKU (PTU SKUs end in ProvisionedManaged).")
    capacity: int = Field(
        10, ge=1, le=100_000, description="Units: thousands of tokens per minute, or PTUs for provisioned SKUs."
    )
    version_upgrade_option: UpgradeOption = Field(
        "NoAutoUpgrade", description="When Azure may move the deployment to a newer model version."
    )
    content_filter: Annotated[
        str, Matches(r"[A-Za-z0-9._-]{1,64}", "a content filter policy name such as Microsoft.DefaultV2")
    ] = Field("Microsoft.DefaultV2", description="Content filter (RAI) policy name.")


class OpenAiBackendSettings(Section):
    location: Region = Field(description="Azure region of this OpenAI account.")
    deployments: Annotated[dict[DeploymentName, DeploymentSettings], DISTINCT_NAMES] = Field(
        description="Model deployments keyed by deployment name (the `deployment-id` clients call)."
    )
    priority: int = Field(1, ge=1, le=100, description="Pool priority: 1 is tried first (put PTU backends there).")
    weight: int = Field(1, ge=1, le=1000, description="Share of traffic among backends of the same priority.")


# ---------------------------------------------------------------- API Management

NetworkMode = Literal["None", "External", "Internal"]
DisplayName = Annotated[str, Matches(r".{1,100}", "1 to 100 characters")]


class AdditionalLocationSettings(Section):
    capacity: int = Field(1, ge=1, le=12, description="Scale units in this region.")
    zones: Annotated[tuple[Literal["1", "2", "3"], ...], LIST, DISTINCT_ITEMS] = Field(
        (), description="Availability zones of this region's units (their count must divide capacity); omit for none."
    )
    subnet_resource_id: Annotated[
        str,
        resource_id(
            r"Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+",
            "a subnet resource id (.../virtualNetworks/<vnet>/subnets/<subnet>)",
        ),
    ] = Field(
        "",
        description="An injected service needs a subnet of a VNet in this region (prepared like the APIM subnet: "
        "its NSG rules, /27 or larger).",
    )


class ApimSettings(Section):
    publisher_email: Email = Field(description="Publisher e-mail shown in the developer portal and used for notices.")
    publisher_name: DisplayName = Field(description="Publisher (organisation) name.")
    sku: ApimSku = Field(
        "Developer",
        description="API Management tier. PremiumV2 (VNet injection, created in minutes) for production in one "
        "region; classic Premium where gateway units must run in several regions (additionalLocations).",
    )
    capacity: int = Field(
        1,
        ge=1,
        le=30,
        description="Scale units (Developer: 1; Basic: 1-2; Standard: 1-4; Premium: 1-12; Basic/Standard v2: 1-10; "
        "Premium v2: 1-30).",
    )
    virtual_network_type: NetworkMode = Field(
        "None",
        description="VNet injection: External or Internal (Developer, Premium), Internal (PremiumV2: inbound and "
        "outbound private, through a subnet delegated to Microsoft.Web/hostingEnvironments), or None.",
    )
    zone_redundant: bool = Field(
        False,
        description="Spread a v2 tier's units over availability zones (only at creation; the region needs zones).",
    )
    additional_locations: Annotated[dict[Region, AdditionalLocationSettings], DISTINCT_NAMES] = Field(
        {}, description="Classic Premium only: gateway units in more regions, keyed by region."
    )
    backend_timeout_seconds: int | None = Field(
        None,
        ge=30,
        le=1770,
        description="How long APIM waits for Azure OpenAI's response headers (forward-request timeout); omit for "
        "30 s less than edge.requestTimeoutSeconds. Streamed answers send headers at once.",
    )


# ---------------------------------------------------------------- products and limits


class RateLimitSettings(Section):
    calls: int = Field(ge=1, le=10_000_000, description="Requests allowed per period, per caller.")
    renewal_period: int = Field(
        60,
        ge=1,
        le=REQUEST_QUOTA_MAX_SECONDS,
        description="Period in seconds. Up to 300 it becomes rate-limit-by-key (a sliding window); longer periods "
        "become quota-by-key (a fixed window; classic tiers only), e.g. 1,000 calls per 3,600 s.",
    )

    @property
    def policy(self) -> str:
        """The APIM policy this limit renders as."""
        return "rate-limit-by-key" if self.renewal_period <= RATE_LIMIT_MAX_RENEWAL_SECONDS else "quota-by-key"


class TokenQuotaSettings(Section):
    tokens: int = Field(ge=1, le=10**12, description="Tokens allowed per quota period, per caller.")
    period: TokenQuotaPeriod = Field("Monthly", description="Quota period.")


HarmCategory = Literal["Hate", "SelfHarm", "Sexual", "Violence"]


class ContentSafetySettings(Section):
    """Azure AI Content Safety in front of the model (llm-content-safety): blocked calls get an OpenAI-shaped error."""

    shield_prompt: bool = Field(True, description="Prompt Shields: block jailbreak and injection attempts.")
    categories: Annotated[dict[HarmCategory, Annotated[int, Field(ge=0, le=7)]], DISTINCT_NAMES] = Field(
        {"Hate": 4, "SelfHarm": 4, "Sexual": 4, "Violence": 4},
        description="Harm categories checked, each with the severity (0-7, eight levels) from which a call is blocked.",
    )


class LimitSettings(Section):
    """What a caller may use: requests per period, tokens per minute, a token quota."""

    rate_limit: RateLimitSettings | None = Field(
        None, description="Requests per period per caller (omit for none); see rateLimit.renewalPeriod."
    )
    tokens_per_minute: int | None = Field(
        None, ge=1, le=100_000_000, description="Token-per-minute limit per caller (omit for none)."
    )
    token_quota: TokenQuotaSettings | None = Field(
        None, description="Token quota per period per caller (omit for none)."
    )

    @property
    def limited(self) -> bool:
        return self.rate_limit is not None or self.tokens_per_minute is not None or self.token_quota is not None

    def describe(self) -> str:
        """The limits as people say them: '120 requests per 60s, 50,000 tokens per minute'."""
        parts = []
        if self.rate_limit is not None:
            parts.append(f"{self.rate_limit.calls:,} requests per {self.rate_limit.renewal_period}s")
        if self.tokens_per_minute is not None:
            parts.append(f"{self.tokens_per_minute:,} tokens per minute")
        if self.token_quota is not None:
            parts.append(f"{self.token_quota.tokens:,} tokens {self.token_quota.period.lower()}")
        return ", ".join(parts) or "no limits"


class ProductSettings(LimitSettings):
    display_name: DisplayName = Field(description="Display name in the developer portal.")
    description: Annotated[str, Matches(r".{0,1000}", "at most 1,000 characters")] = Field(
        "", description="What the product is for."
    )
    approval_required: bool = Field(True, description="Whether an administrator approves each subscription.")
    subscriptions_limit: int = Field(1, ge=1, le=1000, description="Subscriptions a user may hold for this product.")
    monthly_budget: float | None = Field(
        None, ge=0.01, le=10**9, description="Spend per month (pricing currency) before the budget alert fires."
    )
    content_safety: ContentSafetySettings | None = Field(
        None, description="Content filtering for every caller of the product (omit for none)."
    )

    @model_validator(mode="after")
    def _has_a_limit(self) -> ProductSettings:
        if not self.limited:
            raise ValueError("every product needs rateLimit, tokensPerMinute or tokenQuota")
        return self


Guid = Annotated[
    str,
    Matches(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "a GUID"),
]


class EntraSettings(Section):
    """Callers that present an Entra ID token instead of a subscription key, checked by validate-azure-ad-token."""

    tenant_id: Guid = Field(description="The Entra tenant (directory) id tokens must come from.")
    audience: Annotated[str, Matches(r"\S{3,200}", "an audience such as api://aoai-gateway or an app id")] = Field(
        description="The audience tokens must be issued for (the gateway's app registration)."
    )
    client_app_ids: Annotated[tuple[Guid, ...], LIST, DISTINCT_ITEMS] = Field(
        description="The team's client applications (appid/azp claim) allowed to call."
    )
    required_roles: Annotated[
        tuple[Annotated[str, Matches(r"[A-Za-z0-9._-]{1,120}", "an app role name")], ...], LIST, DISTINCT_ITEMS
    ] = Field((), description="App roles the token must carry (any of them); omit for none.")


class TeamSettings(LimitSettings):
    """An application team: who to call, what it may use, how it authenticates, what it may spend."""

    contact: Email = Field(description="Who answers for the team's usage (alerts name them).")
    product: EntryName = Field(description="The product whose limits the team gets unless it sets its own.")
    subscription_key: bool = Field(
        True, description="Give the team an APIM subscription of its own (its key is a secret stack output)."
    )
    entra: EntraSettings | None = Field(
        None, description="Let the team call with Entra ID tokens (omit for keys only)."
    )
    monthly_budget: float | None = Field(
        None,
        ge=0.01,
        le=10**9,
        description="The team's monthly spend (pricing currency) before its budget alerts fire.",
    )
    content_safety: ContentSafetySettings | None = Field(
        None, description="Content filtering for this team's calls (omit to follow its product)."
    )

    def effective_limits(self, products: Mapping[str, ProductSettings]) -> LimitSettings:
        """The team's own limits if it sets any, else its product's."""
        return self if self.limited else products[self.product]

    def effective_content_safety(self, products: Mapping[str, ProductSettings]) -> ContentSafetySettings | None:
        """The team's own content filtering if it sets one, else its product's."""
        return self.content_safety if self.content_safety is not None else products[self.product].content_safety


# ---------------------------------------------------------------- network and edge

# By default APIM gives up this much earlier than the edge, so the caller gets APIM's own timeout answer.
APIM_ANSWERS_FIRST_SECONDS = 30

Cidr = Annotated[str, Matches(r"[0-9./]{9,18}", "an IPv4 CIDR block such as 10.20.0.0/24")]


class SubnetSettings(Section):
    app_gateway: Cidr = Field("10.20.0.0/24", description="Application Gateway subnet (at least /26; /24 recommended).")
    apim: Cidr = Field("10.20.1.0/27", description="API Management subnet (at least /27).")
    private_endpoints: Cidr = Field("10.20.2.0/27", description="Private endpoints subnet (at least /28).")


# The smallest prefix each subnet may have (a larger number is a smaller subnet).
SUBNET_MIN_SIZE = {"app_gateway": 26, "apim": 27, "private_endpoints": 28}


class NetworkSettings(Section):
    enabled: bool = Field(False, description="Create the VNet, NSGs, private endpoints and private DNS.")
    address_space: Cidr = Field("10.20.0.0/16", description="VNet address space (CIDR).")
    subnets: SubnetSettings = Field(SubnetSettings(), description="Subnet prefixes inside the address space.")
    public_endpoints: bool = Field(
        True,
        description="Leave the OpenAI accounts and the Key Vault reachable from the internet "
        "(false: private endpoints only).",
    )
    unsafe_allow_public_access_in_prod: bool = Field(
        False, description="Explicit opt-in needed before a prod stack may keep public OpenAI/Key Vault access."
    )


WafMode = Literal["Detection", "Prevention"]
WafRuleSet = Literal["OWASP_3.2", "Microsoft_DefaultRuleSet_2.1", "Microsoft_DefaultRuleSet_2.2"]
IdentityId = Annotated[
    str,
    resource_id(
        r"Microsoft\.ManagedIdentity/userAssignedIdentities/[A-Za-z0-9_-]{3,128}",
        "a user-assigned identity's resource id "
        "(.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>)",
    ),
]
KeyVaultId = Annotated[
    str,
    resource_id(
        r"Microsoft\.KeyVault/vaults/[A-Za-z0-9-]{3,24}",
        "a Key Vault resource id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/"
        "vaults/<vault>",
    ),
]


class EdgeSettings(Section):
    enabled: bool = Field(False, description="Put an Application Gateway WAF_v2 in front of API Management.")
    host_name: HostName = Field(
        "api.example.com", description="Public host name clients call (the certificate must match)."
    )
    certificate_key_vault_id: KeyVaultId = Field(
        "",
        description="Resource id of an existing Key Vault (RBAC) that holds the listener certificate; managed "
        "outside this stack, because the stack's own vault is private and created by the same deployment.",
    )
    certificate_secret_name: Annotated[str, Matches(r"[A-Za-z0-9-]{1,127}", "1-127 letters, digits and '-'")] = Field(
        "gateway-tls", description="Name of the certificate (its secret) in that vault."
    )
    certificate_reader_identity_id: IdentityId = Field(
        "",
        description="Resource id of an existing user-assigned identity that already holds Key Vault Secrets User on "
        "the certificate, for deployers who may not assign roles on that vault; empty: the stack creates the "
        "identity and grants the role.",
    )
    min_capacity: int = Field(0, ge=0, le=125, description="Autoscale lower bound (instances).")
    max_capacity: int = Field(2, ge=2, le=125, description="Autoscale upper bound (instances).")
    waf_mode: WafMode = Field("Prevention", description="WAF mode.")
    rule_set: WafRuleSet = Field("Microsoft_DefaultRuleSet_2.1", description="Managed rule set.")
    request_timeout_seconds: int = Field(
        330,
        ge=60,
        le=1800,
        description="How long a call may take before the edge gives up (backend timeout; the public IP's idle "
        "timeout covers it). APIM's own timeout is shorter (apim.backendTimeoutSeconds), so a slow backend "
        "gets APIM's OpenAI-shaped error rather than the edge's 504. Non-streamed reasoning answers take minutes.",
    )
    prompt_exclusion_groups: Annotated[tuple[str, ...], LIST, DISTINCT_ITEMS] | None = Field(
        None,
        description="Rule groups the WAF skips on the JSON fields that carry prompts (and only there); omit for "
        "the groups of the rule set that misfire on prose and code (SQL injection, XSS, command execution, file "
        "paths, URLs, PHP). Every other rule still inspects those fields.",
    )
    max_request_body_kb: int = Field(
        2000,
        ge=8,
        le=2000,
        description="Largest request body the WAF accepts (KB). 2000, the maximum of DRS and CRS 3.2, fits a chat "
        "request with about 1.4 MB of base64 images; send larger images by URL.",
    )
    inspect_body_kb: int = Field(
        128, ge=8, le=2000, description="How much of each request body the WAF inspects (KB); the rest passes."
    )

    @property
    def exclusion_groups(self) -> tuple[str, ...]:
        """The rule groups the prompt fields are excluded from: the configured ones, or the rule set's defaults."""
        return self.prompt_exclusion_groups or PROMPT_PRONE_GROUPS[self.rule_set]


# ---------------------------------------------------------------- monitoring


class AlertThresholds(Section):
    apim_server_error_percent: float = Field(
        5, ge=0.1, le=100, description="APIM 5xx responses, % of requests over 15 min."
    )
    apim_backend_duration_ms: int = Field(
        20000, ge=100, le=600_000, description="APIM average backend duration (ms) over 15 min."
    )
    apim_capacity_percent: int = Field(80, ge=1, le=100, description="APIM capacity % (classic tiers) over 15 min.")
    openai_throttled_requests: int = Field(
        50, ge=1, le=1_000_000, description="OpenAI 429 responses per account over 5 min."
    )
    openai_tokens_per_hour: int | None = Field(
        None,
        ge=1,
        le=10**12,
        description="OpenAI processed tokens per account per hour; omit to alert at 80% of each account's capacity.",
    )
    unhealthy_hosts: int = Field(1, ge=1, le=100, description="Application Gateway unhealthy backend hosts.")
    waf_blocked_requests: int = Field(100, ge=1, le=1_000_000, description="WAF blocked requests over 5 min.")
    circuit_breaker_trips: int = Field(
        1, ge=1, le=1_000_000, description="Backend-unavailable (circuit open) responses over 5 min."
    )
    gateway_limit_rejections: int = Field(
        100, ge=1, le=1_000_000, description="Token-limit/quota 429s per product over 15 min."
    )


class MonitoringSettings(Section):
    retention_days: int = Field(30, ge=30, le=730, description="Log Analytics retention in days.")
    sampling_percentage: float = Field(
        100, ge=0, le=100, description="Application Insights sampling for the API diagnostic."
    )
    log_body_bytes: int = Field(
        0, ge=0, le=8192, description="Request/response body bytes logged (0 keeps bodies out of logs)."
    )
    llm_message_bytes: int = Field(
        0,
        ge=0,
        le=2_097_152,
        description="Prompt and completion bytes logged per call to ApiManagementGatewayLlmLog (0: usage only, "
        "model and tokens, which chargeback needs). Logged in 32 KB rows; Azure caps each message at 2 MB.",
    )
    alert_emails: Annotated[tuple[Email, ...], LIST, DISTINCT_ITEMS] = Field(
        (), description="E-mail receivers of the action group."
    )
    alert_webhooks: Annotated[dict[DeploymentName, HttpsUrl], DISTINCT_NAMES] = Field(
        {}, description="Webhook receivers keyed by name (https URLs; set them with `pulumi config set --secret`)."
    )
    thresholds: AlertThresholds = Field(AlertThresholds(), description="Alert thresholds.")


class ModelPrice(Section):
    input_per_1k: float = Field(ge=0, le=1000, description="Price of 1,000 prompt tokens.")
    output_per_1k: float = Field(ge=0, le=1000, description="Price of 1,000 completion tokens.")


# ---------------------------------------------------------------- the stack

Environment = Literal["dev", "test", "prod"]
AuthMode = Literal["managedIdentity", "apiKey"]
# Azure refuses tag values longer than 256 characters.
TagValue = Annotated[str, Matches(r".{1,256}", "1 to 256 characters")]
OperationId = Annotated[str, Matches(r"[A-Za-z0-9_.-]+", "an operationId of the spec (letters, digits, '_', '.', '-')")]


class Settings(Section):
    """Every `aoai-gateway:*` key of a stack, validated once; rules.py checks what spans sections."""

    environment: Environment = Field(description="Environment class; prod turns on hardening and mandatory policies.")
    location: Region = Field(description="Primary Azure region (API Management, Key Vault, monitoring).")
    owner: TagValue = Field(description="Owner tag: team or person accountable.")
    cost_center: TagValue = Field(description="costCenter tag for charge-back.")
    openai_backends: Annotated[dict[EntryName, OpenAiBackendSettings], DISTINCT_NAMES] = Field(
        description="Azure OpenAI accounts keyed by name; each is a gateway backend."
    )
    apim: ApimSettings = Field(description="API Management service.")
    teams: Annotated[dict[EntryName, TeamSettings], DISTINCT_NAMES] = Field(
        {}, description="Application teams keyed by name: one entry onboards a team."
    )
    products: Annotated[dict[EntryName, ProductSettings], DISTINCT_NAMES] = Field(
        description="API Management products keyed by name, each with its limits."
    )
    workload: Annotated[
        str, Matches(r"[a-z][a-z0-9]{1,9}", "2-10 lowercase letters or digits, starting with a letter")
    ] = Field("aoaigw", description="Short workload name used in every resource name.")
    name_suffix: Annotated[str, Matches(r"[a-z0-9]{0,6}", "up to 6 lowercase letters or digits")] = Field(
        "", description="Suffix for globally unique names; empty derives a stable one from the stack."
    )
    auth_mode: AuthMode = Field(
        "managedIdentity", description="How APIM authenticates to OpenAI: managedIdentity or apiKey (key in Key Vault)."
    )
    role_propagation_seconds: int = Field(
        120,
        ge=0,
        le=900,
        description="How long whatever needs a freshly granted role (Key Vault named values, the edge's "
        "certificate) waits after the grant; Azure documents up to 10 minutes for role assignments to apply.",
    )
    protect_resources: bool = Field(
        False, description="Protect stateful resources (vault, accounts, APIM) from deletion."
    )
    spec_path: str = Field(
        "specs/azure-openai-inference.json", description="OpenAPI spec of the inference API imported into APIM."
    )
    api_operations: Annotated[tuple[OperationId, ...], LIST, DISTINCT_ITEMS] = Field(
        ("ChatCompletions_Create", "Completions_Create", "Embeddings_Create"),
        description="Operations (operationIds) of the spec to publish.",
    )
    v1_spec_path: str = Field(
        "specs/azure-openai-v1.json",
        description="OpenAPI spec of the v1 API (/openai/v1: Responses, chat completions, embeddings, models).",
    )
    v1_operations: Annotated[tuple[OperationId, ...], LIST, DISTINCT_ITEMS] = Field(
        (
            "createResponse",
            "getResponse",
            "deleteResponse",
            "listInputItems",
            "createChatCompletion",
            "createEmbedding",
            "listModels",
            "retrieveModel",
        ),
        description="Operations (operationIds) of the v1 spec to publish.",
    )
    inference_api_version: Annotated[
        str, Matches(r"\d{4}-\d{2}-\d{2}(-preview)?", "a date such as 2024-10-21 (optionally -preview)")
    ] = Field("2024-10-21", description="api-version clients use (stack output for SDKs).")
    network: NetworkSettings = Field(NetworkSettings(), description="Private networking.")
    edge: EdgeSettings = Field(EdgeSettings(), description="Application Gateway WAF in front of API Management.")
    monitoring: MonitoringSettings = Field(MonitoringSettings(), description="Logs, metrics and alerts.")
    pricing: Annotated[dict[DeploymentName, ModelPrice], DISTINCT_NAMES] = Field(
        {}, description="Price per model name, for cost metrics, docs and budget alerts."
    )
    currency: Annotated[str, Matches(r"[A-Z]{3}", "a three-letter ISO currency code such as USD")] = Field(
        "USD", description="Currency of the pricing table."
    )
    infrastructure_prices: dict[str, Annotated[float, Field(ge=0, le=10**7)]] = Field(
        {},
        description="Monthly USD prices that replace list prices in the plan's cost sheet, by price key "
        "(components/list_prices.py), e.g. apim.PremiumV2: 3220 for your region's meter.",
    )

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def apim_backend_timeout_seconds(self) -> int:
        """APIM's forward-request timeout: set, or short enough that APIM answers before the edge gives up."""
        return self.apim.backend_timeout_seconds or self.edge.request_timeout_seconds - APIM_ANSWERS_FIRST_SECONDS

    def api_specs(self) -> dict[str, tuple[dict[str, Any], str]]:
        """Each surface's spec (deployments, v1) patched down to the operations it publishes and checked, with the
        file it came from."""
        return {
            "deployments": _spec("specPath", self.spec_path, "apiOperations", self.api_operations),
            "v1": _spec("v1SpecPath", self.v1_spec_path, "v1Operations", self.v1_operations),
        }


def _spec(path_key: str, path: str, operations_key: str, operations: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    """The spec patched for APIM with only the operations to publish, and its path; refused in one line when APIM
    could not import what the stack publishes of it (checked here, before any resource is declared)."""
    with _refused_as(path_key):
        spec = load_spec(PROJECT_DIR / path)
    with _refused_as(operations_key):
        resolved = resolve_operations(spec, operations, source=path)
    with _refused_as(path_key):
        patched = patch_spec(spec, backend_url=SPEC_CHECK_BACKEND_URL, keep_operations=resolved, source=path)
        validate_for_apim(patched, path)
    return patched, path


@contextmanager
def _refused_as(key: str) -> Iterator[None]:
    """A spec problem refused in one line under the setting that names the file or the operations."""
    try:
        yield
    except SpecError as exc:
        raise ConfigError(f"{PROJECT}:{key}: {exc}") from None
