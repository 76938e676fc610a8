"""Runs the real program under Pulumi's mock engine with a stack's config, the way the CLI would."""

from __future__ import annotations

import contextlib
import gc
import json
import runpy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.settings import PROJECT, PROJECT_DIR, ConfigError
from offline import sdk_shortcuts
from offline.mocks import SECRET, AzureMocks, RecordingMonitor, redact


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that refuses duplicate keys, as the CLI's does, instead of keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"{node.start_mark.name}:{key_node.start_mark.line + 1}: duplicate key '{key}'")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name}: not valid YAML ({exc.__class__.__name__}: {exc})".replace("\n", " ")) from None


def known_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(p.stem.removeprefix("Pulumi.") for p in project_dir.glob("Pulumi.*.yaml"))


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """Project defaults from Pulumi.yaml overlaid with Pulumi.<stack>.yaml, keyed `namespace:key`."""
    path = stack_file(stack, project_dir)
    if not path.is_file():
        known = ", ".join(known_stacks(project_dir)) or "none"
        raise ConfigError(f"unknown stack '{stack}': {path.name} does not exist (known stacks: {known})")
    project = read_yaml(project_dir / "Pulumi.yaml") or {}
    values: dict[str, Any] = {}
    for key, decl in (project.get("config") or {}).items():
        if isinstance(decl, Mapping) and "default" in decl:
            values[f"{PROJECT}:{key}"] = decl["default"]
    stack_doc = read_yaml(path) or {}
    if not isinstance(stack_doc, Mapping):
        raise ConfigError(f"{path.name}: expected a mapping with a 'config' key")
    for key, value in (stack_doc.get("config") or {}).items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        values[full_key] = _without_ciphertext(value)
    return values


def _without_ciphertext(value: Any) -> Any:
    """Secret config values (`secure: ...`, also nested, from `--secret --path`) cannot be decrypted
    without the CLI: the plan stands "[secret]" in for them."""
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            return SECRET
        return {key: _without_ciphertext(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_ciphertext(item) for item in value]
    return value


@dataclass
class PlanResult:
    stack: str
    registrations: list[dict[str, Any]]
    outputs: dict[str, Any]

    def resources(self) -> list[dict[str, Any]]:
        """The resources.json shape: sorted by URN, secrets already replaced by "[secret]"."""
        return sorted(self.registrations, key=lambda r: r["urn"])


def run_program(
    stack: str,
    config: Mapping[str, Any] | None = None,
    *,
    project_dir: Path = PROJECT_DIR,
    program: Callable[[], None] | None = None,
    shortcuts: bool = True,
) -> PlanResult:
    """Runs __main__.py (or `program`, for component tests) under mocks.

    `config` replaces the stack file; tests pass fixture configs this way. `shortcuts=False` takes the plain
    path through the SDK (offline/sdk_shortcuts.py), which must record the same plan.
    """
    values = dict(config) if config is not None else stack_config(stack, project_dir)
    pulumi.runtime.set_all_config({k: _as_config_string(v) for k, v in values.items()})
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
    mocks = AzureMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    main = str(project_dir / "__main__.py")

    def run_main() -> None:
        runpy.run_path(main, run_name="__main__")

    # The SDK makes many short-lived futures in reference cycles; collecting while the program runs
    # cost more than half of a plan's time. One program run is bounded (make bench checks peak
    # memory), and collection resumes as soon as it ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with sdk_shortcuts.applied() if shortcuts else contextlib.nullcontext():
            _sync_await(run_pulumi_func(program or run_main))
    finally:
        if collecting:
            gc.enable()
    outputs = _resolve_outputs()
    return PlanResult(stack=stack, registrations=list(monitor.registrations.values()), outputs=outputs)


@contextlib.contextmanager
def one_plan_process() -> Iterator[None]:
    """For a process that plans once and exits (`python -m offline`, each `make bench` run). The cyclic collector
    would trace the plan's objects, hundreds of thousands of short-lived SDK futures, each time it runs while
    the artefacts are written and once more at the interpreter's exit, to free memory the exit frees anyway:
    it stays off, and what is left is frozen, out of the exit's collection. `make bench` checks peak memory."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()


def _as_config_string(value: Any) -> str:
    # The CLI hands every config value to the program as a string; objects and lists as JSON.
    return value if isinstance(value, str) else json.dumps(value)


def _resolve_outputs() -> dict[str, Any]:
    stack = runtime_settings.get_root_resource()
    resolved: dict[str, Any] = {}
    for name, value in sorted(getattr(stack, "outputs", {}).items()):
        output = pulumi.Output.from_input(value)
        plain = _sync_await(output.future())
        secret = _sync_await(output.is_secret())
        resolved[name] = SECRET if secret else redact(json.loads(json.dumps(plain, default=str)))
    return resolved
