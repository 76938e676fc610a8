"""Shortcuts through pulumi SDK bookkeeping that only a real engine reads, each guarded against SDK changes.

Under the mock engine, most of a plan's time went into work whose only reader is a real engine:
- `Resource.__init__` collapses every alias into a URN Output up front (azure-native declares an alias per
  past API version) for engines without alias-spec support;
- each registration then resolves those aliases into alias specs, and captures a stack trace and source
  position for the engine's diagnostics.
`MockMonitor.RegisterResource` reads none of it. What the program declares, and what the plan records,
is the same with or without the shortcuts (a test compares both paths).

Each shortcut replaces a private SDK function. If the installed SDK no longer has one with the parameters
it had in the pinned version, no shortcut is applied: the plan takes the plain (slower) path and says so
once, never a wrong plan.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pulumi
import pulumi.resource
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime.proto import source_pb2


@dataclass(frozen=True)
class Shortcut:
    module: ModuleType
    name: str
    # The parameters the replaced function has in the pinned SDK: a change means its role may have changed.
    parameters: tuple[str, ...]
    replacement: Callable[..., Any]


def _alias_unchanged(alias: Any, name: str, type_: str, parent: Any) -> Any:
    return alias


async def _no_aliases(resource: Any, resource_options: Any, supports_alias_specs: bool) -> list[Any]:
    return []


def _no_source_position(stack: Any) -> None:
    return None


SHORTCUTS = (
    Shortcut(
        pulumi.resource,
        "collapse_alias_to_urn",
        ("alias", "defaultName", "defaultType", "defaultParent"),
        _alias_unchanged,
    ),
    Shortcut(
        runtime_resource, "prepare_aliases", ("resource", "resource_options", "supports_alias_specs"), _no_aliases
    ),
    Shortcut(runtime_resource, "_get_stack_trace", (), source_pb2.StackTrace),
    Shortcut(runtime_resource, "_get_source_position", ("stack",), _no_source_position),
)

_noticed = False


def missing(shortcuts: tuple[Shortcut, ...] = SHORTCUTS) -> list[str]:
    """The shortcuts whose target the installed SDK lacks or has changed, as `module.name`."""
    changed = []
    for shortcut in shortcuts:
        target = getattr(shortcut.module, shortcut.name, None)
        try:
            parameters = tuple(inspect.signature(target).parameters) if callable(target) else None
        except (TypeError, ValueError):
            parameters = None
        if parameters != shortcut.parameters:
            changed.append(f"{shortcut.module.__name__}.{shortcut.name}")
    return changed


@contextmanager
def applied(shortcuts: tuple[Shortcut, ...] = SHORTCUTS) -> Iterator[bool]:
    """Applies every shortcut for the duration, or none when one no longer fits; yields whether they apply."""
    global _noticed
    changed = missing(shortcuts)
    if changed:
        if not _noticed:
            print(
                f"notice: the installed pulumi SDK changed {', '.join(changed)}; planning without the SDK "
                "shortcuts (slower, same output)",
                file=sys.stderr,
            )
            _noticed = True
        yield False
        return
    with ExitStack() as restore:
        for shortcut in shortcuts:
            restore.callback(setattr, shortcut.module, shortcut.name, getattr(shortcut.module, shortcut.name))
            setattr(shortcut.module, shortcut.name, shortcut.replacement)
        yield True
