"""Rules for API Management: the service, its APIs, products, subscriptions, backends and policy XML."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from ._model import ADVISORY, CRITICAL, HIGH, LOW, MEDIUM, Concern
from ._props import (
    SECRET,
    Redacted,
    dig,
    flag,
    has_managed_identity,
    is_reference,
    items,
    leaf,
    looks_like_credential,
    lower,
    names,
    number,
    strip_references,
    text,
)
from .apim_xml import SECTIONS, PolicyXmlError, inheritance_problem, parse_policy
from .typed_view import API_DIAGNOSTIC, BACKEND, GENERIC, SERVICE, unknown_shape

API = "azure-native:apimanagement:Api"
API_POLICY = "azure-native:apimanagement:ApiPolicy"
PRODUCT = "azure-native:apimanagement:Product"
PRODUCT_API_LINK = "azure-native:apimanagement:ProductApiLink"
PRODUCT_POLICY = "azure-native:apimanagement:ProductPolicy"
NAMED_VALUE = "azure-native:apimanagement:NamedValue"
SUBSCRIPTION = "azure-native:apimanagement:Subscription"
LOGGER = "azure-native:apimanagement:Logger"
DIAGNOSTIC = "azure-native:apimanagement:Diagnostic"
CONCERN = Concern("apim-gateway")

_SECURITY = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security."
LEGACY_PROTOCOL_KEYS = tuple(
    _SECURITY + suffix
    for suffix in (
        "Protocols.Tls10",
        "Protocols.Tls11",
        "Protocols.Ssl30",
        "Backend.Protocols.Tls10",
        "Backend.Protocols.Tls11",
        "Backend.Protocols.Ssl30",
    )
)
TRIPLE_DES_KEY = _SECURITY + "Ciphers.TripleDes168"
LIMIT_POLICIES = frozenset(
    {"rate-limit", "rate-limit-by-key", "quota", "quota-by-key", "llm-token-limit", "azure-openai-token-limit"}
)
_SECRET_HEADERS = frozenset(
    {"api-key", "authorization", "ocp-apim-subscription-key", "x-api-key", "subscription-key", "x-functions-key"}
)
_SECRET_ATTRIBUTES = frozenset({"password", "client-secret", "api-key", "subscription-key"})
_AUTH_SCHEMES = frozenset({"bearer", "basic"})


def _custom_property(props, key):
    found = dig(props, "customProperties") or {}
    for name in found:
        if name.lower() == key.lower():
            return found[name]
    return None


def _disabled_settings(props, keys):
    for key in keys:
        value = _custom_property(props, key)
        if flag(value) is not False:
            yield f"customProperties[{key.removeprefix(_SECURITY)!r}] is {value!r}; set it to 'False'."


@CONCERN.rule(
    "apim-tls-legacy-protocols-disabled",
    summary="API Management disables TLS 1.0, TLS 1.1 and SSL 3.0 on the gateway and towards backends "
    "(customProperties strings parsed).",
    resource_types=(SERVICE,),
    severity=HIGH,
    remediation="Set each of the six ...Security.[Backend.]Protocols.{Tls10,Tls11,Ssl30} custom properties to 'False'.",
    sources=("Checkov CKV_AZURE_173",),
)
def _legacy_protocols_disabled(args, config):
    problems = list(_disabled_settings(args.props, LEGACY_PROTOCOL_KEYS))
    if problems:
        yield (
            "TLS 1.0, TLS 1.1 and SSL 3.0 must be explicitly disabled on the gateway and towards backends: "
            + " ".join(problems)
        )


@CONCERN.rule(
    "apim-triple-des-disabled",
    summary="API Management disables the 3DES (TripleDes168) cipher.",
    resource_types=(SERVICE,),
    severity=MEDIUM,
    remediation=f"Set customProperties['{TRIPLE_DES_KEY}']='False'.",
)
def _triple_des_disabled(args, config):
    yield from _disabled_settings(args.props, (TRIPLE_DES_KEY,))


@CONCERN.rule(
    "apim-managed-identity",
    summary="API Management has a managed identity.",
    resource_types=(SERVICE,),
    severity=HIGH,
    remediation="Set identity.type='SystemAssigned'.",
)
def _service_identity(args, config):
    if not has_managed_identity(dig(args.props, "identity")):
        yield (
            f"identity.type is {dig(args.props, 'identity', 'type')!r}; set it to 'SystemAssigned' so APIM "
            "can read Key Vault named values and authenticate to Azure OpenAI without keys."
        )


@CONCERN.rule(
    "apim-vnet-mode",
    summary="API Management runs in the VNet mode the stack requires (pack config "
    "allowedVirtualNetworkTypes; Internal in prod, advisory in dev).",
    resource_types=(SERVICE,),
    severity=HIGH,
    remediation="Set apim.virtualNetworkType (e.g. Internal) and network.enabled in Pulumi.<stack>.yaml, or "
    "allowedVirtualNetworkTypes in policies/config/<environment>.json.",
    sources=("Checkov CKV_AZURE_107", "Azure Policy ef619a2c-cc4d-4d03-b2ba-8c94a834d85b"),
    stack_enforcement={"dev": ADVISORY},
    config_schema={
        "allowedVirtualNetworkTypes": {
            "type": "array",
            "items": {"type": "string", "enum": ["None", "External", "Internal"]},
            "default": ["Internal"],
        },
    },
)
def _vnet_mode(args, config):
    allowed = [text(mode) for mode in config["allowedVirtualNetworkTypes"]]
    mode = text(dig(args.props, "virtualNetworkType")) or "None"
    if mode.lower() not in {entry.lower() for entry in allowed}:
        yield f"virtualNetworkType is {mode!r}; this stack requires one of: {names(allowed)}."
    if mode.lower() in ("internal", "external") and not text(
        dig(args.props, "virtualNetworkConfiguration", "subnetResourceId")
    ):
        yield f"virtualNetworkType is {mode!r} but virtualNetworkConfiguration.subnetResourceId is not set."


@CONCERN.rule(
    "apim-public-network-access-disabled",
    summary="API Management disables public network access. Advisory everywhere: Azure rejects "
    "publicNetworkAccess 'Disabled' when the service is created, so it can only be set by a "
    "later update.",
    resource_types=(SERVICE,),
    severity=MEDIUM,
    remediation="After the first deployment (with a private endpoint or internal VNet mode in place), "
    "set publicNetworkAccess='Disabled' in a follow-up update.",
    sources=("Checkov CKV_AZURE_174", "Azure Policy df73bd95-24da-4a4f-96b9-4e8b94b402bd"),
    enforcement=ADVISORY,
)
def _public_network_disabled(args, config):
    value = dig(args.props, "publicNetworkAccess")
    if lower(value) != "disabled":
        yield (
            f"publicNetworkAccess is {value!r}. Azure rejects 'Disabled' when the service is created, so "
            "set it in a later update once the private endpoint (or internal VNet mode) is in place."
        )


@CONCERN.rule(
    "apim-min-api-version",
    summary="API Management sets a minimum management API version of 2019-12-01 or later.",
    resource_types=(SERVICE,),
    severity=MEDIUM,
    remediation="Set apiVersionConstraint.minApiVersion='2021-08-01' (or later).",
    sources=("Azure Policy 549814b6-3212-4203-bdc8-1548d342fb67",),
)
def _min_api_version(args, config):
    minimum = text(dig(args.props, "apiVersionConstraint", "minApiVersion"))
    if minimum[:10] < "2019-12-01":
        yield (
            f"apiVersionConstraint.minApiVersion is {minimum or None!r}; set it to '2019-12-01' or later so "
            "management clients cannot use API versions that return secrets in GET responses."
        )


@CONCERN.rule(
    "apim-api-https-only",
    summary="APIs are served over HTTPS only.",
    resource_types=(API,),
    severity=HIGH,
    remediation="Set protocols=['https'].",
    sources=("Azure Policy ee7495e7-3ba7-40b6-bfee-c29e22cc75d4",),
)
def _api_https_only(args, config):
    protocols = [lower(protocol) for protocol in items(dig(args.props, "protocols"))]
    insecure = sorted(set(protocols) - {"https", "wss"})
    if not protocols:
        yield "protocols is not set; set it to ['https']."
    elif insecure:
        yield f"protocols includes {names(insecure)}; serve the API over 'https' only."


_TOKEN_CHECKS = frozenset({"validate-azure-ad-token", "validate-jwt"})
# A <when> that only keyless requests enter: later branches of its <choose> only see valid subscription keys,
# because API Management refuses a wrong key itself (401) even where the API does not require one.
_KEYLESS_CONDITION = re.compile(r"^@\(\s*context\.Subscription\s*==\s*null\s*\)$")

# Where a caller stands on its way through <inbound>: not (yet) admitted by a token, admitted but not yet
# limited, or done (limited, or answered by the gateway itself).
_OPEN, _ADMITTED, _DONE = "open", "admitted", "done"


def _after(policies, states, keyless=False):
    """The states a caller can be in after `policies`, from any of `states`. A <choose> may take each branch (and
    none, without an <otherwise>); which one is decided at run time, except that a `keyless` caller always takes
    a first <when> that tests for no subscription. Linear in the document's size."""
    for element in policies:
        if element.tag == "choose":
            branches = [child for child in element if child.tag in ("when", "otherwise")]
            if keyless and branches and _KEYLESS_CONDITION.match(branches[0].get("condition", "")):
                states = _after(branches[0], states, keyless)
                continue
            reached = set() if any(b.tag == "otherwise" for b in branches) else set(states)
            for branch in branches:
                reached |= _after(branch, states, keyless)
            states = frozenset(reached)
        elif element.tag == "return-response":
            states = frozenset({_DONE})
        elif element.tag in _TOKEN_CHECKS:
            states = frozenset(_ADMITTED if state == _OPEN else state for state in states)
        elif element.tag in LIMIT_POLICIES:
            states = frozenset(_DONE if state == _ADMITTED else state for state in states)
    return states


