"""Offline runner: evaluates the pack on the offline plan's resources the way the pulumi engine would.

What it reproduces from the engine and pulumi-policy's analyzer:
- pack config: schema defaults, then `all`, then per-rule enforcement and properties (the
  `--policy-pack-config` file format), validated against each rule's schema; numbers reach the
  rules as floats, as they do through protobuf. Which file: pack_config_path, the one `make preview`
  hands the CLI (config/stack-<stack>.json, else config/<environment>.json);
- resource props wrapped in the SDK's unknown-checking proxy, so a rule touching an unknown
  value is skipped ("can't run policy during preview") instead of failing;
- resource rules called for every resource, stack rules once with every resource, parents and
  dependencies resolved from the plan's URNs; `not_applicable` recorded, remediate = mandatory.
Unlike the engine, stack rules see inputs (the plan has no outputs), unknown rule names in the
config file are an error (the CLI ignores them silently), and "[secret]" placeholders stand in
for plaintext secrets.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.policy import _NotApplicableError  # raised by args.not_applicable(); no public name
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from components.settings import PROJECT, PROJECT_DIR, ConfigError
from offline.engine import stack_config, stack_file

from .rules.catalogue import RULES, RULES_BY_NAME, build_policies
from .rules.typed_view import typed_type

PACK_NAME = "aoai-gateway"
CONFIG_DIR = Path(__file__).resolve().parent / "config"
# config/stack-<stack>.json: one stack's own pack config, in place of its environment's.
STACK_CONFIG_PREFIX = "stack-"
_LEVELS = {level.value for level in EnforcementLevel}


class PolicyConfigError(ValueError):
    """The pack config file cannot be used; the message names the file, rule and key."""


def stack_environment(stack: str, project_dir: Path = PROJECT_DIR) -> object:
    """What Pulumi.<stack>.yaml sets as `aoai-gateway:environment` (None when nothing), read by the offline
    plan's own reader, unvalidated; a stack without a readable file is refused."""
    try:
        return stack_config(stack, project_dir).get(f"{PROJECT}:environment")
    except ConfigError as error:
        raise PolicyConfigError(str(error)) from None


def pack_config_path(stack: str, environment: str | None = None) -> Path | None:
    """The pack config a stack is checked with, offline and by `make preview`/`make up`: config/stack-<stack>.json
    when it exists, else config/<environment>.json. `environment` defaults to the one the stack file sets;
    None means no environment (no stack file), so the rule defaults apply, as under a CLI given no file."""
    own = CONFIG_DIR / f"{STACK_CONFIG_PREFIX}{stack}.json"
    if own.is_file():
        return own
    if environment is None and stack_file(stack).is_file():
        found = stack_environment(stack)
        environment = found if isinstance(found, str) else None
    if environment is None:
        return None
    path = CONFIG_DIR / f"{environment}.json"
    if not path.is_file():
        raise PolicyConfigError(
            f"{shown_path(path)}: no policy pack config for environment {environment!r} "
            f"(there is one for {', '.join(environments())}; or add {shown_path(own)} for stack {stack!r} alone)"
        )
    return path


def environments() -> list[str]:
    """The environments that have a pack config (config/<environment>.json)."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.json") if not p.stem.startswith(STACK_CONFIG_PREFIX))


def load_config(
    stack: str, config_path: Path | None = None, *, environment: str | None = None
) -> dict[str, dict[str, Any]]:
    """{rule: {"enforcementLevel": str, "properties": {...}}} for every rule, reconciled as the CLI does.
    Without `config_path`, the stack's pack config (pack_config_path) is used; without one, the rule defaults."""
    return _reconciled(_chosen_config(stack, config_path, environment))


def _chosen_config(stack: str, config_path: Path | None, environment: str | None) -> Path | None:
    """The file given, else the stack's own pack config (pack_config_path)."""
    return Path(config_path) if config_path is not None else pack_config_path(stack, environment)


def _reconciled(path: Path | None) -> dict[str, dict[str, Any]]:
    given = _read_config_file(path) if path is not None else {}
    result: dict[str, dict[str, Any]] = {
        rule.name: {"enforcementLevel": rule.enforcement.value, "properties": rule.config_defaults()} for rule in RULES
    }
    everything = given.pop("all", None)
    if everything and everything["enforcementLevel"]:
        for entry in result.values():
            entry["enforcementLevel"] = everything["enforcementLevel"]
    for name, entry in given.items():
        if entry["enforcementLevel"]:
            result[name]["enforcementLevel"] = entry["enforcementLevel"]
        result[name]["properties"].update(entry["properties"])
    problems = [problem for name, entry in result.items() for problem in _schema_problems(name, entry["properties"])]
    if problems:
        raise PolicyConfigError(f"{path}: invalid policy pack config:\n  " + "\n  ".join(problems))
    return result


