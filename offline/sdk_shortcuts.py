"""Shortcuts past pulumi SDK work that the mock engine does not need, each guarded against SDK changes.

Under the mock engine, most of a plan's time went into work whose only reader is a real engine, or that is
repeated although its answer cannot change:
- `Resource.__init__` collapses every alias into a URN Output up front (azure-native declares an alias per
  past API version) for engines without alias-spec support;
- each registration then resolves those aliases into alias specs, and captures a stack trace and source
  position for the engine's diagnostics; `MockMonitor.RegisterResource` reads none of it;
- the mock monitor turned each request's wire form into Python values, and the mock's answer back, through
  the SDK's asynchronous (de)serialisers on a fresh event loop in a worker thread, although the mock deals
  only in plain JSON values;
- serialising each property unwrapped its annotated type (`Optional[Input[...]]`) again on every call; a
  type's unwrapping never changes, so it is remembered per type.
What the program declares, and what the plan records, is the same with or without the shortcuts (a test
compares both paths).

Each shortcut replaces an SDK function or method. If the installed SDK no longer has one with the parameters
it had in the pinned version, no shortcut is applied: the plan takes the plain (slower) path and says so
once, never a wrong plan.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pulumi
import pulumi._types
import pulumi.resource
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs
from pulumi.runtime.proto import resource_pb2, source_pb2

from offline.mocks import plain


@dataclass(frozen=True)
class Shortcut:
    owner: ModuleType | type
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


def _remembered(owner: ModuleType, name: str) -> Callable[..., Any]:
    """`owner.name` remembering its answer per argument: for pure functions of a type (types are hashable).
    Without the original, `missing()` names it and no shortcut applies, so the stand-in is never called."""
    original: Any = getattr(owner, name, None)
    return functools.cache(original) if callable(original) else original


def _register_plainly(self: MockMonitor, request: Any) -> Any:
    """`MockMonitor.RegisterResource` with the wire form read and written by protobuf's own JSON mapping."""
    urn = self.make_urn(request.parent, request.type, request.name)
    if request.type == "pulumi:pulumi:Stack":
        return resource_pb2.RegisterResourceResponse(urn=urn)
    args = MockResourceArgs(
        typ=request.type,
        name=request.name,
        inputs=plain(json_format.MessageToDict(request.object)),
        provider=request.provider,
        resource_id=request.importId,
        custom=request.custom or False,
    )
    id_, state = self.mocks.new_resource(args)
    resource_id = id_ or ""  # components have no id; proto3 reads an empty string as none
    answer = struct_pb2.Struct()
    answer.update(state)
    self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
    return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=answer)


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
    Shortcut(MockMonitor, "RegisterResource", ("self", "request"), _register_plainly),
    Shortcut(pulumi._types, "unwrap_type", ("val",), _remembered(pulumi._types, "unwrap_type")),
    Shortcut(pulumi._types, "unwrap_optional_type", ("val",), _remembered(pulumi._types, "unwrap_optional_type")),
)

_noticed = False


def _dotted(owner: ModuleType | type) -> str:
    return owner.__name__ if isinstance(owner, ModuleType) else f"{owner.__module__}.{owner.__qualname__}"


def missing(shortcuts: tuple[Shortcut, ...] = SHORTCUTS) -> list[str]:
    """The shortcuts whose target the installed SDK lacks or has changed, as `module.name`."""
    changed = []
    for shortcut in shortcuts:
        target = getattr(shortcut.owner, shortcut.name, None)
        try:
            parameters = tuple(inspect.signature(target).parameters) if callable(target) else None
        except (TypeError, ValueError):
            parameters = None
        if parameters != shortcut.parameters:
            changed.append(f"{_dotted(shortcut.owner)}.{shortcut.name}")
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
            restore.callback(setattr, shortcut.owner, shortcut.name, getattr(shortcut.owner, shortcut.name))
            setattr(shortcut.owner, shortcut.name, shortcut.replacement)
        yield True