@CONCERN.rule(
    "apim-api-subscription-required",
    summary="APIs require a subscription key, or their policy validates the token of every caller without one.",
    resource_types=(API, API_POLICY),
    severity=HIGH,
    remediation="Keep subscriptionRequired true (the service default) unless the stack's teams call with Entra "
    "ID tokens: then the API policy validates each keyless caller's token and refuses the rest.",
    stack_rule=True,
)
def _api_callers_identified(resources, config):
    api_policies = [resource for resource in resources if resource.resource_type == API_POLICY]
    for api in resources:
        if api.resource_type != API or dig(api.props, "subscriptionRequired") is not False:
            continue
        sections = [_inbound(policy) for policy in api_policies if _refers_to(policy, api, "apiId")]
        if all(inbound is None or _OPEN in _after(inbound, frozenset({_OPEN}), keyless=True) for inbound in sections):
            yield (
                api.urn,
                "subscriptionRequired is false and the API's policy does not check every keyless caller's token "
                "(validate-azure-ad-token or validate-jwt, or refuse with return-response), so anonymous callers "
                "reach the backends; set it to true or validate tokens in <inbound>.",
            )


@CONCERN.rule(
    "apim-every-caller-limited",
    summary="Every caller path in a policy meets a limit: each branch of a product policy (the team "
    "subscriptions' and the rest), and every caller an API policy admits by its Entra ID token.",
    resource_types=(API_POLICY, PRODUCT_POLICY),
    severity=HIGH,
    remediation="Give each team in the stack file limits of its own or leave them to its product (teams.<t>."
    "tokensPerMinute / rateLimit / tokenQuota, or the product's); the templates then limit every branch.",
)
def _unlimited_callers(args, config):
    root, _ = _policy_document(args.props)
    inbound = root.find("inbound") if root is not None else None
    if inbound is None:
        return
    # Every subscription a product policy sees is admitted already; an API policy admits keyless callers itself.
    if args.resource_type == PRODUCT_POLICY:
        if _ADMITTED in _after(inbound, frozenset({_ADMITTED})):
            yield (
                "a path through <inbound> admits a subscription without any rate, quota or token limit; give "
                "every branch (each team's, and the <otherwise>) a limit."
            )
    elif _ADMITTED in _after(inbound, frozenset({_OPEN})):
        yield (
            "a caller admitted by its token (validate-azure-ad-token or validate-jwt) meets no rate, quota or "
            "token limit afterwards, and no product policy applies to keyless calls; limit that branch."
        )