def _read_config_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyConfigError(f"{path}: the policy pack config file does not exist") from None
    except json.JSONDecodeError as error:
        raise PolicyConfigError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(raw, dict):
        raise PolicyConfigError(f"{path}: expected a JSON object keyed by rule name (or 'all')")
    parsed: dict[str, dict[str, Any]] = {}
    for name, value in raw.items():
        if name != "all" and name not in RULES_BY_NAME:
            raise PolicyConfigError(
                f"{path}: {name!r} is not a rule of the {PACK_NAME} pack; known rules: {', '.join(RULES_BY_NAME)}"
            )
        if isinstance(value, str):
            value = {"enforcementLevel": value}
        if not isinstance(value, dict):
            raise PolicyConfigError(f"{path}: {name}: expected an enforcement level string or an object")
        properties = dict(value)
        level = properties.pop("enforcementLevel", None)
        if level is not None and level not in _LEVELS:
            raise PolicyConfigError(
                f"{path}: {name}: enforcementLevel {level!r} is not one of {', '.join(sorted(_LEVELS))}"
            )
        parsed[name] = {"enforcementLevel": level, "properties": properties}
    return parsed


def _schema_problems(name: str, properties: Mapping[str, Any]) -> list[str]:
    """What the rule's config schema says of `properties`, one line each ("rule: key[0]: problem").
    Like the CLI, properties a rule does not declare are accepted."""
    schema = {"type": "object", "properties": dict(RULES_BY_NAME[name].config_schema)}
    return [
        f"{name}: {_where(error)}: {error.message}"
        for error in sorted(Draft202012Validator(schema).iter_errors(dict(properties)), key=lambda e: list(e.path))
    ]


def _where(error: ValidationError) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path).lstrip(".")


def _as_wire(value: Any) -> Any:
    """What protobuf's Struct does to JSON: every number becomes a float. Returns fresh containers, so no
    rule can change the plan; the analyzer's proxy then gives each rule containers of its own. A JSON round
    trip does both in C."""
    return json.loads(json.dumps(value), parse_int=float)


def _options(resource: Mapping[str, Any]) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.get("parent") or None,
    )


def _name(resource: Mapping[str, Any]) -> str:
    return resource.get("name") or str(resource["urn"]).rsplit("::", 1)[-1]


def _stack_resources(resources: Sequence[Mapping[str, Any]], wire: Mapping[str, Any]) -> list[PolicyResource]:
    by_urn: dict[str, PolicyResource] = {}
    for resource in resources:
        by_urn[resource["urn"]] = PolicyResource(
            resource["type"],
            unknown_checking_proxy(wire[resource["urn"]]),
            resource["urn"],
            _name(resource),
            _options(resource),
            None,
            None,
            [],
            {},
        )
    for resource in resources:
        node = by_urn[resource["urn"]]
        node.parent = by_urn.get(resource.get("parent") or "")
        node.dependencies = [by_urn[urn] for urn in resource.get("dependsOn") or [] if urn in by_urn]
    return list(by_urn.values())


def _check(
    policy: Any, properties: Mapping[str, Any], resources: Sequence[Mapping[str, Any]], wire: Mapping[str, Any]
) -> tuple[list, ...]:
    """Run one policy as the analyzer does; returns (violations, skipped, not applicable).
    `wire` holds each resource's inputs in wire form, by URN."""
    violations: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    not_applicable: list[dict[str, str]] = []

    def attempt(urn: str, *arguments: Any) -> None:
        # Every rule's validate is synchronous (rules/_model.py), so nothing is left to await.
        try:
            policy.validate(*arguments)
        except UnknownValueError as unknown:
            skipped.append(
                {"urn": urn, "message": f"can't run policy '{policy.name}' during preview: {unknown.message}"}
            )
        except _NotApplicableError as reason:
            not_applicable.append({"urn": urn, "reason": reason.reason or "not applicable"})

    if isinstance(policy, ResourceValidationPolicy):
        for resource in resources:
            urn = resource["urn"]

            def report(message: str, _ignored: str | None = None, urn: str = urn) -> None:
                violations.append({"urn": urn, "message": message})

            args = ResourceValidationArgs(
                resource["type"],
                unknown_checking_proxy(wire[urn]),
                urn,
                _name(resource),
                _options(resource),
                None,
                dict(properties),
                {},
            )
            attempt(urn, args, report)
    else:

        def report_stack(message: str, urn: str | None = None) -> None:
            violations.append({"urn": urn or "", "message": message})

        stack_args = StackValidationArgs(_stack_resources(resources, wire), dict(properties), {})
        attempt("", stack_args, report_stack)
    return violations, skipped, not_applicable


