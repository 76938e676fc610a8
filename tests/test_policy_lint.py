"""Tests of the APIM policy linter: failing fixtures per rule, clean ones per scope and template."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pytest

from components.apim.policies import render_policy
from components.apim.policies.lint import (
    RULES,
    LintIssue,
    PolicyLintError,
    Scope,
    check_policy,
    lint_policy,
)
from tests.policy_contexts import BACKENDS as RENDER_BACKENDS
from tests.policy_contexts import api_context, entra_team, limits, members, product_context

FILTER = {"shield_prompt": True, "categories": {"Hate": 2}}
LINT_CASES = Path(__file__).parent / "fixtures" / "policies" / "lint"
NAMED_VALUES = {"aoai-key", "tenant.id"}
BACKENDS = {"aoai-pool"}

# First line of every fixture: <!-- lint-case scope=<scope> expect=<rule>@<line>[,...] -->
_HEADER = re.compile(r"<!-- lint-case scope=(?P<scope>[a-z]+) expect=(?P<expect>\S*) -->")


def _case(path: Path) -> tuple[str, Scope, list[tuple[str, int]]]:
    text = path.read_text(encoding="utf-8")
    header = _HEADER.match(text)
    assert header, f"{path.name} must start with a lint-case header"
    expected = []
    for item in filter(None, header["expect"].split(",")):
        rule, line = item.split("@")
        expected.append((rule, int(line)))
    return text, cast(Scope, header["scope"]), expected


CASES = sorted(LINT_CASES.glob("*.xml"))


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_fixture_reports_exactly_the_expected_issues(path: Path) -> None:
    text, scope, expected = _case(path)
    issues = lint_policy(text, source=path.name, scope=scope, named_values=NAMED_VALUES, backends=BACKENDS)
    assert [(issue.rule, issue.line) for issue in issues] == expected, "\n".join(map(str, issues))
    for issue in issues:
        assert str(issue).startswith(f"{path.name}:{issue.line}: ")
        assert str(issue).endswith(f" [{issue.rule}]")


def test_every_rule_has_a_failing_fixture_and_every_scope_a_clean_one() -> None:
    failing: set[str] = set()
    clean_scopes: set[Scope] = set()
    for path in CASES:
        _, scope, expected = _case(path)
        failing.update(rule for rule, _ in expected)
        if not expected:
            clean_scopes.add(scope)
    assert failing == set(RULES)
    assert clean_scopes == {"global", "api", "operation", "product", "fragment"}


def test_issue_string_names_source_line_and_rule() -> None:
    issue = LintIssue(source="apis/openai/policy.xml", line=12, rule="missing-base", message="no <base />")
    assert str(issue) == "apis/openai/policy.xml:12: no <base /> [missing-base]"


def test_policy_lint_error_carries_issues_one_line_each() -> None:
    text, scope, expected = _case(LINT_CASES / "several-issues.xml")
    with pytest.raises(PolicyLintError) as raised:
        check_policy(text, source="several.xml", scope=scope, named_values=(), backends=())
    error = raised.value
    assert isinstance(error, ValueError)
    assert [(issue.rule, issue.line) for issue in error.issues] == expected
    assert str(error).splitlines() == [str(issue) for issue in error.issues]


def test_check_policy_accepts_a_clean_document() -> None:
    text, scope, _ = _case(LINT_CASES / "ok-product.xml")
    check_policy(text, source="ok-product.xml", scope=scope, named_values=NAMED_VALUES, backends=BACKENDS)


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="scope 'tenant' is not one of"):
        lint_policy("<policies />", source="p.xml", scope="tenant", named_values=(), backends=())  # type: ignore[arg-type]


API_CONTEXTS = {
    "managed-identity-pool": api_context(member_backends=members(3)),
    "managed-identity-single": api_context(member_backends=members(1)),
    "api-key-single": api_context(auth_mode="apiKey", member_backends=members(1)),
    "v1-pool-entra-teams": api_context(
        surface="v1", member_backends=members(3), entra_teams=[entra_team(content_safety=FILTER)]
    ),
}
API_BACKENDS = {*RENDER_BACKENDS, *members(3)}


@pytest.mark.parametrize("name", sorted(API_CONTEXTS))
def test_rendered_api_policy_lints_clean(name: str) -> None:
    xml = render_policy(
        "api.xml.j2", scope="api", context=API_CONTEXTS[name], named_values=NAMED_VALUES, backends=API_BACKENDS
    )
    assert lint_policy(xml, source=name, scope="api", named_values=NAMED_VALUES, backends=API_BACKENDS) == []


def test_rendered_product_policy_lints_clean() -> None:
    team = {
        "name": "marketing",
        "subscription_id": "team-marketing",
        "limits": limits(rateLimit={"calls": 5000, "renewalPeriod": 86400}),
        "content_safety": FILTER,
    }
    context = product_context(
        limits=limits(
            rateLimit={"calls": 600, "renewalPeriod": 60},
            tokensPerMinute=50_000,
            tokenQuota={"tokens": 10_000_000, "period": "Monthly"},
        ),
        teams=[team],
    )
    xml = render_policy("product.xml.j2", scope="product", context=context, named_values=(), backends=API_BACKENDS)
    assert lint_policy(xml, source="gold", scope="product", named_values=(), backends=API_BACKENDS) == []


def test_rendered_api_policy_fails_lint_at_global_scope() -> None:
    """The same document is wrong where <base /> has no parent: the linter is scope-aware."""
    xml = render_policy(
        "api.xml.j2",
        scope="api",
        context=API_CONTEXTS["managed-identity-single"],
        named_values=NAMED_VALUES,
        backends=API_BACKENDS,
    )
    rules = {
        issue.rule
        for issue in lint_policy(xml, source="g", scope="global", named_values=NAMED_VALUES, backends=API_BACKENDS)
    }
    assert rules == {"base-not-allowed"}
