"""The newcomer's path: a copied stack plans, violations read on the console, `make stack` and the real path's guard."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import PROJECT
from offline import __main__ as plan_cli
from offline.artefacts import summary_text
from offline.engine import PROJECT_DIR, stack_config
from policies import offline as pack
from policies.rules.catalogue import RULES
from tests.conftest import with_overrides
from tools import stacks

MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="make is not installed")
# `make -o venv/.installed` never reinstalls the venv, whatever the requirements' timestamps say.
# Installs are not under test here: make test has done them (venv and the KQL checker's node_modules).
MAKE_ARGS = ["-s", "--no-print-directory", "-o", "venv/.installed", "-o", "node_modules/.installed"]
GUARD_LINE = (
    "pulumi CLI not found on PATH: install pulumi 3.272.0 from https://www.pulumi.com/docs/install/ "
    "(make plan needs no CLI)"
)


def _project_copy(tmp_path: Path, source: str, name: str, **overrides: Any) -> Path:
    """A project with Pulumi.yaml and Pulumi.<name>.yaml: Pulumi.<source>.yaml with `overrides` (None removes)."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{source}.yaml").read_text(encoding="utf-8"))
    for key, value in overrides.items():
        if value is None:
            document["config"].pop(f"{PROJECT}:{key}")
        else:
            document["config"][f"{PROJECT}:{key}"] = value
    (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return project


def _plan(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: str, values: dict[str, Any]) -> int:
    monkeypatch.setattr(plan_cli, "stack_config", lambda name: values)
    return plan_cli.main(["--stack", stack, "--out", str(tmp_path / "build")])


def _report(tmp_path: Path, stack: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((tmp_path / "build" / stack / "policy-report.json").read_text())
    return report


def _make(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    env = {**os.environ, "PATH": path} if path is not None else None
    return subprocess.run(
        [MAKE, *MAKE_ARGS, *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


# ---------------------------------------------------------------- a new stack plans with its environment's config


def test_a_copy_of_dev_under_a_new_name_plans_clean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project_copy(tmp_path, "dev", "staging")
    assert not (pack.CONFIG_DIR / "staging.json").exists(), "the test needs a stack without a same-named pack config"
    assert _plan(monkeypatch, tmp_path, "staging", stack_config("staging", project)) == 0
    printed = capsys.readouterr()
    assert printed.err == ""
    assert f"policy pack: {len(RULES)} rules, config policies/config/dev.json · 0 mandatory violations" in printed.out
    report = _report(tmp_path, "staging")
    assert report["config"] == "policies/config/dev.json"
    assert report["summary"]["mandatoryViolations"] == 0


def test_a_prod_copy_in_the_test_environment_passes_the_test_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project_copy(tmp_path, "prod", "qa", environment="test")
    assert _plan(monkeypatch, tmp_path, "qa", stack_config("qa", project)) == 0
    assert "config policies/config/test.json" in capsys.readouterr().out
    report = _report(tmp_path, "qa")
    assert report["config"] == "policies/config/test.json"
    assert report["summary"]["mandatoryViolations"] == 0


def test_a_prod_backend_outside_the_allowed_regions_fails_and_the_console_says_where(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = with_overrides("prod", openaiBackends={"paygo-gwc": {"location": "westeurope"}})
    assert _plan(monkeypatch, tmp_path, "eu", values) == 1
    printed = capsys.readouterr()
    assert printed.err == "plan failed: fix the mandatory policy violations listed above\n"
    lines = printed.out.splitlines()
    start = lines.index("  locations-allowed (high)")
    assert lines[start + 1] == (
        "    openai-paygo-gwc: location is 'westeurope'; this stack deploys only to "
        "francecentral, germanywestcentral, swedencentral."
    )
    assert lines[start + 2].startswith("    fix: Deploy to a region listed in allowedLocations")
    assert lines[start + 3] == "    or edit policies/config/prod.json (rule locations-allowed: allowedLocations)"
    assert lines[0].startswith("aoai-gateway offline plan · stack eu · ")
    assert any(line.startswith("estimated deploy: ") for line in lines)


def test_an_unusable_pack_config_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "dev.json").write_text("{", encoding="utf-8")
    monkeypatch.setattr(pack, "CONFIG_DIR", config_dir)
    assert _plan(monkeypatch, tmp_path, "dev", stack_config("dev")) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith(f"policy pack config error: {config_dir / 'dev.json'}: not valid JSON (")
    assert printed.err.count("\n") == 1


def test_pack_configs_tighten_from_dev_through_test_to_prod() -> None:
    strictness = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}
    levels = {}
    for environment in ("dev", "test", "prod"):
        config = pack.load_config("any", pack.CONFIG_DIR / f"{environment}.json")
        levels[environment] = {name: entry["enforcementLevel"] for name, entry in config.items()}
    assert levels["test"], "test.json reconciles to no rule"
    for name, level in levels["test"].items():
        assert strictness[levels["dev"][name]] <= strictness[level] <= strictness[levels["prod"][name]], name
    # Prod's network hardening holds in test; the vault is re-creatable, as in dev.
    assert levels["test"]["openai-public-network-disabled"] == "mandatory"
    assert levels["test"]["keyvault-purge-protection"] == "advisory"


# ---------------------------------------------------------------- the console


def _rule(name: str, level: str, severity: str, resources: list[str], **extra: Any) -> dict[str, Any]:
    """A report entry whose violations are on the named vaults ("" for the stack), with two-line messages."""
    return {
        "name": name,
        "enforcementLevel": level,
        "severity": severity,
        "remediation": f"Fix {name}.",
        "properties": {},
        "violations": [
            {
                "urn": f"urn:pulumi:s::aoai-gateway::azure-native:keyvault:Vault::{resource}" if resource else "",
                "message": f"{name} on\n{resource or 'the stack'}",
            }
            for resource in resources
        ],
        **extra,
    }


def test_the_summary_lists_every_mandatory_violation_and_the_first_advisories() -> None:
    report = {
        "config": "policies/config/dev.json",
        "summary": {"mandatoryViolations": 3, "advisoryViolations": 5},
        "rules": [
            _rule("a-rule", "mandatory", "medium", ["kv-1", "kv-2"]),
            _rule("b-rule", "mandatory", "critical", [""], properties={"allowedThings": [], "max": 1}),
            _rule("c-rule", "advisory", "low", ["kv-3", "kv-4"]),
            _rule("d-rule", "advisory", "high", ["kv-5", "kv-6", "kv-7"]),
            _rule("e-rule", "disabled", "high", []),
        ],
    }
    resources = [
        {"urn": f"u{i}", "type": f"azure-native:x:Type{i:02}", "name": f"r{i}", "dependsOn": [], "inputs": {}}
        for i in range(14)
    ]
    lines = summary_text("s", resources, {}, report, {}).splitlines()
    assert lines[2].endswith("Type11 1 and 2 more types")
    start = lines.index(
        "policy pack: 5 rules, config policies/config/dev.json · 3 mandatory violations · 5 advisory violations"
    )
    assert lines[start + 1 : start + 15] == [
        "mandatory violations (each fails the plan; Pulumi.s.yaml shapes the resources, its keys are in "
        "docs/configuration.md):",
        "  b-rule (critical)",
        "    (stack): b-rule on the stack",
        "    fix: Fix b-rule.",
        "    or edit policies/config/dev.json (rule b-rule: allowedThings, max)",
        "  a-rule (medium)",
        "    kv-1: a-rule on kv-1",
        "    kv-2: a-rule on kv-2",
        "    fix: Fix a-rule.",
        "advisory violations (5, they do not fail the plan; all in build/s/policy-report.json):",
        "  d-rule · kv-5: d-rule on kv-5",
        "  d-rule · kv-6: d-rule on kv-6",
        "  d-rule · kv-7: d-rule on kv-7",
        "  and 2 more",
    ]
    assert lines[start + 15].startswith("outputs:")


# ---------------------------------------------------------------- tools.stacks and `make stack`


def test_new_stack_copies_the_source_and_says_what_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project_copy(tmp_path, "prod", "prod")
    assert stacks.main(["new", "staging", "--from", "prod"], project) == 0
    created = (project / "Pulumi.staging.yaml").read_text(encoding="utf-8")
    source = (project / "Pulumi.prod.yaml").read_text(encoding="utf-8")
    assert (
        created
        == "# staging: copied from Pulumi.prod.yaml by `make stack`; the comments below describe prod.\n" + source
    )
    assert stack_config("staging", project) == stack_config("prod", project)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == (
        "created Pulumi.staging.yaml from Pulumi.prod.yaml: environment prod, "
        "so the policy pack checks it with policies/config/prod.json"
    )
    assert "  2. make plan STACK=staging    # offline: what would be deployed, and the policy pack's verdict" in printed


def test_new_stack_keeps_the_schema_line_first(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project)
    shutil.copy(PROJECT_DIR / "Pulumi.dev.yaml", project)
    assert stacks.main(["new", "staging"], project) == 0
    lines = (project / "Pulumi.staging.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=docs/stack-config.schema.json"
    assert lines[1].startswith("# staging: copied from Pulumi.dev.yaml by `make stack`")


REFUSALS = [
    (
        ["new", "Stag ing", "--from", "dev"],
        "stack name 'Stag ing' is not valid: use 1-100 letters, digits, '-', '_' or '.', starting with a letter or "
        "digit (make stack NAME=<new> FROM=<stack>)",
    ),
    (
        ["new", "", "--from", "dev"],
        "stack name '' is not valid: use 1-100 letters, digits, '-', '_' or '.', starting with a letter or digit "
        "(make stack NAME=<new> FROM=<stack>)",
    ),
    (["new", "prod", "--from", "dev"], "Pulumi.prod.yaml already exists: pick another NAME, or edit that file"),
    (
        ["new", "staging", "--from", "qa"],
        "unknown source stack 'qa': Pulumi.qa.yaml does not exist (known stacks: dev, prod)",
    ),
    (["pack-config", "qa"], "unknown stack 'qa': Pulumi.qa.yaml does not exist (known stacks: dev, prod)"),
]


@pytest.mark.parametrize(("argv", "line"), REFUSALS, ids=["invalid-name", "no-name", "exists", "no-source", "unknown"])
def test_stacks_tool_refuses_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    project = _project_copy(tmp_path, "dev", "dev")
    shutil.copy(PROJECT_DIR / "Pulumi.prod.yaml", project)
    before = sorted(p.name for p in project.iterdir())
    assert stacks.main(argv, project) == 2
    printed = capsys.readouterr()
    assert (printed.out, printed.err) == ("", line + "\n")
    assert sorted(p.name for p in project.iterdir()) == before, "a refusal writes nothing"


@pytest.mark.parametrize("environment", ["staging", None])
def test_pack_config_refuses_a_stack_without_a_known_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environment: str | None
) -> None:
    project = _project_copy(tmp_path, "dev", "odd", environment=environment)
    assert stacks.main(["pack-config", "odd"], project) == 2
    said = (
        "sets no aoai-gateway:environment" if environment is None else f"sets aoai-gateway:environment {environment!r}"
    )
    assert capsys.readouterr().err == (
        f"Pulumi.odd.yaml {said}; set it to one of dev, test, prod (it picks the policy pack config)\n"
    )


def test_pack_config_refuses_an_environment_without_a_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project_copy(tmp_path, "prod", "prod")
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    shutil.copy(pack.CONFIG_DIR / "dev.json", config_dir)
    monkeypatch.setattr(pack, "CONFIG_DIR", config_dir)
    assert stacks.main(["pack-config", "prod"], project) == 2
    assert capsys.readouterr().err == (
        f"{config_dir / 'prod.json'}: no policy pack config for environment 'prod' "
        f"(there is one for dev; or add {config_dir / 'stack-prod.json'} for stack 'prod' alone)\n"
    )


@pytest.mark.parametrize(
    ("stack", "environment", "expected"), [("dev", "dev", "dev"), ("prod", "prod", "prod"), ("qa", "test", "test")]
)
def test_pack_config_prints_the_file_of_the_stacks_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stack: str, environment: str, expected: str
) -> None:
    project = _project_copy(tmp_path, "prod", stack, environment=environment)
    assert stacks.main(["pack-config", stack], project) == 0
    assert capsys.readouterr().out == f"policies/config/{expected}.json\n"


@needs_make
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["NAME=Stag ing"], REFUSALS[0][1]),
        ([], REFUSALS[1][1]),
        (["NAME=prod", "FROM=dev"], REFUSALS[2][1]),
        (["NAME=staging", "FROM=qa"], REFUSALS[3][1]),
    ],
    ids=["invalid-name", "no-name", "exists", "no-source"],
)
def test_make_stack_refuses_with_one_line_and_exit_2(args: list[str], line: str) -> None:
    result = _make("stack", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == line
    assert not (PROJECT_DIR / "Pulumi.staging.yaml").exists()


# ---------------------------------------------------------------- the real path


@needs_make
@pytest.mark.parametrize("target", ["preview", "up", "smoke"])
def test_the_real_path_without_pulumi_says_what_to_install(tmp_path: Path, target: str) -> None:
    # An empty PATH: no pulumi, and nothing else either, should the guard ever let the recipe through.
    result = _make(target, "STACK=dev", path=str(tmp_path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == GUARD_LINE


def test_the_guard_names_the_cli_version_the_pipelines_pin() -> None:
    pinned = {
        yaml.safe_load(path.read_text(encoding="utf-8"))["env"]["PULUMI_VERSION"]
        for path in sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
    }
    named = re.search(r"install pulumi (\S+) from", GUARD_LINE)
    assert named is not None
    assert pinned == {named[1]}


@needs_make
def test_preview_and_up_take_the_pack_config_from_the_tool() -> None:
    result = _make("-n", "preview", "up", "STACK=staging")
    assert result.returncode == 0, result.stderr
    for verb in ("preview", "up"):
        assert f'pulumi {verb} --stack "staging" --policy-pack policies --policy-pack-config "$config"' in result.stdout
    assert result.stdout.count('config=$(venv/bin/python -m tools.stacks pack-config "staging") || exit 2') == 2


@needs_make
@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["OUTPUTS=build/outputs.json"], 'venv/bin/python -m tools.smoke_test --outputs "build/outputs.json"'),
        (["STACK=prod"], "venv/bin/python -m tools.smoke_test --stack prod"),
    ],
)
def test_smoke_reads_an_outputs_file_or_the_stack(args: list[str], command: str) -> None:
    result = _make("-n", "smoke", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == command
    # Only the stack's outputs need the CLI.
    assert ("command -v pulumi" in result.stdout) == ("OUTPUTS" not in args[0])