# Tenants that stand for "any organisation" (or any Microsoft account): a token from any of them would pass.
_OPEN_TENANTS = frozenset({"common", "organizations", "consumers"})
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@CONCERN.rule(
    "apim-entra-validation-pinned",
    summary="Entra ID tokens are validated against one tenant (a GUID), named client applications and an "
    "audience; multi-tenant validate-jwt lists its issuers.",
    resource_types=(API_POLICY, PRODUCT_POLICY),
    severity=HIGH,
    remediation="Set teams.<t>.entra.tenantId (the directory GUID), clientAppIds and audience in the stack file.",
)
def _entra_validation_pinned(args, config):
    root, _ = _policy_document(args.props)
    if root is None:
        return
    for token in root.iter("validate-azure-ad-token"):
        tenant = text(token.get("tenant-id"))
        if tenant.lower() in _OPEN_TENANTS or not (_GUID.match(tenant) or tenant.startswith("{{")):
            yield (
                f"<validate-azure-ad-token> tenant-id is {tenant!r}; pin it to the directory's tenant GUID (or a "
                "named value holding it), never common, organizations, consumers or an expression."
            )
        if not any(text(app.text) for app in token.iterfind("client-application-ids/application-id")):
            yield "<validate-azure-ad-token> lists no client-application-ids; name the apps allowed to call."
        if not any(text(audience.text) for audience in token.iterfind("audiences/audience")):
            yield (
                "<validate-azure-ad-token> lists no audiences, so a token issued for another API of the tenant "
                "passes; add the gateway's audience."
            )
    for jwt in root.iter("validate-jwt"):
        url = lower(jwt.find("openid-config").get("url") if jwt.find("openid-config") is not None else None)
        if any(f"/{tenant}/" in url for tenant in _OPEN_TENANTS) and jwt.find("issuers") is None:
            yield (
                "<validate-jwt> reads a multi-tenant OpenID configuration without <issuers>, so any tenant's "
                "token passes; list the issuer of your tenant."
            )