def _by_urn(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(entries, key=lambda entry: tuple(entry.values()))


def evaluate(
    resources: list[dict],
    *,
    stack: str,
    environment: str | None = None,
    config_path: Path | None = None,
) -> dict:
    """Evaluate every rule on the plan's resources; the report is deterministic (sorted).
    The config is `config_path`, else the stack's pack config for `environment` (default: the stack file's)."""
    path = _chosen_config(stack, config_path, environment)
    config = _reconciled(path)
    ordered = sorted(resources, key=lambda resource: resource["urn"])
    wire = {resource["urn"]: _as_wire(resource.get("inputs") or {}) for resource in ordered}
    rules_report = []
    for policy in build_policies():
        rule = RULES_BY_NAME[policy.name]
        level = config[rule.name]["enforcementLevel"]
        if level == EnforcementLevel.REMEDIATE.value:
            level = EnforcementLevel.MANDATORY.value
        found: tuple[list, ...] = ([], [], [])
        if level != EnforcementLevel.DISABLED.value:
            # A resource rule returns at once for types it does not cover (rules/_model.py), so only its
            # own types are worth the engine's per-policy deserialisation; stack rules see everything.
            subjects = (
                ordered
                if rule.stack_rule
                else [r for r in ordered if typed_type(r["type"], r.get("inputs") or {}) in rule.resource_types]
            )
            found = _check(policy, _as_wire(config[rule.name]["properties"]), subjects, wire)
        violations, skipped, not_applicable = (_by_urn(entries) for entries in found)
        rules_report.append(
            {
                "name": rule.name,
                "description": rule.description,
                "concern": rule.concern,
                "kind": "stack" if rule.stack_rule else "resource",
                "resourceTypes": list(rule.resource_types),
                "severity": rule.severity.value,
                "enforcementLevel": level,
                "sources": list(rule.sources),
                "remediation": rule.remediation,
                "properties": config[rule.name]["properties"],
                "violations": violations,
                "skipped": skipped,
                "notApplicable": not_applicable,
            }
        )
    return {
        "policyPack": PACK_NAME,
        "stack": stack,
        "config": shown_path(path) if path is not None else None,
        "rules": sorted(rules_report, key=lambda entry: entry["name"]),
        "summary": _summary(rules_report, len(ordered)),
    }


def shown_path(path: Path) -> str:
    """`path` as a person in the project folder types it: relative to the project when inside it."""
    try:
        return Path(path).resolve().relative_to(PROJECT_DIR).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _summary(rules_report: list[dict], resource_count: int) -> dict[str, int]:
    def count(level: str) -> int:
        return sum(len(r["violations"]) for r in rules_report if r["enforcementLevel"] == level)

    return {
        "rules": len(rules_report),
        "resources": resource_count,
        "violations": sum(len(r["violations"]) for r in rules_report),
        "mandatoryViolations": count("mandatory"),
        "advisoryViolations": count("advisory"),
        "rulesViolated": sum(1 for r in rules_report if r["violations"]),
        "skipped": sum(len(r["skipped"]) for r in rules_report),
        "notApplicable": sum(len(r["notApplicable"]) for r in rules_report),
    }


def has_mandatory_violation(report: Mapping[str, Any]) -> bool:
    return bool(report["summary"]["mandatoryViolations"])


def write_report(report: Mapping[str, Any], path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def summarize(report: Mapping[str, Any]) -> list[str]:
    """A few lines for a terminal: totals, then each violated rule."""
    totals = report["summary"]
    lines = [
        f"policy pack {report['policyPack']} on stack {report['stack']}: {totals['rules']} rules, "
        f"{totals['resources']} resources, {totals['mandatoryViolations']} mandatory and "
        f"{totals['advisoryViolations']} advisory violations"
    ]
    for rule in report["rules"]:
        for violation in rule["violations"]:
            resource = resource_name(violation["urn"])
            lines.append(f"  [{rule['enforcementLevel']}] {rule['name']} {resource}: {violation['message']}")
    return lines


def resource_name(urn: str) -> str:
    """A violation's resource as people name it: the URN's last part, "(stack)" for a stack-wide finding."""
    return urn.rsplit("::", 1)[-1] or "(stack)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate the aoai-gateway policy pack on an offline plan.")
    parser.add_argument("resources", type=Path, help="build/<stack>/resources.json from the offline plan")
    parser.add_argument("--stack", required=True)
    parser.add_argument(
        "--environment",
        choices=environments(),
        help="the stack's environment (default: what Pulumi.<stack>.yaml sets)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="defaults to policies/config/stack-<stack>.json if present, else policies/config/<environment>.json",
    )
    parser.add_argument("--out", type=Path, default=None, help="defaults to build/<stack>/policy-report.json")
    options = parser.parse_args(argv)
    try:
        resources = json.loads(options.resources.read_text(encoding="utf-8"))
        report = evaluate(resources, stack=options.stack, environment=options.environment, config_path=options.config)
    except (OSError, json.JSONDecodeError, PolicyConfigError) as error:
        print(f"policy check failed to run: {error}", file=sys.stderr)
        return 2
    write_report(report, options.out or Path("build") / options.stack / "policy-report.json")
    print("\n".join(summarize(report)))
    return 1 if has_mandatory_violation(report) else 0


if __name__ == "__main__":
    sys.exit(main())
