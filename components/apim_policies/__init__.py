"""APIM policy documents: a template per scope, the renderer that fills it, the linter."""

from components.apim_policies.lint import (
    RULES,
    LintIssue,
    PolicyLintError,
    Scope,
    check_policy,
    lint_policy,
)
from components.apim_policies.render import PolicyRenderError, render_policy

__all__ = [
    "RULES",
    "LintIssue",
    "PolicyLintError",
    "PolicyRenderError",
    "Scope",
    "check_policy",
    "lint_policy",
    "render_policy",
]