@CONCERN.rule(
    "apim-named-value-key-vault",
    summary="Named values hold secrets only through Key Vault references, and no plain named value carries a key.",
    resource_types=(NAMED_VALUE,),
    severity=CRITICAL,
    remediation="Set secret=True and keyVault.secretIdentifier to the Key Vault secret URI; never "
    "pass value for a secret. The named value must depend on APIM's role assignment on the vault.",
    sources=("Azure Policy f1cc7827-022c-473e-836e-5a51cae0b249",),
)
def _named_value_in_key_vault(args, config):
    secret = dig(args.props, "secret") is True
    identifier = text(dig(args.props, "keyVault", "secretIdentifier"))
    value = dig(args.props, "value")
    if secret and not identifier:
        yield (
            "the named value is secret but keyVault.secretIdentifier is not set, so the secret lives in APIM; "
            "store it in Key Vault and reference it with keyVault.secretIdentifier."
        )
    if secret and identifier and value not in (None, ""):
        yield "the named value sets both keyVault.secretIdentifier and value; drop value."
    if not secret and value == SECRET:
        yield (
            "the named value is not marked secret but its value comes from a secret, so APIM would show it in "
            "plain text; keep the secret in Key Vault and reference it with keyVault.secretIdentifier."
        )
    elif not secret and looks_like_credential(value):
        yield (
            "the named value is not secret but its value looks like a key or token; move it to Key Vault "
            "and set secret=True with keyVault.secretIdentifier."
        )


def _backend_type(props):
    return lower(dig(props, "type")) or "single"


@CONCERN.rule(
    "apim-backend-tls-validation",
    summary="Backends validate the TLS certificate chain and name.",
    resource_types=(BACKEND,),
    severity=HIGH,
    remediation="Remove tls.validateCertificateChain/validateCertificateName=False (or set them True).",
    sources=("Azure Policy 92bb331d-ac71-416a-8c91-02f2cb734ce4",),
)
def _backend_tls_validated(args, config):
    if _backend_type(args.props) == "pool":
        return
    for setting in ("validateCertificateChain", "validateCertificateName"):
        if dig(args.props, "tls", setting) is False:
            yield f"tls.{setting} is false; keep it true so APIM validates the backend's certificate."


@CONCERN.rule(
    "apim-backend-https",
    summary="Single backends call an https:// URL.",
    resource_types=(BACKEND,),
    severity=HIGH,
    remediation="Use the account's https://<subdomain>.openai.azure.com/openai endpoint as url.",
    sources=("Checkov CKV_AZURE_215",),
)
def _backend_https(args, config):
    if _backend_type(args.props) == "pool":
        return
    url = text(dig(args.props, "url"))
    if not url.lower().startswith("https://"):
        yield f"url is {url or None!r}; point the backend at an https:// endpoint."


