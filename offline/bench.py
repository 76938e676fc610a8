"""`make bench`: median wall time of the offline plan (dev, prod, a large generated config) against a floor.

The floor is a fresh process that imports pulumi and the azure-native modules the prod plan loads
(the SDK loads lazily, so the list is taken from a prod run) and registers one resource under mocks:
the cost no plan can avoid. Each measurement is a fresh process,
so import time counts, as it does for `make plan`.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from components.settings import PROJECT, PROJECT_DIR

RESULTS = PROJECT_DIR / "bench" / "results.json"
TARGETS = {"prod_vs_floor": 2.0, "large_ms_per_resource": 5.0, "peak_rss_mb": 400.0}
LARGE_BACKENDS = 30
LARGE_PRODUCTS = 50
LARGE_TEAMS = 20
REGIONS = ["swedencentral", "francecentral", "germanywestcentral", "westeurope", "northeurope", "uksouth"]


def large_config() -> dict[str, Any]:
    """prod, scaled up: 30 backends with 4 deployments each, 50 products and 20 teams (half with Entra ID)."""
    from offline.engine import stack_config

    values = stack_config("prod")
    deployments = {
        f"model-{i}": {"model": "gpt-5.4", "version": "2026-03-05", "sku": "DataZoneStandard", "capacity": 50}
        for i in range(4)
    }
    values[f"{PROJECT}:openaiBackends"] = {
        f"b{i:02d}": {
            "location": REGIONS[i % len(REGIONS)],
            "priority": 1 + i // 10,
            "weight": 1,
            "deployments": deployments,
        }
        for i in range(LARGE_BACKENDS)
    }
    values[f"{PROJECT}:products"] = {
        f"product-{i:02d}": {
            "displayName": f"Product {i}",
            "rateLimit": {"calls": 100 + i, "renewalPeriod": 60},
            "tokensPerMinute": 10000 + i,
            "monthlyBudget": 100,
        }
        for i in range(LARGE_PRODUCTS)
    }
    values[f"{PROJECT}:teams"] = {
        f"team-{i:02d}": {
            "contact": f"team-{i:02d}@contoso.com",
            "product": f"product-{i:02d}",
            **(
                {
                    "entra": {
                        "tenantId": "00000000-0000-0000-0000-0000000000bb",
                        "audience": "api://aoai-gateway-bench",
                        "clientAppIds": [f"00000000-0000-0000-0000-{i:012d}"],
                    }
                }
                if i % 2
                else {}
            ),
        }
        for i in range(LARGE_TEAMS)
    }
    return values


def _loaded_azure_modules() -> list[str]:
    # The SDK loads lazily: count only the modules whose code actually ran.
    return sorted(
        name
        for name, module in sys.modules.items()
        if name.startswith("pulumi_azure_native") and type(module).__name__ != "_LazyModule"
    )


def _child(kind: str, out: Path) -> None:
    """Runs inside the measured process."""
    if kind == "floor":
        import importlib

        import pulumi
        from pulumi.runtime import Mocks

        for name in json.loads((out / "modules.json").read_text()):
            importlib.import_module(name)

        class _Echo(Mocks):
            def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
                return f"{args.name}-id", dict(args.inputs)

            def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
                return {}, []

        from pulumi.runtime.stack import wait_for_rpcs
        from pulumi.runtime.sync_await import _sync_await

        from offline import sdk_shortcuts

        pulumi.runtime.set_mocks(_Echo(), project=PROJECT, stack="floor", preview=False)
        import pulumi_azure_native.resources as resources

        with sdk_shortcuts.applied():
            resources.ResourceGroup("floor", resource_group_name="rg-floor", location="swedencentral")
            _sync_await(wait_for_rpcs())
        return
    from offline.__main__ import write_plan

    stack = kind if kind != "large" else "bench-large"
    write_plan(stack, out, large_config() if kind == "large" else None)
    count = len(json.loads((out / stack / "resources.json").read_text()))
    if kind == "prod":
        (out / "modules.json").write_text(json.dumps(_loaded_azure_modules()))
    print(json.dumps({"resources": count}))


def _measure(kind: str, runs: int, tmp: str) -> dict[str, Any]:
    times: list[float] = []
    resources_count = 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "offline.bench", "--child", kind, "--out", tmp],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"bench: the {kind} run failed: {proc.stderr.strip().splitlines()[-1:]}")
        if proc.stdout.strip():
            resources_count = json.loads(proc.stdout.strip().splitlines()[-1])["resources"]
    return {"median_s": round(statistics.median(times), 3), "runs": runs, "resources": resources_count}


def _run_count(text: str) -> int:
    # A median needs at least one run; zero would end in a traceback from statistics.median.
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of runs, 1 or more; got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.bench", description=__doc__)
    parser.add_argument("--runs", type=_run_count, default=5, help="runs per measurement (median is reported)")
    parser.add_argument("--child", choices=["floor", "dev", "prod", "large"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        from offline.engine import one_plan_process

        # Every measured process, the floor too, runs as `python -m offline` does.
        with one_plan_process():
            _child(args.child, args.out)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        # prod first: it records which azure-native modules the program loads, which the floor imports.
        results: dict[str, Any] = {kind: _measure(kind, args.runs, tmp) for kind in ("prod", "floor", "dev", "large")}
    floor = results["floor"]["median_s"]
    large = results["large"]
    figures = {
        "prod_vs_floor": round(results["prod"]["median_s"] / floor, 2),
        "dev_vs_floor": round(results["dev"]["median_s"] / floor, 2),
        # What each resource adds: the floor's import and start-up are paid once, not per resource.
        "large_ms_per_resource": round(1000 * (large["median_s"] - floor) / max(large["resources"], 1), 2),
        "large_ms_per_resource_total": round(1000 * large["median_s"] / max(large["resources"], 1), 2),
        # Largest resident set of any measured process (the large plan, in practice).
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }
    results["figures"] = figures
    results["targets"] = TARGETS
    results["met"] = {name: figures[name] <= limit for name, limit in TARGETS.items()}
    for kind in ("floor", "dev", "prod", "large"):
        r = results[kind]
        print(
            f"{kind:6} median {r['median_s']:.3f} s over {r['runs']} runs"
            + (f", {r['resources']} resources" if r["resources"] else "")
        )
    for name, value in figures.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else f" (target <= {target}: {'met' if value <= target else 'MISSED'})"
        print(f"{name}: {value}{verdict}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"written: {RESULTS.relative_to(PROJECT_DIR)}")
    return 0 if all(results["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
