"""`python -m tools.stacks`: a new stack file from an existing one, and the policy pack config a stack is checked with.

Exit 0 on success, 2 with one line on stderr when the request cannot be done.
"""

from __future__ import annotations

import argparse
import re
import sys
import typing
from collections.abc import Sequence
from pathlib import Path

from components.settings import PROJECT, PROJECT_DIR
from components.settings.models import Environment
from offline.engine import known_stacks, stack_file
from policies.offline import PolicyConfigError, pack_config_path, shown_path, stack_environment

ENVIRONMENTS: tuple[str, ...] = typing.get_args(Environment)

# What the pulumi CLI accepts as a stack name, starting with a letter or digit so it never reads as an option.
STACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
STACK_NAME_RULE = "1-100 letters, digits, '-', '_' or '.', starting with a letter or digit"


class StackError(Exception):
    """The request cannot be done; the message is the one line the user sees."""


def environment_of(stack: str, project_dir: Path = PROJECT_DIR) -> str:
    """The stack file's `aoai-gateway:environment`."""
    environment = stack_environment(stack, project_dir)
    if environment not in ENVIRONMENTS:
        said = (
            f"sets no {PROJECT}:environment" if environment is None else f"sets {PROJECT}:environment {environment!r}"
        )
        raise StackError(
            f"{stack_file(stack).name} {said}; set it to one of {', '.join(ENVIRONMENTS)} "
            "(it picks the policy pack config)"
        )
    return str(environment)


def pack_config(stack: str, project_dir: Path = PROJECT_DIR) -> str:
    """The pack config file of `stack` as `--policy-pack-config` takes it from the project folder."""
    path = pack_config_path(stack, environment_of(stack, project_dir))
    # An environment always yields a file or an error; None is only for a stack without one.
    assert path is not None
    return shown_path(path)


def new_stack(name: str, source: str, project_dir: Path = PROJECT_DIR) -> list[str]:
    """Writes Pulumi.<name>.yaml as a copy of Pulumi.<source>.yaml; returns what to tell the user."""
    if not STACK_NAME.fullmatch(name):
        raise StackError(
            f"stack name {name!r} is not valid: use {STACK_NAME_RULE} (make stack NAME=<new> FROM=<stack>)"
        )
    target = stack_file(name, project_dir)
    if target.exists():
        raise StackError(f"{target.name} already exists: pick another NAME, or edit that file")
    if source not in known_stacks(project_dir):
        raise StackError(
            f"unknown source stack {source!r}: {stack_file(source).name} does not exist "
            f"(known stacks: {', '.join(known_stacks(project_dir)) or 'none'})"
        )
    environment = environment_of(source, project_dir)
    text = stack_file(source, project_dir).read_text(encoding="utf-8")
    note = f"# {name}: copied from {stack_file(source).name} by `make stack`; the comments below describe {source}.\n"
    lines = text.splitlines(keepends=True)
    # The editor's schema line stays first.
    at = 1 if lines and lines[0].startswith("# yaml-language-server:") else 0
    target.write_text("".join([*lines[:at], note, *lines[at:]]), encoding="utf-8")
    return [
        f"created {target.name} from {stack_file(source).name}: environment {environment}, "
        f"so the policy pack checks it with {pack_config(name, project_dir)}",
        "next:",
        f"  1. edit {target.name}: owner, costCenter, location, the backends' regions, edge.hostName; "
        f"{PROJECT}:environment ({' | '.join(ENVIRONMENTS)}) picks the policy pack config",
        f"  2. make plan STACK={name}    # offline: what would be deployed, and the policy pack's verdict",
        f"  3. pulumi stack init {name}, then make preview STACK={name} and make up STACK={name}",
    ]


def main(argv: Sequence[str] | None = None, project_dir: Path = PROJECT_DIR) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stacks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("new", help="create Pulumi.<name>.yaml from Pulumi.<source>.yaml")
    create.add_argument("name")
    create.add_argument("--from", dest="source", default="dev", help="the stack to copy (default dev)")
    show = commands.add_parser("pack-config", help="print the policy pack config file a stack is checked with")
    show.add_argument("stack")
    args = parser.parse_args(argv)
    try:
        if args.command == "new":
            print("\n".join(new_stack(args.name, args.source, project_dir)))
        else:
            print(pack_config(args.stack, project_dir))
    except (StackError, PolicyConfigError) as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
