"""What a rule is (metadata, per-stack enforcement, checks) and how it becomes a pulumi-policy Policy."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict, TypeVar, Unpack, cast

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import Redacted
from .typed_view import typed_props, typed_type

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
LOW, MEDIUM, HIGH, CRITICAL = Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL

Config = Mapping[str, Any]
# A resource check reads one resource and yields one message per problem it finds.
ResourceCheck = Callable[[ResourceValidationArgs, Config], Iterable[str]]
# A stack check reads every resource and yields (urn or None for the stack, message).
StackCheck = Callable[[Sequence[PolicyResource], Config], Iterable[tuple[str | None, str]]]
AnyCheck = TypeVar("AnyCheck", bound=Callable[..., Iterable[Any]])


@dataclass(frozen=True)
class Rule:
    """One guardrail. `enforcement` is the pack default (what prod gets); `stack_enforcement`
    lists the environments that differ, and policies/config/<environment>.json must say the same."""

    name: str
    summary: str
    resource_types: tuple[str, ...]
    severity: Severity
    remediation: str
    check: ResourceCheck | StackCheck
    concern: str
    sources: tuple[str, ...] = ()
    stack_rule: bool = False
    enforcement: EnforcementLevel = MANDATORY
    stack_enforcement: Mapping[str, EnforcementLevel] = field(default_factory=dict)
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def description(self) -> str:
        if not self.sources:
            return self.summary
        return f"{self.summary} Same check as: {'; '.join(self.sources)}."

    def enforcement_for(self, stack: str) -> EnforcementLevel:
        return self.stack_enforcement.get(stack, self.enforcement)

    def config_defaults(self) -> dict[str, Any]:
        return {
            key: copy.deepcopy(schema["default"]) for key, schema in self.config_schema.items() if "default" in schema
        }

    def completed(self, config: Config) -> Config:
        """The properties a check reads: `config` with the schema default of every key it does not set, so the
        schema is the only place a default is written, whatever the engine passes."""
        return {**self.config_defaults(), **config}

    def to_policy(self) -> Policy:
        common: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement,
            "config_schema": PolicyConfigSchema(
                properties={key: dict(value) for key, value in self.config_schema.items()}
            )
            if self.config_schema
            else None,
            "severity": self.severity,
            "tags": [self.concern],
            "remediation_steps": self.remediation,
        }
        if self.stack_rule:
            return StackValidationPolicy(validate=_stack_validation(self), **common)
        return ResourceValidationPolicy(validate=_resource_validation(self), **common)


class RuleFields(TypedDict, total=False):
    """What Concern.rule takes besides the name: Rule's fields other than name, check and concern."""

    summary: Required[str]
    resource_types: Required[tuple[str, ...]]
    severity: Required[Severity]
    remediation: Required[str]
    sources: tuple[str, ...]
    stack_rule: bool
    enforcement: EnforcementLevel
    stack_enforcement: Mapping[str, EnforcementLevel]
    config_schema: Mapping[str, Mapping[str, Any]]


class Concern:
    """The rules of one concern (a rule module), in the order their checks are declared. Decorating a check
    with `@CONCERN.rule("name", ...)` makes it a rule of the concern; the function itself stays as written."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rules: list[Rule] = []

    def rule(self, name: str, **fields: Unpack[RuleFields]) -> Callable[[AnyCheck], AnyCheck]:
        def register(check: AnyCheck) -> AnyCheck:
            self.rules.append(Rule(name=name, check=check, concern=self.name, **fields))
            return check

        return register


def _resource_validation(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    types = frozenset(rule.resource_types)
    check = cast(ResourceCheck, rule.check)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource_type = typed_type(args.resource_type, args.props)
        if resource_type not in types:
            return
        if resource_type != args.resource_type:
            args = copy.copy(args)
            args.props, args.resource_type = typed_props(args.resource_type, args.props), resource_type
        try:
            messages = list(check(args, rule.completed(args.get_config())))
        except Redacted as hidden:
            # The offline plan replaces secrets by "[secret]"; the engine sees the plaintext.
            args.not_applicable(str(hidden))
            return
        for message in messages:
            report_violation(message, None)

    return validate


def _stack_validation(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    check = cast(StackCheck, rule.check)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in check(_typed_resources(args.resources), rule.completed(args.get_config())):
            report_violation(message, urn)

    return validate


def _typed_resources(resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The stack's resources with generic ones seen as their typed equivalents (typed_view.py); parents and
    dependencies point at the views, so rules can compare resources by identity."""
    views = {}
    for resource in resources:
        view = copy.copy(resource)
        view.resource_type = typed_type(resource.resource_type, resource.props)
        view.props = typed_props(resource.resource_type, resource.props)
        views[id(resource)] = view
    for view in views.values():
        view.dependencies = [views.get(id(dep), dep) for dep in view.dependencies]
        view.parent = views.get(id(view.parent), view.parent) if view.parent is not None else None
    return list(views.values())
