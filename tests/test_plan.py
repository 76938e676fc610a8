"""The offline plan: resources.json shape, determinism, secrets, and the Pulumi.yaml rules the CLI enforces."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.list_prices import LIST_PRICES
from components.outputs import cost_sheet
from components.settings import ConfigError, Settings, settings_from_config
from offline.__main__ import main as plan_main
from offline.artefacts import request_flow_mermaid
from offline.bench import large_config
from offline.bench import main as bench_main
from offline.engine import PROJECT_DIR, PlanResult, stack_config
from offline.fixed_costs import cost_lines, fixed_cost_markdown
from tests.conftest import of_type, plan_for, with_overrides

ROOT = PROJECT_DIR
CLI_TYPES = {"string", "integer", "boolean", "array"}


def _project() -> dict[str, Any]:
    project: dict[str, Any] = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    return project


def _stack_keys(stack: str) -> set[str]:
    return set(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"])


def test_pulumi_yaml_declares_only_types_the_cli_accepts() -> None:
    declared = _project()["config"]
    assert declared, "Pulumi.yaml declares no config key"
    for key, decl in declared.items():
        assert decl.get("description"), f"{key} needs a description"
        if "type" in decl:
            assert decl["type"] in CLI_TYPES, f"{key}: type {decl['type']} breaks older CLIs"
            if decl["type"] == "array":
                assert decl.get("items", {}).get("type") in CLI_TYPES, f"{key}: arrays need items"
        if "default" in decl and "type" in decl:
            python_type = {"string": str, "integer": int, "boolean": bool, "array": list}[decl["type"]]
            assert isinstance(decl["default"], python_type), f"{key}: default is not a {decl['type']}"


def test_every_setting_is_declared_and_defaults_agree() -> None:
    declared = _project()["config"]
    fields = {info.alias: info for info in Settings.model_fields.values()}
    assert set(declared) == set(fields)
    for key, decl in declared.items():
        if fields[key].is_required():
            assert "default" not in decl, f"{key}: required by the model, so Pulumi.yaml must not default it"
        if "default" in decl:
            expected = fields[key].default
            expected = list(expected) if isinstance(expected, tuple) else expected
            assert decl["default"] == expected, f"{key}: Pulumi.yaml default differs from components/settings/"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_keys_without_default_are_set_in_every_stack(stack: str) -> None:
    keys = _stack_keys(stack)
    without_default = [key for key, decl in _project()["config"].items() if "default" not in decl]
    assert "owner" in without_default, "the owner has no safe default, so Pulumi.yaml must not give one"
    for key in without_default:
        assert f"aoai-gateway:{key}" in keys, f"Pulumi.{stack}.yaml must set {key}"


def test_stack_files_carry_the_same_keys() -> None:
    assert _stack_keys("dev") == _stack_keys("prod")
    assert _stack_keys("dev") == {f"aoai-gateway:{k}" for k in _project()["config"]}


@pytest.mark.parametrize("fixture", ["dev_plan", "prod_plan"])
def test_resources_json_shape(fixture: str, request: pytest.FixtureRequest) -> None:
    result: PlanResult = request.getfixturevalue(fixture)
    resources = result.resources()
    assert resources, "the plan declares resources"
    assert [r["urn"] for r in resources] == sorted(r["urn"] for r in resources)
    urns = {r["urn"] for r in resources}
    for res in resources:
        assert set(res) == {"urn", "type", "name", "parent", "dependsOn", "inputs"}
        assert res["urn"].startswith(f"urn:pulumi:{result.stack}::aoai-gateway::")
        assert res["urn"].endswith("::" + res["name"])
        assert res["dependsOn"] == sorted(res["dependsOn"])
        assert all(dep in urns for dep in res["dependsOn"]), f"{res['urn']} depends on an undeclared resource"
        assert res["parent"] in urns or res["parent"].endswith("::pulumi:pulumi:Stack::aoai-gateway-" + result.stack)
        json.dumps(res["inputs"])  # plain JSON


def test_every_azure_resource_is_parented_to_a_component(dev_plan: PlanResult) -> None:
    by_urn = {r["urn"]: r for r in dev_plan.resources()}
    azure = [res for res in by_urn.values() if res["type"].startswith("azure-native:")]
    assert azure, "the dev plan declares no Azure resource"
    for res in azure:
        assert by_urn.get(res["parent"], {}).get("type", "").startswith("aoai-gateway:"), res["urn"]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_is_byte_identical_on_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_main(["--stack", "dev", "--out", str(tmp_path / "a")]) == 0
    first_summary = capsys.readouterr().out
    assert plan_main(["--stack", "dev", "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().out == first_summary
    first, second = _tree(tmp_path / "a" / "dev"), _tree(tmp_path / "b" / "dev")
    assert first == second
    for name in ("resources.json", "outputs.json", "policy-report.json", "architecture.md", "costs.md", "summary.md"):
        assert name in first
    assert "nothing was deployed" in first_summary
    assert len(first_summary.splitlines()) <= 24, "the summary fits on one screen"


def test_secret_config_values_stand_in_as_secret(tmp_path: Path) -> None:
    """`pulumi config set --secret --path` writes ciphertext the plan cannot read: it plans with "[secret]"."""
    stack_file = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    stack_file["config"]["aoai-gateway:monitoring"]["alertWebhooks"] = {"pagerduty": {"secure": "v1:AAAA"}}
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack_file))
    values = stack_config("prod", tmp_path)
    assert values["aoai-gateway:monitoring"]["alertWebhooks"] == {"pagerduty": "[secret]"}
    result = plan_for("prod", values)
    (group,) = [r for r in result.resources() if r["type"].endswith("monitor:ActionGroup")]
    assert "v1:AAAA" not in json.dumps(result.resources())
    (receiver,) = group["inputs"]["webhookReceivers"]
    assert receiver["name"] == "pagerduty" and receiver["serviceUri"] == "[secret]"


def test_cost_sheet_turns_limits_into_currency() -> None:
    sheet = cost_sheet("prod", settings_from_config(stack_config("prod")))
    assert "| `gpt-5.4` | gpt-5.4 | 0.00275 | 0.0165 |" in sheet
    assert "| `text-embedding-3-small` | text-embedding-3-small | 0.000022 | 0 |" in sheet
    # 50,000 tokens a minute at the dearest price (0.0165 per 1,000): 49.50 per hour; the quota caps a month at 825.
    assert "| `partner` | 50,000 | 50,000,000 Monthly | 800.00 USD | 49.50 USD/hour; 825.00 USD/Monthly |" in sheet


def test_cost_sheet_shows_each_teams_worst_month() -> None:
    sheet = cost_sheet("prod", settings_from_config(stack_config("prod")))
    # marketing-copilot has no limits of its own: partner's quota caps its subscription at 50M tokens, 825.00.
    assert (
        "| `marketing-copilot` | marketing-apps@contoso.com | key | product partner: 120 requests per 60s, "
        "50,000 tokens per minute, 50,000,000 tokens monthly | 400.00 USD | 825.00 USD |"
    ) in sheet
    # support-bot: 60,000 tokens a minute for a 31-day month at 0.0165 per 1,000.
    assert (
        f"| own: 60,000 tokens per minute | 1,500.00 USD | {60_000 * 31 * 24 * 60 / 1000 * 0.0165:,.2f} USD |" in sheet
    )


def _fixed_rows(stack: str, **overrides: Any) -> dict[str, tuple[str, float]]:
    """Price key -> (quantity, USD per month) from the fixed-cost table of a planned stack."""
    values = with_overrides(stack, **overrides) if overrides else stack_config(stack)
    settings = settings_from_config(values)
    table = fixed_cost_markdown(plan_for(stack, values).resources(), settings.infrastructure_prices)
    rows: dict[str, tuple[str, float]] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 4 and cells[1].startswith("`"):
            key = cells[1].split("`")[1]
            quantity, amount = rows.get(key, ("0", 0.0))
            rows[key] = (str(float(quantity) + float(cells[2])), amount + float(cells[3].replace(",", "")))
    assert rows, "the table has priced rows"
    total = next(line for line in table.splitlines() if line.startswith("| **Total**"))
    assert float(total.split("**")[3].replace(",", "")) == pytest.approx(sum(a for _, a in rows.values()))
    return rows


def test_fixed_costs_price_what_the_plan_declares() -> None:
    prod = _fixed_rows("prod")
    assert prod["apim.PremiumV2"] == ("2.0", 5600.0)
    assert prod["ptu.DataZoneProvisionedManaged"] == ("15.0", 15 * 803.0), "PTUs bill by the hour, used or not"
    assert prod["appGateway.reservedInstance"] == ("2.0", 210.24), "autoscale minimum 2"
    assert prod["privateEndpoint"][0] == str(float(len(of_type(plan_for("prod"), "network:PrivateEndpoint"))))
    dev = _fixed_rows("dev")
    assert dev["apim.Developer"] == ("1.0", 48.03)
    assert not {"appGateway.WAF_v2", "privateEndpoint", "ptu.DataZoneProvisionedManaged"} & set(dev)


def test_a_stack_can_price_its_own_region() -> None:
    rows = _fixed_rows("prod", infrastructurePrices={"apim.PremiumV2": 3220})
    assert rows["apim.PremiumV2"] == ("2.0", 6440.0)


def test_an_unknown_price_key_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_config(with_overrides("prod", infrastructurePrices={"apim.PremiumV3": 1}))
    assert str(caught.value).startswith("aoai-gateway:infrastructurePrices.apim.PremiumV3 = 1.0: not a price key; ")
    assert str(caught.value).endswith("did you mean 'apim.PremiumV2'?")


def test_classic_premium_pays_for_its_units_in_every_region() -> None:
    service = {
        "type": "azure-native:apimanagement:ApiManagementService",
        "inputs": {
            "sku": {"name": "Premium", "capacity": 2},
            "additionalLocations": [{"location": "francecentral", "sku": {"name": "Premium", "capacity": 1}}],
        },
    }
    lines = cost_lines([service])
    assert [(line.price_key, line.quantity) for line in lines] == [("apim.Premium", 2), ("apim.Premium", 1)]


def test_every_list_price_names_its_source() -> None:
    assert LIST_PRICES
    for key, price in LIST_PRICES.items():
        assert price.monthly_usd > 0 and price.source and price.per, key


def test_the_program_imports_only_its_runtime_requirements() -> None:
    """`pulumi up` installs requirements.txt alone: no module of the program may need a development package."""
    runtime = {line.split("==")[0].lower() for line in (ROOT / "requirements.txt").read_text().split() if "==" in line}
    dev_only = {
        line.split("==")[0].lower().replace("-", "_")
        for line in (ROOT / "requirements-dev.txt").read_text().split()
        if "==" in line and line.split("==")[0].lower() not in runtime
    }
    assert "pulumi_policy" in dev_only
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "components").rglob("*.py")
    )
    assert "components.apim.gateway" in modules
    probe = (
        "import importlib, sys\n"
        f"blocked = {sorted(dev_only)!r}\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in blocked:\n"
        "            raise ImportError(f'{name} is a development package')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for module in {modules!r}:\n"
        "    importlib.import_module(module)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr.strip().splitlines()[-1:]


def test_the_sdk_shortcuts_fit_the_pinned_sdk_and_change_nothing_in_the_plan() -> None:
    from offline import sdk_shortcuts
    from offline.engine import run_program

    assert sdk_shortcuts.missing() == [], "the pinned SDK still has every function the shortcuts replace"
    fast = run_program("prod")
    plain = run_program("prod", shortcuts=False)
    assert fast.resources(), "the plan declares resources"
    assert json.dumps(fast.resources(), sort_keys=True) == json.dumps(plain.resources(), sort_keys=True)
    # The mock's answers feed the stack outputs (endpoints, ids, IPs), so they are compared as well.
    assert fast.outputs, "the plan has stack outputs"
    assert json.dumps(fast.outputs, sort_keys=True) == json.dumps(plain.outputs, sort_keys=True)


def test_an_sdk_without_what_a_shortcut_replaces_takes_the_plain_path(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pulumi.resource

    from offline import sdk_shortcuts

    original = pulumi.resource.collapse_alias_to_urn
    monkeypatch.delattr(pulumi.resource, "collapse_alias_to_urn")
    monkeypatch.setattr(sdk_shortcuts, "_noticed", False)
    assert sdk_shortcuts.missing() == ["pulumi.resource.collapse_alias_to_urn"]
    with sdk_shortcuts.applied() as fast:
        assert fast is False
        assert not hasattr(pulumi.resource, "collapse_alias_to_urn"), "nothing was replaced"
        from pulumi.runtime import resource as runtime_resource

        assert runtime_resource.prepare_aliases.__module__ == "pulumi.runtime.resource"
    notice = capsys.readouterr().err
    assert notice.count("\n") == 1 and "planning without the SDK shortcuts" in notice
    monkeypatch.setattr(pulumi.resource, "collapse_alias_to_urn", original, raising=False)
    with sdk_shortcuts.applied() as fast:
        assert fast is True
        assert pulumi.resource.collapse_alias_to_urn is not original
    assert pulumi.resource.collapse_alias_to_urn is original, "the originals come back after the plan"


def test_a_changed_sdk_method_is_named_with_its_class(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime.mocks import MockMonitor

    from offline import sdk_shortcuts

    monkeypatch.setattr(MockMonitor, "RegisterResource", lambda self, request, context: None)
    assert sdk_shortcuts.missing() == ["pulumi.runtime.mocks.MockMonitor.RegisterResource"]


def test_a_plan_process_leaves_its_objects_to_the_exit() -> None:
    import gc

    from offline.engine import one_plan_process

    assert gc.isenabled(), "the test session collects as usual"
    try:
        with one_plan_process():
            assert not gc.isenabled(), "no collection while the plan runs"
        assert not gc.isenabled() and gc.get_freeze_count() > 0, "what is left is frozen, out of the exit's collection"
    finally:
        gc.unfreeze()
        gc.enable()


def test_architecture_shows_how_a_request_flows() -> None:
    prod = "\n".join(request_flow_mermaid(plan_for("prod").resources()))
    assert "client --> edge" in prod and "edge --> apim" in prod and "WAF Prevention" in prod
    assert '[/"/openai"/]' in prod and '[/"/openai/v1"/]' in prod, "both API surfaces"
    members = settings_from_config(stack_config("prod")).openai_backends
    # Each surface's pool reaches every account, labelled with its priority and weight.
    for backend in members.values():
        label = f'-- "priority {backend.priority}, weight {backend.weight}" -->'
        assert prod.count(label) >= 2
    assert prod.count('-- "priority') == 2 * len(members)
    assert "Entra ID token" in prod and "Azure AI Content Safety" in prod
    dev = "\n".join(request_flow_mermaid(plan_for("dev").resources()))
    assert "client --> apim" in dev and "edge" not in dev and "Entra ID" not in dev


@pytest.mark.parametrize(
    ("frequency", "key"),
    [
        ("PT1M", "alert.logEvery1m"),
        ("PT2M", "alert.logEvery5m"),
        ("PT10M", "alert.logEvery10m"),
        ("PT1H", "alert.logEvery15mOrMore"),
        ("P1D", "alert.logEvery15mOrMore"),
    ],
)
def test_log_alerts_are_priced_by_how_often_they_run(frequency: str, key: str) -> None:
    rule = {"type": "azure-native:monitor:ScheduledQueryRule", "inputs": {"evaluationFrequency": frequency}}
    assert [line.price_key for line in cost_lines([rule])] == [key]


@pytest.mark.parametrize(("minimum", "reserved"), [(0, {}), (3, {"appGateway.reservedInstance": 3})])
def test_an_application_gateway_reserves_its_autoscale_minimum(minimum: int, reserved: dict[str, int]) -> None:
    # The edge declares no fixed-size gateway: test_edge checks it always autoscales between the settings' bounds.
    gateway = {
        "type": "azure-native:network:ApplicationGateway",
        "inputs": {"sku": {"name": "WAF_v2"}, "autoscaleConfiguration": {"minCapacity": minimum, "maxCapacity": 10}},
    }
    lines = {line.price_key: line.quantity for line in cost_lines([gateway])}
    assert lines == {"appGateway.WAF_v2": 1, **reserved}


def test_the_benchmarks_large_config_is_a_valid_stack() -> None:
    """make bench plans it; a settings rule it breaks would only show there, after the fact."""
    settings = settings_from_config(large_config())
    assert (len(settings.openai_backends), len(settings.products), len(settings.teams)) == (30, 50, 20)
    assert sum(team.entra is not None for team in settings.teams.values()) == 10


@pytest.mark.parametrize("runs", ["0", "-1", "two"])
def test_the_benchmark_refuses_a_run_count_it_cannot_take_a_median_of(
    runs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        bench_main(["--runs", runs])
    assert exited.value.code == 2
    assert f"argument --runs: expected a whole number of runs, 1 or more; got '{runs}'" in capsys.readouterr().err
