"""`python -m offline --stack dev`: the offline plan. Exit 0 ok, 1 mandatory violation, 2 bad config."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.outputs import cost_sheet
from components.settings import ConfigError, settings_from_config
from offline import artefacts
from offline.engine import PROJECT_DIR, one_plan_process, run_program, stack_config
from offline.fixed_costs import fixed_cost_markdown
from policies.offline import PolicyConfigError, evaluate, has_mandatory_violation, write_report


def write_plan(stack: str, out_root: Path, config: Mapping[str, Any] | None = None) -> tuple[str, bool]:
    """Runs the program and writes build/<stack>/; returns the summary and whether a mandatory rule failed."""
    values = dict(config) if config is not None else stack_config(stack)
    result = run_program(stack, values)
    resources = result.resources()
    settings = settings_from_config(values)
    report = evaluate(resources, stack=stack, environment=settings.environment)
    files = artefacts.apiops_files(resources)
    out = out_root / stack
    artefacts.reset_dir(out)
    artefacts.write_text(out / "resources.json", artefacts.dump_json(resources))
    artefacts.write_text(out / "outputs.json", artefacts.dump_json(result.outputs))
    write_report(report, out / "policy-report.json")
    artefacts.write_text(out / "architecture.md", artefacts.architecture_markdown(stack, resources))
    costs = cost_sheet(stack, settings) + "\n" + fixed_cost_markdown(resources, settings.infrastructure_prices)
    artefacts.write_text(out / "costs.md", costs)
    for relative, text in sorted(files.items()):
        artefacts.write_text(out / relative, text)
    summary = artefacts.summary_text(stack, resources, result.outputs, report, files)
    artefacts.write_text(out / "summary.md", "```\n" + summary + "```\n")
    return summary, has_mandatory_violation(report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__)
    parser.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default dev)")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "build", help="output root (default build/)")
    args = parser.parse_args(argv)
    try:
        summary, failed = write_plan(args.stack, args.out)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except PolicyConfigError as exc:
        print(f"policy pack config error: {exc}", file=sys.stderr)
        return 2
    print(summary, end="")
    if failed:
        print("plan failed: fix the mandatory policy violations listed above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    with one_plan_process():
        sys.exit(main())
