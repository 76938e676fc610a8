"""The GitHub workflows: schema-valid, least privilege, OIDC only, and dev promoted to prod."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PR = WORKFLOWS / "pr.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
STACKS = ["dev", "prod"]
# requirements-dev.txt installs zizmor's binary beside the interpreter; `python -m zizmor` does not exist.
ZIZMOR = Path(sys.executable).with_name("zizmor")

# A tag can be moved to other code; a commit cannot. The comment keeps the release readable.
PINNED_ACTION = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^# v\d+\.\d+\.\d+$")
# YAML drops comments, so the version comments are read from the text.
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)[ \t]*(.*)$", re.MULTILINE)
MAKE_CALL = re.compile(r"(?:^|[;&|(]|\s)make\s+([^;&|\n]*)")
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path.name} is not a mapping"
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in document:
        document["on"] = document.pop(True)
    return document


def _steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def _runs(job: dict[str, Any]) -> list[str]:
    """Each `run:` of a job with whitespace collapsed (folded scalars read as one line)."""
    return [" ".join(step["run"].split()) for step in job["steps"] if "run" in step]


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(f"{action}@")]


def _index(job: dict[str, Any], predicate: str) -> int:
    for position, step in enumerate(job["steps"]):
        if predicate in step.get("run", "") or predicate in step.get("uses", ""):
            return position
    raise AssertionError(f"no step runs or uses {predicate!r}")


@pytest.fixture(scope="module")
def pr() -> dict[str, Any]:
    return _load(PR)


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return _load(DEPLOY)


def _check_jsonschema(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema"]
    return subprocess.run(
        [*command, "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_workflows_match_the_github_workflow_schema() -> None:
    done = _check_jsonschema(PR, DEPLOY)
    assert "No module named check_jsonschema" not in done.stderr, (
        "check-jsonschema is missing: pip install -r requirements-dev.txt"
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - runs: make test\n",
        encoding="utf-8",
    )
    assert _check_jsonschema(broken).returncode != 0


@pytest.mark.parametrize("path", [PR, DEPLOY], ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit_with_the_release_in_a_comment(path: Path) -> None:
    uses = [step["uses"] for _, step in _steps(_load(path)) if "uses" in step]
    assert uses
    lines = USES_LINE.findall(path.read_text(encoding="utf-8"))
    assert [ref for ref, _ in lines] == uses, "every `uses:` must be a plain `uses: owner/repo@sha # vX.Y.Z` line"
    assert [ref for ref in uses if not PINNED_ACTION.match(ref)] == []
    assert [(ref, comment) for ref, comment in lines if not VERSION_COMMENT.match(comment)] == []


def test_each_action_has_one_pin_across_the_workflows() -> None:
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in (PR, DEPLOY):
        for ref, comment in USES_LINE.findall(path.read_text(encoding="utf-8")):
            action, _, sha = ref.partition("@")
            pins.setdefault(action, set()).add((sha, comment))
    assert pins
    assert {action: pin for action, pin in pins.items() if len(pin) > 1} == {}


@pytest.mark.parametrize("path", [PR, DEPLOY], ids=lambda p: p.name)
def test_checkout_leaves_no_credentials_behind(path: Path) -> None:
    workflow = _load(path)
    checkouts = [
        (job_id, step) for job_id, step in _steps(workflow) if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    for job_id, step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, job_id


@pytest.mark.parametrize("path", [PR, DEPLOY], ids=lambda p: p.name)
def test_permissions_are_minimal(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {}, "grant nothing at workflow level; each job asks for its own"
    for job_id, job in workflow["jobs"].items():
        granted = job["permissions"]
        assert granted.get("contents") == "read", job_id
        assert set(granted) <= {"contents", "id-token"}, job_id
        signs_in = bool(_uses(job, "azure/login"))
        assert ("id-token" in granted) == signs_in, f"{job_id}: id-token belongs exactly to the azure/login jobs"


def test_jobs_that_deploy_restore_no_cache(deploy: dict[str, Any]) -> None:
    for job_id, job in deploy["jobs"].items():
        setups = _uses(job, "actions/setup-python")
        assert setups, job_id
        for setup in setups:
            assert "cache" not in setup.get("with", {}), f"{job_id}: a poisoned cache would run with deploy rights"


def _zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert ZIZMOR.is_file(), f"zizmor is missing beside {sys.executable}: pip install -r requirements-dev.txt"
    # --no-config: the audits run at zizmor's defaults, whatever config file may appear.
    return subprocess.run(
        [str(ZIZMOR), "--offline", "--no-config", "--format", "plain", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_zizmor_finds_nothing_in_the_workflows() -> None:
    done = _zizmor(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_flags_an_unpinned_checkout(tmp_path: Path) -> None:
    unpinned = tmp_path / "unpinned.yml"
    unpinned.write_text(
        "on: push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v6\n",
        encoding="utf-8",
    )
    done = _zizmor(unpinned)
    assert done.returncode != 0
    assert "unpinned-uses" in done.stdout
    assert "artipacked" in done.stdout


@pytest.mark.parametrize("path", [PR, DEPLOY], ids=lambda p: p.name)
def test_azure_sign_in_is_oidc_without_a_stored_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "AZURE_CLIENT_SECRET" not in text
    assert "secrets." not in text
    workflow = _load(path)
    logins = [(job_id, step) for job_id, step in _steps(workflow) if "azure/login@" in step.get("uses", "")]
    assert logins
    for job_id, step in logins:
        assert workflow["jobs"][job_id]["permissions"]["id-token"] == "write", job_id
        inputs = step["with"]
        assert set(inputs) == {"client-id", "tenant-id", "subscription-id"}, job_id
        assert inputs["client-id"] == "${{ vars.AZURE_CLIENT_ID }}"
        assert inputs["tenant-id"] == "${{ vars.AZURE_TENANT_ID }}"
        assert inputs["subscription-id"] == "${{ vars.AZURE_SUBSCRIPTION_ID }}"
        env = workflow["jobs"][job_id]["env"]
        assert env["ARM_USE_OIDC"] == "true", job_id
        assert env["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}", job_id


def _make_targets() -> set[str]:
    makefile = ROOT / "Makefile"
    rule = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?!=)", re.MULTILINE)
    return {target for match in rule.finditer(makefile.read_text(encoding="utf-8")) for target in match[1].split()}


def test_every_make_call_uses_an_existing_target() -> None:
    targets = _make_targets()
    called: list[str] = []
    for path in (PR, DEPLOY):
        for job_id, step in _steps(_load(path)):
            script = EXPRESSION.sub("EXPR", step.get("run", ""))
            for match in MAKE_CALL.finditer(script):
                words = [w for w in match[1].split() if "=" not in w and not w.startswith("-")]
                assert words, f"{path.name} {job_id}: bare `make` relies on the default goal"
                unknown = sorted(set(words) - targets)
                assert unknown == [], f"{path.name} {job_id}: no Makefile target {unknown}"
                called.extend(words)
    assert {"test", "plan", "venv"} <= set(called)


def test_pr_runs_tests_on_python_311_with_a_pip_cache(pr: dict[str, Any]) -> None:
    assert set(pr["on"]) == {"pull_request"}
    job = pr["jobs"]["test"]
    assert "make test" in _runs(job)
    setup = _uses(job, "actions/setup-python")[0]["with"]
    assert setup["cache"] == "pip"
    assert pr["env"]["PYTHON_VERSION"] == "3.11"
    assert setup["python-version"] == "${{ env.PYTHON_VERSION }}"


def test_pr_plans_each_stack_and_publishes_the_build(pr: dict[str, Any]) -> None:
    job = pr["jobs"]["plan"]
    assert job["strategy"]["matrix"]["stack"] == STACKS
    plan = next(step for step in job["steps"] if "make plan" in step.get("run", ""))
    assert plan["run"] == 'make plan STACK="$STACK"'
    assert plan["env"] == {"STACK": "${{ matrix.stack }}"}
    upload = _uses(job, "actions/upload-artifact")[0]
    assert upload["with"]["path"] == "build/${{ matrix.stack }}/"
    assert upload["if"] == "${{ !cancelled() }}"
    summary = next(step for step in job["steps"] if "GITHUB_STEP_SUMMARY" in step.get("run", ""))
    assert summary["env"]["SUMMARY"] == "build/${{ matrix.stack }}/summary.md"
    assert '>> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    assert _index(job, "make plan") < _index(job, "actions/upload-artifact")


def test_pr_preview_runs_only_with_azure_configured(pr: dict[str, Any]) -> None:
    job = pr["jobs"]["preview"]
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"):
        assert f"vars.{name} != ''" in job["if"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert job["strategy"]["matrix"]["stack"] == STACKS
    installer = _uses(job, "pulumi/actions")[0]
    assert "command" not in installer.get("with", {}), "pulumi/actions should only install the CLI"
    runs = _runs(job)
    assert any('pulumi login "$PULUMI_BACKEND_URL"' in run for run in runs)
    assert (
        'config=$(venv/bin/python -m tools.stacks pack-config "$STACK") '
        'pulumi preview --stack "$STACK" --policy-pack policies --policy-pack-config "$config"'
    ) in runs
    preview = next(step for step in job["steps"] if "pulumi preview" in step.get("run", ""))
    assert preview["env"] == {"STACK": "${{ matrix.stack }}"}
    order = [_index(job, mark) for mark in ("azure/login", "pulumi/actions", "pulumi login")]
    assert order == sorted(order)
    assert order[-1] < _index(job, "pulumi preview")


def test_deploy_runs_on_pushes_to_main(deploy: dict[str, Any]) -> None:
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    assert set(deploy["jobs"]) == {"up-dev", "up-prod"}


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_tests_then_updates_each_stack_with_the_policy_pack(deploy: dict[str, Any], stack: str) -> None:
    job = deploy["jobs"][f"up-{stack}"]
    assert job["environment"] == stack
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    command = (
        f"config=$(venv/bin/python -m tools.stacks pack-config {stack}) "
        f'pulumi up --yes --stack {stack} --policy-pack policies --policy-pack-config "$config"'
    )
    assert command in _runs(job)
    assert _index(job, "make test") < _index(job, "pulumi up")
    assert _index(job, "azure/login") < _index(job, "pulumi up")


def test_prod_promotes_the_commit_dev_received(deploy: dict[str, Any]) -> None:
    prod = deploy["jobs"]["up-prod"]
    needs = prod["needs"]
    assert (needs if isinstance(needs, list) else [needs]) == ["up-dev"]
    assert prod["environment"] == "prod"
    for job in (deploy["jobs"]["up-dev"], prod):
        checkout = _uses(job, "actions/checkout")[0]
        assert checkout["with"]["ref"] == "${{ github.sha }}"


def test_deploys_of_one_stack_never_overlap(deploy: dict[str, Any]) -> None:
    groups = []
    for stack in STACKS:
        concurrency = deploy["jobs"][f"up-{stack}"]["concurrency"]
        assert concurrency["cancel-in-progress"] is False, "cancelling a running `up` leaves locks"
        assert stack in concurrency["group"]
        assert "${{" not in concurrency["group"], "a per-run group would let two runs overlap"
        groups.append(concurrency["group"])
    assert len(set(groups)) == len(groups)