@CONCERN.rule(
    "apim-backend-pool-shape",
    summary="Pool backends list their members and set neither url nor protocol.",
    resource_types=(BACKEND,),
    severity=MEDIUM,
    remediation="For type='Pool' pass only pool.services (id, priority, weight); drop url and protocol.",
)
def _backend_pool_shape(args, config):
    if _backend_type(args.props) != "pool":
        return
    for setting in ("url", "protocol"):
        if dig(args.props, setting) not in (None, ""):
            yield f"a Pool backend must not set {setting}; remove it (each member backend carries its own)."
    services = items(dig(args.props, "pool", "services"))
    if not services:
        yield "pool.services is empty; list the member backends by id."
    for index, member in enumerate(services):
        if not text(dig(member, "id")):
            yield f"pool.services[{index}].id is not set."


@CONCERN.rule(
    "apim-backend-circuit-breaker",
    summary="Single backends carry a circuit breaker that honours Retry-After.",
    resource_types=(BACKEND,),
    severity=MEDIUM,
    remediation="Add circuitBreaker.rules with a failureCondition on 429/5xx and acceptRetryAfter=True.",
)
def _backend_circuit_breaker(args, config):
    if _backend_type(args.props) == "pool":
        return
    rules = items(dig(args.props, "circuitBreaker", "rules"))
    if not rules:
        yield "circuitBreaker.rules is empty; add a rule that trips on 429/5xx so the pool fails over."
    elif not any(dig(rule, "acceptRetryAfter") is True for rule in rules):
        yield "no circuitBreaker rule sets acceptRetryAfter=true; honour the backend's Retry-After."


@CONCERN.rule(
    "apim-subscription-not-all-apis",
    summary="Subscriptions are scoped to a product or one API, never to all APIs.",
    resource_types=(SUBSCRIPTION,),
    severity=HIGH,
    remediation="Set scope='/products/<productId>'.",
    sources=("Azure Policy 3aa03346-d8c5-4994-a5bc-7652c2a2aef1",),
)
def _subscription_scope(args, config):
    scope = text(dig(args.props, "scope")).rstrip("/")
    if scope.lower().endswith("/apis") or scope in ("", "/"):
        yield (
            f"scope is {dig(args.props, 'scope')!r}, which grants the key every API; scope it to a "
            "product ('/products/<id>') or a single API ('/apis/<id>')."
        )


@CONCERN.rule(
    "apim-subscription-tracing-disabled",
    summary="Subscriptions do not allow request tracing.",
    resource_types=(SUBSCRIPTION,),
    severity=MEDIUM,
    remediation="Remove allowTracing or set it to False.",
)
def _subscription_tracing(args, config):
    if dig(args.props, "allowTracing") is True:
        yield "allowTracing is true; tracing exposes request and backend details. Set it to false."


@CONCERN.rule(
    "apim-product-subscription-required",
    summary="Products require a subscription (no open products).",
    resource_types=(PRODUCT,),
    severity=HIGH,
    remediation="Set subscriptionRequired=True.",
)
def _product_subscription_required(args, config):
    if dig(args.props, "subscriptionRequired") is False:
        yield "subscriptionRequired is false (an open product); set it to true so every call carries a key."


def _policy_document(props):
    """(root element or None, problem or None) for an ApiPolicy/ProductPolicy; raises Redacted."""
    document = dig(props, "value")
    policy_format = lower(dig(props, "format")) or "xml"
    if policy_format.endswith("-link"):
        return None, (
            f"format is {policy_format!r}, so the policy is fetched from a URL at deploy time and cannot be "
            "reviewed; render it inline with format 'rawxml'."
        )
    if document == SECRET:
        raise Redacted("value")
    return _parsed(text(document))


@functools.lru_cache(maxsize=512)
def _parsed(document: str):
    # Several resource and stack rules read each policy document in one evaluation: parse it once. They only read
    # the tree, so sharing one is safe.
    try:
        return parse_policy(document), None
    except PolicyXmlError as error:
        return None, str(error)


@CONCERN.rule(
    "apim-policy-keeps-base",
    summary="Every API and product policy keeps <base /> in each section; a <backend> that forwards "
    "the request itself keeps no <base /> (never both).",
    resource_types=(API_POLICY, PRODUCT_POLICY),
    severity=HIGH,
    remediation="Start inbound/outbound/on-error with <base />; in <backend> use either <base /> or your "
    "own forward-request (e.g. inside retry), not both.",
    sources=("Azure Policy d5448c98-e503-4fdd-bcd2-784960c00d04",),
)
def _keeps_base(args, config):
    root, problem = _policy_document(args.props)
    if problem:
        yield problem
    if root is None:
        return
    for section in SECTIONS:
        element = root.find(section)
        if element is None:
            yield f"the <{section}> section is missing; add it containing <base />."
            continue
        problem = inheritance_problem(
            section, has_base=element.find("base") is not None, forwards=element.find(".//forward-request") is not None
        )
        if problem:
            yield problem[1] + "."


