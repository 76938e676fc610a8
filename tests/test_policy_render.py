"""Tests of rendering the API and product policy templates: context, callers, routing, errors, output."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from components.apim.callers import CONTENT_SAFETY_BACKEND
from components.apim.policies import (
    CLIENT_HEADERS,
    SUBSCRIPTION_KEY_HEADER,
    SUBSCRIPTION_KEY_QUERY,
    render_policy,
)
from components.apim.policies.render import PolicyRenderError
from components.apim.surfaces import SURFACES
from tests.policy_contexts import (
    BACKENDS,
    CLIENT_APP,
    DEPLOYMENTS,
    MEMBERS,
    NAMED_VALUES,
    POOL,
    TENANT,
    api_context,
    entra_team,
    limits,
    members,
    product_context,
)
from tests.test_config import refused

GOLDEN = Path(__file__).parent / "fixtures" / "policies" / "golden"
STRICT_FILTER = {"shield_prompt": True, "categories": {"Hate": 2, "Violence": 3}}


def _render_api(context: Mapping[str, Any], *, backends: Collection[str] | None = None) -> str:
    known = {*BACKENDS, *context.get("member_backends", ())} if backends is None else backends
    return render_policy("api.xml.j2", scope="api", context=context, named_values=NAMED_VALUES, backends=known)


def _render_product(context: Mapping[str, object]) -> str:
    return render_policy(
        "product.xml.j2", scope="product", context=context, named_values=(), backends={CONTENT_SAFETY_BACKEND}
    )


def _tree(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode("utf-8"))


def _one_line_error(raised: pytest.ExceptionInfo[PolicyRenderError]) -> str:
    message = str(raised.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- missing or unusable context -------------------------------------------------------------


def test_missing_variable_is_one_line_naming_template_and_variable() -> None:
    context = api_context()
    del context["pool_id"]
    with pytest.raises(PolicyRenderError) as raised:
        _render_api(context)
    message = _one_line_error(raised)
    # The template's own line, read from the traceback Jinja rewrote.
    assert re.fullmatch(r"api\.xml\.j2:[1-9][0-9]*: undefined variable 'pool_id'", message), message
    assert raised.value.template == "api.xml.j2"


def test_missing_key_in_a_context_value_names_the_key() -> None:
    with pytest.raises(PolicyRenderError) as raised:
        _render_product(product_context(limits={"rate_limit": {"calls": 10, "policy": "rate-limit-by-key"}}))
    message = _one_line_error(raised)
    assert message.startswith("product.xml.j2:")
    assert message.endswith("undefined key 'renewal_period' in a context value")


def test_unknown_template_is_one_line() -> None:
    with pytest.raises(PolicyRenderError) as raised:
        render_policy("global.xml.j2", scope="global", context={}, named_values=(), backends=())
    assert _one_line_error(raised).startswith("global.xml.j2: no such template")


def test_the_api_templates_choices_are_closed_before_it_renders() -> None:
    """The template branches on auth_mode and surface and indexes member_backends without checking them: the
    settings refuse another auth mode (and a pool without a backend: test_config), the gateway renders its surfaces."""
    assert refused(authMode="key").endswith("not allowed; expected one of managedIdentity, apiKey")
    assert [surface.name for surface in SURFACES] == ["deployments", "v1"]


# --- authentication to Azure OpenAI -------------------------------------------------------------


def test_managed_identity_mode_authenticates_as_the_gateway() -> None:
    inbound = _tree(_render_api(api_context())).find("inbound")
    identity = inbound.find("authentication-managed-identity")
    assert identity.get("resource") == "https://cognitiveservices.azure.com"
    token_variable = identity.get("output-token-variable-name")
    assert token_variable
    authorization = inbound.find("set-header[@name='Authorization']")
    assert authorization.get("exists-action") == "override"
    assert authorization.findtext("value") == f'@("Bearer " + (string)context.Variables["{token_variable}"])'


@pytest.mark.parametrize("auth_mode", ["managedIdentity", "apiKey"])
@pytest.mark.parametrize("surface", ["deployments", "v1"])
def test_the_callers_subscription_key_never_reaches_azure_openai(auth_mode: str, surface: str) -> None:
    inbound = _tree(_render_api(api_context(auth_mode=auth_mode, surface=surface))).find("inbound")
    header = inbound.find(f"set-header[@name='{SUBSCRIPTION_KEY_HEADER}']")
    assert header.get("exists-action") == "delete" and header.find("value") is None
    query = inbound.find(f"set-query-parameter[@name='{SUBSCRIPTION_KEY_QUERY}']")
    assert query.get("exists-action") == "delete"


def test_api_key_mode_leaves_keys_to_the_backends_never_a_literal() -> None:
    rendered = _render_api(api_context(auth_mode="apiKey"))
    inbound = _tree(rendered).find("inbound")
    assert inbound.find("authentication-managed-identity") is None
    # A caller's Entra ID token must not reach Azure OpenAI either.
    assert inbound.find("set-header[@name='Authorization']").get("exists-action") == "delete"
    assert "{{" not in rendered


# --- routing, retry and metrics ----------------------------------------------------------------


# The bounds of <retry count> (1..50); the golden files cover the three-backend pool prod runs.
@pytest.mark.parametrize("count", [2, 51], ids=["smallest-pool", "largest-pool"])
def test_pool_retries_each_other_backend_once(count: int) -> None:
    backend = _tree(_render_api(api_context(member_backends=members(count)))).find("backend")
    assert backend.find("base") is None
    retry = backend.find("retry")
    assert retry.get("count") == str(count - 1)
    assert retry.get("first-fast-retry") == "true"
    assert retry.get("condition") == (
        "@(context.Response != null && (context.Response.StatusCode == 429 || context.Response.StatusCode == 503))"
    )
    forward = retry.find("forward-request")
    assert forward.get("buffer-request-body") == "true"
    assert (forward.get("timeout"), forward.get("buffer-response")) == ("300", "false")


def test_a_single_backend_forwards_itself_unbuffered_with_the_timeout() -> None:
    """Not <base />: the inherited forward-request buffers the response, which would hold streamed tokens back."""
    context = api_context(member_backends=["aoai-a"], timeout_seconds=120)
    backend = _tree(_render_api(context)).find("backend")
    (forward,) = [child for child in backend if isinstance(child.tag, str)]
    assert forward.tag == "forward-request"
    assert (forward.get("timeout"), forward.get("buffer-response")) == ("120", "false")


def test_pool_larger_than_retry_allows_fails_lint() -> None:
    with pytest.raises(PolicyRenderError, match=r'<retry> count="51" must be an integer from 1 to 50'):
        _render_api(api_context(member_backends=members(52)))


def test_routes_to_the_surface_pool() -> None:
    inbound = _tree(_render_api(api_context())).find("inbound")
    assert inbound.find("set-backend-service").get("backend-id") == POOL
    with pytest.raises(PolicyRenderError, match=r"\[unknown-backend\]"):
        _render_api(api_context(pool_id="aoai-pool-2"))


@pytest.mark.parametrize("surface", ["deployments", "v1"])
def test_token_metric_counts_per_deployment_and_team(surface: str) -> None:
    metric = _tree(_render_api(api_context(surface=surface, token_metric_namespace="costs"))).find(
        "inbound/llm-emit-token-metric"
    )
    assert metric.get("namespace") == "costs"
    dimensions = [(d.get("name"), d.get("value")) for d in metric.findall("dimension")]
    assert dimensions == [
        ("API ID", None),
        ("Subscription ID", None),
        ("Product ID", None),
        ("Deployment", '@((string)context.Variables["deployment"])'),
        ("Team", '@((string)context.Variables["team"])'),
    ]
    # APIM accepts at most five custom dimensions on the LLM metric.
    assert len(dimensions) <= 5


def test_the_deployment_comes_from_the_path_or_from_the_body() -> None:
    deployments = _tree(_render_api(api_context(surface="deployments"))).find("inbound")
    assert "MatchedParameters" in deployments.find("set-variable[@name='deployment']").get("value")
    v1 = _tree(_render_api(api_context(surface="v1"))).find("inbound")
    assert 'Value<string>("model")' in v1.find("set-variable[@name='deployment']").get("value")
    # Reading the body must not consume it: Azure OpenAI still needs it.
    assert "preserveContent: true" in v1.find("set-variable[@name='request-body']").get("value")


@pytest.mark.parametrize(
    ("surface", "code", "param"),
    [("deployments", "DeploymentNotFound", None), ("v1", "model_not_found", "model")],
)
def test_a_deployment_no_backend_serves_gets_404_in_openai_shape(surface: str, code: str, param: str | None) -> None:
    inbound = _tree(_render_api(api_context(surface=surface))).find("inbound")
    (guard,) = [
        w for w in inbound.findall("choose/when") if w.find("return-response/set-status[@code='404']") is not None
    ]
    for name in DEPLOYMENTS:
        assert f'"{name}"' in guard.get("condition")
    response = guard.find("return-response")
    assert response.find("set-status").get("code") == "404"
    assert response.find("set-header[@name='Content-Type']").findtext("value") == "application/json"
    body = response.findtext("set-body")
    assert f'"{code}"' in body and (param is None or f'"param", "{param}"' in body)


def test_v1_finds_a_stored_response_in_the_account_that_keeps_it() -> None:
    """A Responses API id lives in one account: reading or continuing it asks each member in priority order."""
    pool = ["aoai-a", "aoai-b", "aoai-c"]
    backend = _tree(_render_api(api_context(surface="v1", member_backends=pool))).find("backend")
    stored, other = backend.find("choose/when"), backend.find("choose/otherwise")
    assert stored.get("condition") == '@((bool)context.Variables["stored-response"])'
    lookup = stored.find("retry")
    assert lookup.get("count") == "2" and "StatusCode == 404" in lookup.get("condition")
    # An unknown previous_response_id is a 400 with this code, not a 404.
    assert "StatusCode == 400 && context.Response.Body.As<string>(preserveContent: true).Contains(" in lookup.get(
        "condition"
    )
    assert '"previous_response_not_found"' in lookup.get("condition")
    assert lookup.find("set-backend-service").get("backend-id") == (
        '@(new[] { "aoai-a", "aoai-b", "aoai-c" }[(int)context.Variables["attempt"]])'
    )
    assert lookup.find("forward-request").get("buffer-response") == "false"
    assert "StatusCode == 429" in other.find("retry").get("condition")
    # The deployment-path API stores nothing, so it has no lookup.
    assert _tree(_render_api(api_context(member_backends=pool))).find("backend/choose") is None


# --- callers: subscription keys and Entra ID tokens ---------------------------------------------


def test_without_entra_teams_only_subscription_keys_identify_callers() -> None:
    xml = _render_api(api_context())
    assert "validate-azure-ad-token" not in xml and "context.Subscription == null" not in xml


def test_an_entra_team_is_validated_then_limited_as_itself() -> None:
    team = entra_team(limits=limits(tokensPerMinute=60_000, rateLimit={"calls": 100, "renewalPeriod": 60}))
    inbound = _tree(_render_api(api_context(entra_teams=[team]))).find("inbound")
    keyless = inbound.find("choose/when")
    assert keyless.get("condition") == "@(context.Subscription == null)"
    (branch,) = keyless.findall("choose/when")
    assert f'"{CLIENT_APP}"' in branch.get("condition")
    token = branch.find("validate-azure-ad-token")
    assert token.get("tenant-id") == TENANT and token.get("header-name") == "Authorization"
    assert token.get("failed-validation-httpcode") == "401"
    assert [a.text for a in token.findall("client-application-ids/application-id")] == [CLIENT_APP]
    assert [a.text for a in token.findall("audiences/audience")] == ["api://aoai-gateway"]
    claim = token.find("required-claims/claim")
    assert (claim.get("name"), [v.text for v in claim.findall("value")]) == ("roles", ["Gateway.Invoke"])
    # Validation comes first; then the team is named and its own counters apply.
    tags = [child.tag for child in branch]
    assert tags.index("validate-azure-ad-token") < tags.index("llm-token-limit")
    assert branch.find("set-variable[@name='team']").get("value") == "support-bot"
    assert branch.find("llm-token-limit").get("counter-key") == "team-support-bot"
    assert branch.find("rate-limit-by-key").get("counter-key") == "team-support-bot"


@pytest.mark.parametrize("teams", [[], [entra_team()]], ids=["keys-only", "with-entra-teams"])
def test_a_key_of_no_product_is_refused(teams: list[dict[str, object]]) -> None:
    """API-scoped and all-access subscriptions skip every product policy, so they would have no limits."""
    inbound = _tree(_render_api(api_context(entra_teams=teams))).find("inbound")
    (refusal,) = [w for w in inbound.findall("choose/when") if "context.Product == null" in w.get("condition")]
    assert refusal.get("condition") == "@(context.Subscription != null && context.Product == null)"
    assert refusal.find("return-response/set-status").get("code") == "403"


def test_client_apps_are_compared_lower_cased() -> None:
    upper = "AAAAAAAA-2222-3333-4444-555555555555"
    inbound = _tree(_render_api(api_context(entra_teams=[entra_team(client_app_ids=[upper.lower()])]))).find("inbound")
    assert ".ToLowerInvariant()" in inbound.find(".//set-variable[@name='caller-app']").get("value")
    # The context lower-cases what the stack file says (components.apim.callers.entra_teams_context).
    assert upper.lower() in inbound.find(".//choose/when/choose/when").get("condition")


def test_a_keyless_call_of_no_known_team_is_refused_with_401() -> None:
    inbound = _tree(_render_api(api_context(entra_teams=[entra_team("a"), entra_team("b")]))).find("inbound")
    refusal = inbound.find("choose/when/choose/otherwise/return-response")
    assert refusal.find("set-status").get("code") == "401"
    assert '"401"' in refusal.findtext("set-body")


def test_roles_are_only_required_when_the_team_names_some() -> None:
    xml = _render_api(api_context(entra_teams=[entra_team(required_roles=[])]))
    token = _tree(xml).find(".//validate-azure-ad-token")
    assert token is not None and token.find("required-claims") is None


def test_an_entra_teams_content_filter_screens_its_prompts() -> None:
    xml = _render_api(api_context(entra_teams=[entra_team(content_safety=STRICT_FILTER)]))
    safety = _tree(xml).find(".//llm-content-safety")
    assert safety.get("backend-id") == CONTENT_SAFETY_BACKEND and safety.get("shield-prompt") == "true"
    assert safety.find("categories").get("output-type") == "EightSeverityLevels"
    assert {c.get("name"): c.get("threshold") for c in safety.findall("categories/category")} == {
        "Hate": "2",
        "Violence": "3",
    }


def test_answers_name_the_team_they_were_counted_for() -> None:
    outbound = _tree(_render_api(api_context())).find("outbound")
    header = outbound.find(f"choose/when/set-header[@name='{CLIENT_HEADERS['team']}']")
    assert header.findtext("value") == '@((string)context.Variables["team"])'


# --- errors -----------------------------------------------------------------------------------


def test_unavailable_pool_answers_503_with_retry_after() -> None:
    when = _tree(_render_api(api_context())).find("on-error/choose/when")
    assert "context.Response.StatusCode == 503" in when.get("condition")
    response = when.find("return-response")
    assert response.find("set-status").get("code") == "503"
    assert response.find("set-header[@name='Retry-After']").findtext("value").startswith("@(")


def test_a_slow_backend_gets_504_before_the_edge_gives_up() -> None:
    whens = _tree(_render_api(api_context(timeout_seconds=240))).findall("on-error/choose/when")
    (timeout,) = [w for w in whens if "forward-request" in w.get("condition")]
    assert timeout.find("return-response/set-status").get("code") == "504"
    assert "240 seconds" in timeout.findtext("return-response/set-body")


def test_a_blocked_prompt_is_counted_and_answered_like_azure_openais_content_filter() -> None:
    whens = _tree(_render_api(api_context())).findall("on-error/choose/when")
    (blocked,) = [w for w in whens if "llm-content-safety" in w.get("condition")]
    assert "StatusCode == 403" in blocked.get("condition")
    assert blocked.find("emit-metric").get("name") == "Content Safety Blocks"
    assert blocked.find("return-response/set-status").get("code") == "400"
    assert '"code": "content_filter"' in blocked.findtext("return-response/set-body")


def test_every_section_inherits_and_the_backend_forwards_once() -> None:
    root = _tree(_render_api(api_context(member_backends=["aoai-a"])))
    assert [section.tag for section in root] == ["inbound", "backend", "outbound", "on-error"]
    inheriting = [section for section in root if section.tag != "backend"]
    assert len(inheriting) == 3 and all(section[0].tag == "base" for section in inheriting)
    backend = root.find("backend")
    assert backend.find("base") is None and len(backend.findall(".//forward-request")) == 1


# --- product limits ----------------------------------------------------------------------------

RATE = {"calls": 120, "renewalPeriod": 60}
QUOTA = {"tokens": 5_000_000, "period": "Monthly"}


@pytest.mark.parametrize(
    ("values", "rate", "token_attributes"),
    [
        ({}, False, None),
        ({"rateLimit": RATE}, True, None),
        ({"tokensPerMinute": 40_000}, False, {"tokens-per-minute": "40000"}),
        ({"tokenQuota": QUOTA}, False, {"token-quota": "5000000", "token-quota-period": "Monthly"}),
        (
            {"tokensPerMinute": 40_000, "tokenQuota": QUOTA},
            False,
            {"tokens-per-minute": "40000", "token-quota": "5000000", "token-quota-period": "Monthly"},
        ),
        (
            {"rateLimit": RATE, "tokensPerMinute": 40_000, "tokenQuota": QUOTA},
            True,
            {"tokens-per-minute": "40000", "token-quota": "5000000", "token-quota-period": "Monthly"},
        ),
    ],
    ids=["none", "rate-only", "tpm-only", "quota-only", "tpm-and-quota", "all"],
)
def test_product_limit_combinations(
    values: dict[str, object], rate: bool, token_attributes: dict[str, str] | None
) -> None:
    inbound = _tree(_render_product(product_context(limits=limits(**values)))).find("inbound")
    rate_limit = inbound.find("rate-limit-by-key")
    token_limits = inbound.findall("llm-token-limit")
    assert (rate_limit is not None) == rate
    if rate:
        assert rate_limit.get("calls") == "120" and rate_limit.get("renewal-period") == "60"
        assert rate_limit.get("counter-key") == "@(context.Subscription.Id)"
        assert rate_limit.get("remaining-calls-header-name") == CLIENT_HEADERS["remaining_requests"]
    if token_attributes is None:
        assert token_limits == []
        return
    assert len(token_limits) == 1, "rate and quota share one element"
    token_limit = token_limits[0]
    assert token_limit.get("counter-key") == "@(context.Subscription.Id)"
    assert token_limit.get("estimate-prompt-tokens") == "true"
    assert token_limit.get("remaining-tokens-header-name") == (
        CLIENT_HEADERS["remaining_tokens"] if "tokens-per-minute" in token_attributes else None
    )
    assert token_limit.get("remaining-quota-tokens-header-name") == (
        CLIENT_HEADERS["remaining_quota_tokens"] if "token-quota" in token_attributes else None
    )
    assert token_limit.get("tokens-consumed-header-name") == CLIENT_HEADERS["tokens_consumed"]
    for name in ("tokens-per-minute", "token-quota", "token-quota-period"):
        assert token_limit.get(name) == token_attributes.get(name)


def test_request_periods_over_five_minutes_become_a_quota() -> None:
    """rate-limit-by-key renews at most every 300 s; a longer window is a quota-by-key counter (classic tiers)."""
    inbound = _tree(_render_product(product_context(limits=limits(rateLimit={"calls": 1000, "renewalPeriod": 3600}))))
    assert inbound.find("inbound/rate-limit-by-key") is None
    quota = inbound.find("inbound/quota-by-key")
    assert (quota.get("calls"), quota.get("renewal-period")) == ("1000", "3600")
    assert quota.get("counter-key") == "@(context.Subscription.Id)"


def test_every_throttling_policy_sends_retry_after() -> None:
    context = product_context(limits=limits(rateLimit=RATE, tokensPerMinute=40_000, tokenQuota=QUOTA))
    throttling = _tree(_render_product(context)).findall("inbound/*")[1:]
    assert [element.tag for element in throttling] == ["rate-limit-by-key", "llm-token-limit"]
    assert all(element.get("retry-after-header-name") == "Retry-After" for element in throttling)


def test_a_team_subscription_gets_its_own_limits_and_filter_the_rest_the_products() -> None:
    team = {
        "name": "marketing",
        "subscription_id": "team-marketing",
        "limits": limits(tokensPerMinute=5_000),
        "content_safety": STRICT_FILTER,
    }
    context = product_context(limits=limits(tokensPerMinute=40_000), teams=[team])
    choose = _tree(_render_product(context)).find("inbound/choose")
    (when,) = choose.findall("when")
    assert when.get("condition") == '@(context.Subscription.Id == "team-marketing")'
    assert when.find("llm-token-limit").get("tokens-per-minute") == "5000"
    assert when.find("llm-content-safety") is not None
    assert choose.find("otherwise/llm-token-limit").get("tokens-per-minute") == "40000"
    assert choose.find("otherwise/llm-content-safety") is None


def test_product_sections_all_inherit() -> None:
    root = _tree(_render_product(product_context(limits=limits(rateLimit=RATE))))
    assert [section.tag for section in root] == ["inbound", "backend", "outbound", "on-error"]
    assert all(section[0].tag == "base" for section in root)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"rate_limit": {"calls": 0, "renewal_period": 60, "policy": "rate-limit-by-key"}},
            '<rate-limit-by-key> calls="0"',
        ),
        (
            {"rate_limit": {"calls": 10, "renewal_period": 301, "policy": "rate-limit-by-key"}},
            '<rate-limit-by-key> renewal-period="301"',
        ),
        ({"tokens_per_minute": 1000.0}, '<llm-token-limit> tokens-per-minute="1000.0"'),
        ({"token_quota": {"tokens": 10, "period": "Quarterly"}}, "<llm-token-limit> token-quota-period="),
        ({"token_quota": {"tokens": -1, "period": "Daily"}}, '<llm-token-limit> token-quota="-1"'),
    ],
)
def test_limits_apim_would_refuse_never_reach_a_resource(values: dict[str, object], expected: str) -> None:
    """The settings validate limits once; should a bad value reach the template, the linter stops it."""
    bad = {"rate_limit": None, "tokens_per_minute": None, "token_quota": None, **values}
    with pytest.raises(PolicyRenderError) as raised:
        _render_product(product_context(product="silver", limits=bad))
    message = _one_line_error(raised)
    assert message.startswith("product.xml.j2 (rendered):")
    assert expected in message and message.endswith("[attribute-value]")


# --- escaping and determinism ------------------------------------------------------------------


def test_context_values_are_xml_escaped() -> None:
    hostile = "pool\"<&>'x"
    context = api_context(pool_id=hostile, token_metric_namespace="a<b>&c")
    xml = _render_api(context, backends={hostile, *MEMBERS})
    assert hostile not in xml
    assert "&amp;" in xml and "&lt;" in xml
    inbound = _tree(xml).find("inbound")
    assert inbound.find("set-backend-service").get("backend-id") == hostile
    assert inbound.find("llm-emit-token-metric").get("namespace") == "a<b>&c"


def test_output_is_normalised() -> None:
    xml = _render_product(product_context(limits=limits(rateLimit=RATE, tokenQuota=QUOTA)))
    assert xml.endswith("</policies>\n") and not xml.endswith("\n\n")
    assert "\r" not in xml and "\n\n\n" not in xml
    assert all(line == line.rstrip() for line in xml.split("\n"))
    assert xml.startswith("<policies>")


PROD_POOL = ["openai-ptu-swc", "openai-paygo-frc", "openai-paygo-gwc"]
RENDERINGS = {
    "api-managed-identity-pool.xml": lambda: _render_api(api_context(member_backends=PROD_POOL)),
    "api-api-key-pool.xml": lambda: _render_api(api_context(auth_mode="apiKey")),
    "api-v1-entra-teams.xml": lambda: _render_api(
        api_context(
            surface="v1",
            member_backends=PROD_POOL,
            entra_teams=[
                entra_team(),
                entra_team(
                    "research",
                    client_app_ids=["22222222-3333-4444-5555-666666666666"],
                    required_roles=[],
                    content_safety=STRICT_FILTER,
                ),
            ],
        )
    ),
    "product-all-limits.xml": lambda: _render_product(
        product_context(limits=limits(rateLimit=RATE, tokensPerMinute=40_000, tokenQuota=QUOTA))
    ),
    "product-team-overrides.xml": lambda: _render_product(
        product_context(
            limits=limits(rateLimit={"calls": 1000, "renewalPeriod": 3600}, tokensPerMinute=40_000),
            teams=[
                {
                    "name": "marketing",
                    "subscription_id": "team-marketing",
                    "limits": limits(tokensPerMinute=5_000),
                    "content_safety": STRICT_FILTER,
                }
            ],
        )
    ),
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


def test_every_golden_file_is_rendered() -> None:
    on_disk = {path.name for path in GOLDEN.glob("*.xml")}
    assert on_disk and on_disk == set(RENDERINGS)
