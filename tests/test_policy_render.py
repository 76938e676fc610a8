"""Tests of rendering the API and product policy templates: context, errors, escaping, output."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest
from lxml import etree

from components.apim.policies import (
    CLIENT_HEADERS,
    SUBSCRIPTION_KEY_HEADER,
    SUBSCRIPTION_KEY_QUERY,
    PolicyRenderError,
    render_policy,
)

GOLDEN = Path(__file__).parent / "fixtures" / "policies" / "golden"
NAMED_VALUES = {"aoai-key"}
BACKENDS = {"aoai-pool"}


def _api_context(**overrides: object) -> dict[str, object]:
    context: dict[str, object] = {
        "auth_mode": "managed-identity",
        "backend_id": "aoai-pool",
        "backend_count": 2,
        "timeout_seconds": 300,
        "token_metric_namespace": "aoai-gateway",
        "deployment_dimension": True,
        "subscription_key_header": SUBSCRIPTION_KEY_HEADER,
        "subscription_key_query": SUBSCRIPTION_KEY_QUERY,
    }
    context.update(overrides)
    return context


def _api_key_context(**overrides: object) -> dict[str, object]:
    return _api_context(
        **{
            "auth_mode": "api-key",
            **overrides,
        }
    )


def _product_context(**overrides: object) -> dict[str, object]:
    context: dict[str, object] = {
        "product": "gold",
        "rate_limit": None,
        "token_limit": None,
        "token_quota": None,
        "headers": CLIENT_HEADERS,
    }
    context.update(overrides)
    return context


def _render_api(context: Mapping[str, object], *, backends: set[str] = BACKENDS) -> str:
    return render_policy("api.xml.j2", scope="api", context=context, named_values=NAMED_VALUES, backends=backends)


def _render_product(context: Mapping[str, object]) -> str:
    return render_policy("product.xml.j2", scope="product", context=context, named_values=(), backends=())


def _tree(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode("utf-8"))


def _one_line_error(raised: pytest.ExceptionInfo[PolicyRenderError]) -> str:
    message = str(raised.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- missing or unusable context -------------------------------------------------------------


def test_missing_variable_is_one_line_naming_template_and_variable() -> None:
    context = _api_context()
    del context["backend_id"]
    with pytest.raises(PolicyRenderError) as raised:
        _render_api(context)
    message = _one_line_error(raised)
    assert message.startswith("api.xml.j2:")
    assert message.endswith("undefined variable 'backend_id'")
    assert raised.value.template == "api.xml.j2"


def test_missing_key_in_a_context_value_names_the_key() -> None:
    with pytest.raises(PolicyRenderError) as raised:
        _render_product(_product_context(rate_limit={"calls": 10}))
    message = _one_line_error(raised)
    assert message.startswith("product.xml.j2:")
    assert "undefined key 'renewal_period'" in message


def test_unknown_template_is_one_line() -> None:
    with pytest.raises(PolicyRenderError) as raised:
        render_policy("global.xml.j2", scope="global", context={}, named_values=(), backends=())
    assert _one_line_error(raised).startswith("global.xml.j2: no such template")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"auth_mode": "key"}, "auth_mode must be 'managed-identity' or 'api-key', got 'key'"),
        ({"backend_count": 0}, "backend_count must be an integer >= 1, got '0'"),
        ({"backend_count": 2.0}, "backend_count must be an integer >= 1, got '2.0'"),
        ({"backend_count": True}, "backend_count must be an integer >= 1, got 'True'"),
    ],
)
def test_unusable_api_context_is_refused(overrides: dict[str, object], expected: str) -> None:
    with pytest.raises(PolicyRenderError) as raised:
        _render_api(_api_context(**overrides))
    message = _one_line_error(raised)
    assert message.startswith("api.xml.j2:") and message.endswith(expected)


# --- authentication modes ---------------------------------------------------------------------


def test_managed_identity_mode_authenticates_as_the_gateway() -> None:
    inbound = _tree(_render_api(_api_context())).find("inbound")
    identity = inbound.find("authentication-managed-identity")
    assert identity.get("resource") == "https://cognitiveservices.azure.com"
    token_variable = identity.get("output-token-variable-name")
    assert token_variable
    authorization = inbound.find("set-header[@name='Authorization']")
    assert authorization.get("exists-action") == "override"
    assert authorization.findtext("value") == f'@("Bearer " + (string)context.Variables["{token_variable}"])'


@pytest.mark.parametrize("context", [_api_context(), _api_key_context()], ids=["managed-identity", "api-key"])
def test_the_callers_subscription_key_never_reaches_azure_openai(context: dict[str, object]) -> None:
    inbound = _tree(_render_api(context)).find("inbound")
    header = inbound.find(f"set-header[@name='{SUBSCRIPTION_KEY_HEADER}']")
    assert header.get("exists-action") == "delete" and header.find("value") is None
    query = inbound.find(f"set-query-parameter[@name='{SUBSCRIPTION_KEY_QUERY}']")
    assert query.get("exists-action") == "delete"


def test_api_key_mode_leaves_keys_to_the_backends_never_a_literal() -> None:
    rendered = _render_api(_api_key_context())
    inbound = _tree(rendered).find("inbound")
    assert inbound.find("authentication-managed-identity") is None
    assert [h.get("exists-action") for h in inbound.findall("set-header[@name='api-key']")] == ["delete"]
    assert inbound.find("set-header[@name='Authorization']").get("exists-action") == "delete"
    assert "{{" not in rendered


def test_the_two_auth_modes_render_differently() -> None:
    assert _render_api(_api_context()) != _render_api(_api_key_context())


# --- routing, retry and metrics ----------------------------------------------------------------


# The bounds of <retry count> (1..50); the golden files cover the three-backend pool prod runs.
@pytest.mark.parametrize("backend_count", [2, 51], ids=["smallest-pool", "largest-pool"])
def test_pool_retries_each_other_backend_once(backend_count: int) -> None:
    backend = _tree(_render_api(_api_context(backend_count=backend_count))).find("backend")
    assert backend.find("base") is None
    retry = backend.find("retry")
    assert retry.get("count") == str(backend_count - 1)
    assert retry.get("first-fast-retry") == "true"
    assert retry.get("condition") == (
        "@(context.Response != null && (context.Response.StatusCode == 429 || context.Response.StatusCode == 503))"
    )
    forward = retry.find("forward-request")
    assert forward.get("buffer-request-body") == "true"
    assert (forward.get("timeout"), forward.get("buffer-response")) == ("300", "false")


def test_a_single_backend_forwards_itself_unbuffered_with_the_timeout() -> None:
    """Not <base />: the inherited forward-request buffers the response, which would hold streamed tokens back."""
    backend = _tree(_render_api(_api_context(backend_count=1, timeout_seconds=120))).find("backend")
    (forward,) = [child for child in backend if isinstance(child.tag, str)]
    assert forward.tag == "forward-request"
    assert (forward.get("timeout"), forward.get("buffer-response")) == ("120", "false")


def test_pool_larger_than_retry_allows_fails_lint() -> None:
    with pytest.raises(PolicyRenderError, match=r'<retry> count="51" must be an integer from 1 to 50'):
        _render_api(_api_context(backend_count=52))


def test_routes_to_the_declared_backend() -> None:
    inbound = _tree(_render_api(_api_context(backend_id="aoai-pool"))).find("inbound")
    assert inbound.find("set-backend-service").get("backend-id") == "aoai-pool"
    with pytest.raises(PolicyRenderError, match=r"\[unknown-backend\]"):
        _render_api(_api_context(backend_id="aoai-pool-2"))


def test_token_metric_dimensions() -> None:
    metric = _tree(_render_api(_api_context(token_metric_namespace="costs"))).find(
        "inbound/azure-openai-emit-token-metric"
    )
    assert metric.get("namespace") == "costs"
    dimensions = [(d.get("name"), d.get("value")) for d in metric.findall("dimension")]
    assert dimensions == [
        ("API ID", None),
        ("Subscription ID", None),
        ("Product ID", None),
        (
            "Deployment",
            '@(context.Request.MatchedParameters.GetValueOrDefault("deployment-id", ""))',
        ),
    ]
    without = _tree(_render_api(_api_context(deployment_dimension=False)))
    assert without.find("inbound/azure-openai-emit-token-metric/dimension[@name='Deployment']") is None


def test_unavailable_pool_answers_503_with_retry_after() -> None:
    when = _tree(_render_api(_api_context())).find("on-error/choose/when")
    assert "context.Response != null" in when.get("condition")
    response = when.find("return-response")
    assert response.find("set-status").get("code") == "503"
    assert response.find("set-header[@name='Retry-After']").findtext("value").startswith("@(")


def test_every_section_inherits_and_the_backend_forwards_once() -> None:
    root = _tree(_render_api(_api_context(backend_count=1)))
    assert [section.tag for section in root] == ["inbound", "backend", "outbound", "on-error"]
    inheriting = [section for section in root if section.tag != "backend"]
    assert len(inheriting) == 3 and all(section[0].tag == "base" for section in inheriting)
    backend = root.find("backend")
    assert backend.find("base") is None and len(backend.findall(".//forward-request")) == 1


# --- product limits ----------------------------------------------------------------------------

RATE = {"calls": 120, "renewal_period": 60}
TPM = {"tokens_per_minute": 40_000}
QUOTA = {"tokens": 5_000_000, "period": "Monthly"}


@pytest.mark.parametrize(
    ("limits", "rate", "token_attributes"),
    [
        ({}, False, None),
        ({"rate_limit": RATE}, True, None),
        ({"token_limit": TPM}, False, {"tokens-per-minute": "40000"}),
        (
            {"token_quota": QUOTA},
            False,
            {"token-quota": "5000000", "token-quota-period": "Monthly"},
        ),
        (
            {"token_limit": TPM, "token_quota": QUOTA},
            False,
            {
                "tokens-per-minute": "40000",
                "token-quota": "5000000",
                "token-quota-period": "Monthly",
            },
        ),
        (
            {"rate_limit": RATE, "token_limit": TPM, "token_quota": QUOTA},
            True,
            {
                "tokens-per-minute": "40000",
                "token-quota": "5000000",
                "token-quota-period": "Monthly",
            },
        ),
    ],
    ids=["none", "rate-only", "tpm-only", "quota-only", "tpm-and-quota", "all"],
)
def test_product_limit_combinations(
    limits: dict[str, object], rate: bool, token_attributes: dict[str, str] | None
) -> None:
    inbound = _tree(_render_product(_product_context(**limits))).find("inbound")
    rate_limit = inbound.find("rate-limit-by-key")
    token_limits = inbound.findall("azure-openai-token-limit")
    assert (rate_limit is not None) == rate
    if rate:
        assert rate_limit.get("calls") == "120" and rate_limit.get("renewal-period") == "60"
        assert rate_limit.get("counter-key") == "@(context.Subscription.Id)"
        assert rate_limit.get("remaining-calls-header-name")
    if token_attributes is None:
        assert token_limits == []
        return
    assert len(token_limits) == 1, "rate and quota share one element"
    token_limit = token_limits[0]
    assert token_limit.get("counter-key") == "@(context.Subscription.Id)"
    assert token_limit.get("estimate-prompt-tokens") == "true"
    assert token_limit.get("remaining-tokens-header-name") == (
        "x-gateway-remaining-tokens" if "tokens-per-minute" in token_attributes else None
    )
    assert token_limit.get("remaining-quota-tokens-header-name") == (
        "x-gateway-remaining-quota-tokens" if "token-quota" in token_attributes else None
    )
    assert token_limit.get("tokens-consumed-header-name")
    for name in ("tokens-per-minute", "token-quota", "token-quota-period"):
        assert token_limit.get(name) == token_attributes.get(name)


def test_every_throttling_policy_sends_retry_after() -> None:
    xml = _render_product(_product_context(rate_limit=RATE, token_limit=TPM, token_quota=QUOTA))
    throttling = _tree(xml).findall("inbound/*")[1:]
    assert [element.tag for element in throttling] == [
        "rate-limit-by-key",
        "azure-openai-token-limit",
    ]
    assert all(element.get("retry-after-header-name") == "Retry-After" for element in throttling)


def test_product_sections_all_inherit() -> None:
    root = _tree(_render_product(_product_context(rate_limit=RATE)))
    assert [section.tag for section in root] == ["inbound", "backend", "outbound", "on-error"]
    assert all(section[0].tag == "base" for section in root)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"rate_limit": {"calls": 0, "renewal_period": 60}}, '<rate-limit-by-key> calls="0"'),
        ({"rate_limit": {"calls": 10, "renewal_period": 301}}, '<rate-limit-by-key> renewal-period="301"'),
        ({"token_limit": {"tokens_per_minute": 1000.0}}, '<azure-openai-token-limit> tokens-per-minute="1000.0"'),
        ({"token_quota": {"tokens": 10, "period": "Quarterly"}}, "<azure-openai-token-limit> token-quota-period="),
        ({"token_quota": {"tokens": -1, "period": "Daily"}}, '<azure-openai-token-limit> token-quota="-1"'),
    ],
)
def test_limits_apim_would_refuse_never_reach_a_resource(limits: dict[str, object], expected: str) -> None:
    """The settings validate limits once; should a bad value reach the template, the linter stops it."""
    with pytest.raises(PolicyRenderError) as raised:
        _render_product(_product_context(product="silver", **limits))
    message = _one_line_error(raised)
    assert message.startswith("product.xml.j2 (rendered):")
    assert expected in message and message.endswith("[attribute-value]")


# --- escaping and determinism ------------------------------------------------------------------


def test_context_values_are_xml_escaped() -> None:
    hostile = "pool\"<&>'x"
    xml = _render_api(_api_context(backend_id=hostile, token_metric_namespace="a<b>&c"), backends={hostile})
    assert hostile not in xml
    assert "&amp;" in xml and "&lt;" in xml
    inbound = _tree(xml).find("inbound")
    assert inbound.find("set-backend-service").get("backend-id") == hostile
    assert inbound.find("azure-openai-emit-token-metric").get("namespace") == "a<b>&c"


def test_output_is_normalised() -> None:
    xml = _render_product(_product_context(rate_limit=RATE, token_quota=QUOTA))
    assert xml.endswith("</policies>\n") and not xml.endswith("\n\n")
    assert "\r" not in xml and "\n\n\n" not in xml
    assert all(line == line.rstrip() for line in xml.split("\n"))
    assert xml.startswith("<policies>")


RENDERINGS = {
    "api-managed-identity-pool.xml": lambda: _render_api(_api_context(backend_count=3)),
    "api-api-key-pool.xml": lambda: _render_api(_api_key_context()),
    "product-all-limits.xml": lambda: _render_product(
        _product_context(rate_limit=RATE, token_limit=TPM, token_quota=QUOTA)
    ),
    "product-no-limits.xml": lambda: _render_product(_product_context()),
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_is_deterministic_and_matches_golden(name: str) -> None:
    """Golden files are what reviewers read; refresh with UPDATE_GOLDEN=1, then review the diff.
    A golden file was written by an earlier run, so matching it is what shows the rendering is deterministic."""
    rendered = RENDERINGS[name]()
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(rendered, encoding="utf-8", newline="\n")
    assert rendered == golden.read_text(encoding="utf-8")