def _literal_key_findings(root):
    checked = set()
    for element in root.iter():
        tag = element.tag
        if tag in ("set-header", "set-query-parameter") and lower(element.get("name")) in _SECRET_HEADERS:
            for value in element.findall("value"):
                checked.add(id(value))
                if _is_literal_secret(text(value.text), allow_scheme=True):
                    yield f'<{tag} name="{element.get("name")}"> sets a literal value'
        for attribute, value in sorted(element.attrib.items()):
            if attribute.lower() in _SECRET_ATTRIBUTES and _is_literal_secret(text(value), allow_scheme=False):
                yield f"<{tag}> attribute {attribute!r} holds a literal value"
            elif looks_like_credential(value):
                yield f"<{tag}> attribute {attribute!r} holds something that looks like a key"
        if id(element) not in checked and looks_like_credential(element.text):
            yield f"<{tag}> contains text that looks like a key"


def _is_literal_secret(value, allow_scheme):
    if not value or value.startswith("@"):
        return looks_like_credential(value)
    literal = strip_references(value).strip().lower()
    if not literal:
        return False
    return not (allow_scheme and literal in _AUTH_SCHEMES)


@CONCERN.rule(
    "apim-policy-no-literal-keys",
    summary="No key, token or password is written literally in API or product policy XML.",
    resource_types=(API_POLICY, PRODUCT_POLICY),
    severity=CRITICAL,
    remediation="Move the value to Key Vault, expose it as a secret named value and reference it as "
    "{{name}}; prefer authentication-managed-identity for Azure OpenAI.",
)
def _no_literal_keys(args, config):
    if dig(args.props, "value") == SECRET:
        yield (
            "the policy document is marked secret in the plan; a policy should hold no secret. Reference "
            "secrets as {{named-value}} backed by Key Vault and keep the XML itself plain."
        )
        return
    root, _ = _policy_document(args.props)
    if root is None:
        return
    for finding in dict.fromkeys(_literal_key_findings(root)):
        yield f"{finding}; reference a Key Vault-backed named value ({{{{name}}}}) instead."


def _inbound(resource):
    """The <inbound> section of an API or product policy, as the stack rules read it: None when the policy has
    none, cannot be parsed or is redacted (the resource rules report those)."""
    try:
        root, _ = _policy_document(resource.props)
    except Redacted:
        return None
    return root.find("inbound") if root is not None else None


def _limits(inbound):
    return inbound is not None and any(element.tag in LIMIT_POLICIES for element in inbound.iter())


def _refers_to(resource, target, key):
    """True when `resource` points at `target` through a dependency or the same `key` identifier.
    Dependencies come first: under preview the identifiers are often still unknown."""
    if target in resource.dependencies:
        return True
    wanted = leaf(dig(target.props, key))
    return bool(wanted) and leaf(dig(resource.props, key)) == wanted


@CONCERN.rule(
    "apim-api-rate-limited",
    summary="Every API is covered by a rate, quota or token limit in its own policy or in the policy "
    "of a product it belongs to.",
    resource_types=(API, API_POLICY, PRODUCT, PRODUCT_API_LINK, PRODUCT_POLICY),
    severity=HIGH,
    remediation="Add llm-token-limit / rate-limit-by-key to the product policy (or the API policy) "
    "template, and link the API to that product.",
    stack_rule=True,
)
def _apis_rate_limited(resources, config):
    by_type: dict[str, list] = {}
    for resource in resources:
        by_type.setdefault(resource.resource_type, []).append(resource)
    api_policies = [p for p in by_type.get(API_POLICY, []) if _limits(_inbound(p))]
    product_policies = [p for p in by_type.get(PRODUCT_POLICY, []) if _limits(_inbound(p))]
    limited_products = [
        product
        for product in by_type.get(PRODUCT, [])
        if any(product in policy.dependencies for policy in product_policies)
    ]
    limited_ids = {leaf(dig(policy.props, "productId")) for policy in product_policies} - {""}
    for api in by_type.get(API, []):
        if any(_refers_to(policy, api, "apiId") for policy in api_policies):
            continue
        api_links = [link for link in by_type.get(PRODUCT_API_LINK, []) if _refers_to(link, api, "apiId")]
        if any(product in link.dependencies for link in api_links for product in limited_products):
            continue
        if any(leaf(dig(link.props, "productId")) in limited_ids for link in api_links):
            continue
        yield (
            api.urn,
            "neither the API's policy nor a policy of a product it belongs to applies rate-limit(-by-key), "
            "quota(-by-key) or llm-token-limit in <inbound>; add a limit so one caller cannot exhaust the "
            "backends' tokens.",
        )


@CONCERN.rule(
    "apim-diagnostic-payload-limited",
    summary="APIM diagnostics log at most maxBodyBytes of request/response bodies (pack config; 0 by default).",
    resource_types=(API_DIAGNOSTIC, DIAGNOSTIC),
    severity=MEDIUM,
    remediation="Set monitoring.logBodyBytes in Pulumi.<stack>.yaml to 0 (or within maxBodyBytes of "
    "policies/config/<environment>.json).",
    config_schema={
        "maxBodyBytes": {"type": "integer", "minimum": 0, "maximum": 8192, "default": 0},
    },
)
def _payload_logging_limited(args, config):
    limit = config["maxBodyBytes"]
    for side in ("frontend", "backend"):
        for message in ("request", "response"):
            size = number(dig(args.props, side, message, "body", "bytes"))
            if size is not None and size > limit:
                yield (
                    f"{side}.{message}.body.bytes is {size:g}; prompts and completions may hold personal data, "
                    f"so log at most {limit:g} bytes of bodies in this stack."
                )


@CONCERN.rule(
    "apim-llm-messages-limited",
    summary="LLM logs keep prompts and completions only up to maxLlmMessageBytes (pack config; 0 by default, "
    "so prod logs model and token usage only).",
    resource_types=(API_DIAGNOSTIC,),
    severity=MEDIUM,
    remediation="Set monitoring.llmMessageBytes in the stack file to 0 (or within maxLlmMessageBytes of "
    "this rule in policies/config/).",
    config_schema={
        "maxLlmMessageBytes": {"type": "integer", "minimum": 0, "maximum": 2097152, "default": 0},
    },
)
def _llm_messages_limited(args, config):
    limit = config["maxLlmMessageBytes"]
    for side in ("requests", "responses"):
        size = number(dig(args.props, "largeLanguageModel", side, "maxSizeInBytes"))
        if size is not None and size > limit:
            yield (
                f"largeLanguageModel.{side}.maxSizeInBytes is {size:g}: prompts and completions (personal data, "
                f"secrets pasted into chats) would be kept in Log Analytics; this stack allows {limit:g} bytes."
            )


@CONCERN.rule(
    "generic-resource-shape-known",
    summary="Generic ARM resources of the providers the pack checks (API Management) use an API version whose "
    "shape the pack knows, so its rules see them as the typed resources they are.",
    resource_types=(GENERIC,),
    severity=HIGH,
    remediation="Use an API version listed in policies/rules/typed_view.py, or add the new version there "
    "after checking its shape against the REST spec.",
)
def _generic_shape_known(args, config):
    problem = unknown_shape(args.resource_type, args.props)
    if problem:
        yield (
            f"{problem}: the pack's rules for this resource type cannot read it, so nothing is checked; declare it "
            "at a known API version or teach policies/rules/typed_view.py the new shape."
        )


@CONCERN.rule(
    "apim-logger-credentials-by-reference",
    summary="APIM logger credentials are named-value references, not literals.",
    resource_types=(LOGGER,),
    severity=LOW,
    remediation="Create a named value for the instrumentation key or connection string and pass "
    "credentials={'instrumentationKey': '{{name}}'} (or use an azureMonitor logger).",
)
def _logger_credentials(args, config):
    credentials = dig(args.props, "credentials") or {}
    if credentials == SECRET or (isinstance(credentials, Mapping) and SECRET in credentials.values()):
        raise Redacted("credentials")
    if not isinstance(credentials, Mapping):
        return
    for key in sorted(credentials):
        # identityClientId names the identity the logger signs in as ("SystemAssigned"): not a secret.
        if key != "identityClientId" and not is_reference(credentials[key]):
            yield (
                f"credentials[{key!r}] is a literal; store it as a named value and pass '{{{{name}}}}' so the "
                "value is managed (and rotated) in one place."
            )
