"""The offline runner behaves like the engine: config reconciliation, unknowns, stack rules, report."""

import dataclasses
import json
import random
import shutil
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, PolicyResource
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, _DictProxy

from policies import offline
from policies.offline import PolicyConfigError, evaluate, has_mandatory_violation, load_config, main, write_report
from policies.rules.catalogue import RULES, RULES_BY_NAME, build_policies
from tests.policies.plan_resources import plan_resource

VAULT_URN = "urn:pulumi:prod::aoai-gateway::azure-native:keyvault:Vault::kv"


def _vault(**properties):
    return plan_resource("azure-native:keyvault:Vault", "kv", {"vaultName": "kv-test", "properties": properties})


def _only(monkeypatch, name, check):
    """Make evaluate() run just `name`, with its check replaced by `check`."""
    rule = dataclasses.replace(RULES_BY_NAME[name], check=check)
    monkeypatch.setattr(offline, "build_policies", lambda: [rule.to_policy()])


def test_checks_read_the_schema_default_of_every_key_the_engine_leaves_out():
    # Checks read config[key]: the rule model fills in what the engine does not pass. Here pulumi-policy's own
    # analyzer servicer is configured with minimumDays alone, so maximumDays can only come from the schema.
    servicer = _PolicyAnalyzerServicer("aoai-gateway", "0.0.1", build_policies(), EnforcementLevel.MANDATORY)
    configure = analyzer_pb2.ConfigureAnalyzerRequest()
    configure.policyConfig["monitoring-workspace-retention"].enforcementLevel = analyzer_pb2.MANDATORY
    configure.policyConfig["monitoring-workspace-retention"].properties.update({"minimumDays": 60})
    servicer.Configure(configure, None)
    properties = struct_pb2.Struct()
    properties.update({"retentionInDays": 800})
    request = analyzer_pb2.AnalyzeRequest(
        type="azure-native:operationalinsights:Workspace", properties=properties, urn="urn:ws", name="ws"
    )
    messages = [
        diagnostic.message.rsplit("\n", 1)[-1]
        for diagnostic in servicer.Analyze(request, None).diagnostics
        if diagnostic.policyName == "monitoring-workspace-retention"
    ]
    assert messages == ["retentionInDays is 800; this stack keeps logs between 60 and 730 days."]


def _config_file(tmp_path, content):
    path = tmp_path / "pack-config.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_unknown_input_skips_only_the_rule_that_reads_it(rule_result):
    account = plan_resource(
        "azure-native:cognitiveservices:Account",
        "oai",
        {"identity": {"type": "SystemAssigned"}, "properties": {"disableLocalAuth": UNKNOWN_BOOLEAN_VALUE}},
    )
    report = evaluate([account], stack="prod")
    local_auth = rule_result(report, "openai-local-auth-disabled")
    assert local_auth["violations"] == []
    assert local_auth["skipped"] == [
        {
            "urn": account["urn"],
            "message": "can't run policy 'openai-local-auth-disabled' during preview: "
            "boolean value at .properties.disableLocalAuth can't be known during preview",
        }
    ]
    assert rule_result(report, "openai-managed-identity")["violations"] == []
    assert rule_result(report, "openai-custom-subdomain")["violations"]


def test_stack_rule_matches_unknown_resource_uri_through_dependencies(rule_result):
    vault = _vault()
    setting = plan_resource(
        "azure-native:monitor:DiagnosticSetting",
        "diag",
        {"resourceUri": UNKNOWN_STRING_VALUE},
        depends_on=[vault["urn"]],
    )
    entry = rule_result(evaluate([vault, setting], stack="prod"), "monitoring-diagnostic-settings-coverage")
    assert entry["violations"] == [] and entry["skipped"] == []

    unrelated = {**setting, "dependsOn": []}
    entry = rule_result(evaluate([vault, unrelated], stack="prod"), "monitoring-diagnostic-settings-coverage")
    assert entry["violations"] == []
    assert entry["skipped"][0]["urn"] == ""
    assert "string value at .resourceUri can't be known during preview" in entry["skipped"][0]["message"]


def test_rules_get_proxied_props_and_float_config_like_under_the_engine(monkeypatch):
    seen: dict[str, Any] = {}

    def spy(args, config):
        seen.update(props=args.props, config=config, name=args.name, type=args.resource_type)
        return ()

    _only(monkeypatch, "keyvault-soft-delete-retention", spy)
    evaluate([_vault(softDeleteRetentionInDays=90)], stack="prod")
    assert isinstance(seen["props"], _DictProxy)
    days = seen["props"]["properties"]["softDeleteRetentionInDays"]
    assert days == 90 and isinstance(days, float)
    assert seen["config"] == {"minimumDays": 90.0, "maximumDays": 90.0}
    assert all(isinstance(value, float) for value in seen["config"].values())
    assert (seen["name"], seen["type"]) == ("kv", "azure-native:keyvault:Vault")


def test_stack_rule_runs_once_on_every_resource_with_parents_and_dependencies(monkeypatch, hardened_resources):
    calls = []

    def spy(resources, config):
        calls.append(resources)
        return ()

    _only(monkeypatch, "private-endpoint-dns-zone-group", spy)
    evaluate(hardened_resources, stack="prod")
    assert len(calls) == 1
    resources = calls[0]
    assert len(resources) == len(hardened_resources)
    assert all(isinstance(resource, PolicyResource) for resource in resources)
    group = next(r for r in resources if r.name == "pe-kv-aoai-prod-swc-dns")
    assert group.parent.name == "pe-kv-aoai-prod-swc"
    assert {d.name for d in group.dependencies} == {"pe-kv-aoai-prod-swc", "privatelink.vaultcore.azure.net"}


def test_violations_reported_by_a_stack_rule_keep_their_urn(monkeypatch, rule_result):
    _only(monkeypatch, "apim-api-rate-limited", lambda resources, config: [(None, "stack-wide"), (VAULT_URN, "one")])
    entry = rule_result(evaluate([_vault()], stack="prod"), "apim-api-rate-limited")
    assert entry["violations"] == [{"urn": "", "message": "stack-wide"}, {"urn": VAULT_URN, "message": "one"}]


def test_schema_defaults_apply_when_the_stack_has_no_config_file(rule_result):
    config = load_config("qa")
    assert {name: entry["enforcementLevel"] for name, entry in config.items()} == {
        rule.name: rule.enforcement.value for rule in RULES
    }
    assert config["openai-model-allow-list"]["properties"] == {"allowedModels": []}
    deployment = plan_resource(
        "azure-native:cognitiveservices:Deployment",
        "gpt",
        {"properties": {"model": {"name": "gpt-4o", "version": "1"}}},
    )
    report = evaluate([deployment], stack="qa")
    assert report["config"] is None
    [violation] = rule_result(report, "openai-model-allow-list")["violations"]
    assert "allowedModels is empty" in violation["message"]


def test_config_file_all_then_per_rule_levels_and_properties(tmp_path, rule_result, weakened_resources):
    path = _config_file(
        tmp_path,
        {
            "all": "advisory",
            "openai-model-allow-list": {"enforcementLevel": "mandatory", "allowedModels": ["gpt-35-turbo"]},
            "waf-policy-enabled": "disabled",
            "tags-required": {"tagValues": {"environment": "dev"}},
        },
    )
    report = evaluate(weakened_resources, stack="prod", config_path=path)
    levels = {entry["name"]: entry["enforcementLevel"] for entry in report["rules"]}
    assert levels["openai-model-allow-list"] == "mandatory"
    assert levels["waf-policy-enabled"] == "disabled"
    assert {
        level for name, level in levels.items() if name not in ("openai-model-allow-list", "waf-policy-enabled")
    } == {"advisory"}
    assert rule_result(report, "openai-model-allow-list")["violations"] == []
    assert rule_result(report, "waf-policy-enabled")["violations"] == []
    tag_messages = [v["message"] for v in rule_result(report, "tags-required")["violations"]]
    assert tag_messages == ["tags lack owner; pass the stack's standard tags to every taggable resource."]
    assert not has_mandatory_violation(report)


def test_remediate_level_is_enforced_as_mandatory(tmp_path, weakened_resources, rule_result):
    path = _config_file(tmp_path, {"all": "advisory", "waf-policy-enabled": "remediate"})
    report = evaluate(weakened_resources, stack="prod", config_path=path)
    assert rule_result(report, "waf-policy-enabled")["enforcementLevel"] == "mandatory"
    assert has_mandatory_violation(report)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"keyvault-soft-delete-retention": {"minimumDays": "ninety"}},
            "keyvault-soft-delete-retention: minimumDays: 'ninety' is not of type 'integer'",
        ),
        (
            {"keyvault-soft-delete-retention": {"maximumDays": 365}},
            "maximumDays: 365 is greater than the maximum of 90",
        ),
        (
            {"apim-vnet-mode": {"allowedVirtualNetworkTypes": ["Private"]}},
            "allowedVirtualNetworkTypes[0]: 'Private' is not one of",
        ),
        ({"tags-required": {"tagValues": {"environment": 1}}}, "tagValues.environment: 1 is not of type 'string'"),
        ({"keyvault-purge-protecton": "advisory"}, "'keyvault-purge-protecton' is not a rule of the aoai-gateway pack"),
        ({"waf-prevention-mode": "warn"}, "enforcementLevel 'warn' is not one of"),
        ({"waf-prevention-mode": 3}, "expected an enforcement level string or an object"),
        ([], "expected a JSON object keyed by rule name"),
    ],
)
def test_invalid_config_names_the_rule_and_key(tmp_path, content, expected):
    with pytest.raises(PolicyConfigError) as error:
        load_config("prod", _config_file(tmp_path, content))
    assert expected in str(error.value)
    assert "pack-config.json" in str(error.value)


def test_missing_explicit_config_file_is_an_error(tmp_path):
    with pytest.raises(PolicyConfigError, match="does not exist"):
        load_config("prod", tmp_path / "nope.json")


def test_redacted_secret_makes_a_rule_not_applicable_instead_of_failing(rule_result):
    secret = plan_resource("azure-native:keyvault:Secret", "tls", {"properties": "[secret]"})
    entry = rule_result(evaluate([secret], stack="prod"), "keyvault-secret-content-type")
    assert entry["violations"] == []
    assert entry["notApplicable"] == [
        {
            "urn": secret["urn"],
            "reason": "properties is redacted as a secret in this plan, so it cannot be checked offline",
        }
    ]


def test_has_mandatory_violation_ignores_advisory_findings(hardened_resources, weakened_resources):
    hardened = evaluate(hardened_resources, stack="prod")
    assert hardened["summary"]["advisoryViolations"] == 1
    assert not has_mandatory_violation(hardened)
    assert has_mandatory_violation(evaluate(weakened_resources, stack="prod"))


def test_report_is_deterministic_whatever_the_input_order(tmp_path, weakened_resources):
    shuffled = list(weakened_resources)
    random.Random(7).shuffle(shuffled)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_report(evaluate(weakened_resources, stack="prod"), first)
    write_report(evaluate(shuffled, stack="prod"), second)
    assert first.read_bytes() == second.read_bytes()
    report = json.loads(first.read_text(encoding="utf-8"))
    assert [rule["name"] for rule in report["rules"]] == sorted(rule.name for rule in RULES)
    assert report["policyPack"] == "aoai-gateway" and report["stack"] == "prod"
    assert report["config"] == "policies/config/prod.json"
    ordered = [rule for rule in report["rules"] if len(rule["violations"]) > 1]
    assert ordered, "no rule reports two violations, so their order is never checked"
    for rule in ordered:
        assert rule["violations"] == sorted(rule["violations"], key=lambda v: (v["urn"], v["message"])), rule["name"]
    assert (
        report["summary"]["mandatoryViolations"] + report["summary"]["advisoryViolations"]
        == report["summary"]["violations"]
    )


def test_main_writes_the_report_and_exits_non_zero_on_a_mandatory_violation(
    tmp_path, capsys, hardened_resources, weakened_resources
):
    for name, resources, code in (("hardened", hardened_resources, 0), ("weakened", weakened_resources, 1)):
        plan = tmp_path / f"{name}.json"
        plan.write_text(json.dumps(resources), encoding="utf-8")
        out = tmp_path / name / "policy-report.json"
        assert main([str(plan), "--stack", "prod", "--out", str(out)]) == code
        assert json.loads(out.read_text(encoding="utf-8"))["stack"] == "prod"
    printed = capsys.readouterr().out
    assert "[mandatory] openai-local-auth-disabled oai-aoai-weak:" in printed


def test_main_reports_an_unusable_config_without_a_traceback(tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text("[]", encoding="utf-8")
    bad = _config_file(tmp_path, {"not-a-rule": "advisory"})
    assert main([str(plan), "--stack", "prod", "--config", str(bad), "--out", str(tmp_path / "r.json")]) == 2
    assert "not-a-rule" in capsys.readouterr().err


def test_offline_runner_agrees_with_the_sdk_analyzer_on_the_weakened_stack(weakened_resources):
    # Drive pulumi-policy's own analyzer servicer (what the CLI talks to over gRPC) with the
    # reconciled dev config and protobuf requests, and compare every diagnostic with the runner's.
    servicer = _PolicyAnalyzerServicer("aoai-gateway", "0.0.1", build_policies(), EnforcementLevel.MANDATORY)
    wire_level = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY}
    configure = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, entry in load_config("dev").items():
        policy_config = analyzer_pb2.PolicyConfig(enforcementLevel=wire_level[entry["enforcementLevel"]])
        policy_config.properties.update(entry["properties"])
        configure.policyConfig[name].CopyFrom(policy_config)
    servicer.Configure(configure, None)

    def struct(inputs):
        message = struct_pb2.Struct()
        message.update(inputs)
        return message

    descriptions = {rule.name: rule.description for rule in RULES}
    level_name = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory"}
    from_engine = []
    for resource in weakened_resources:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource["type"], properties=struct(resource["inputs"]), urn=resource["urn"], name=resource["name"]
        )
        for diagnostic in servicer.Analyze(request, None).diagnostics:
            from_engine.append(
                (diagnostic.policyName, resource["urn"], diagnostic.message, diagnostic.enforcementLevel)
            )
    stack_request = analyzer_pb2.AnalyzeStackRequest()
    for resource in weakened_resources:
        stack_request.resources.append(
            analyzer_pb2.AnalyzerResource(
                type=resource["type"],
                properties=struct(resource["inputs"]),
                urn=resource["urn"],
                name=resource["name"],
                dependencies=resource["dependsOn"],
            )
        )
    for diagnostic in servicer.AnalyzeStack(stack_request, None).diagnostics:
        from_engine.append((diagnostic.policyName, diagnostic.urn, diagnostic.message, diagnostic.enforcementLevel))

    engine = sorted(
        (name, urn, message.removeprefix(descriptions[name] + "\n"), level_name[level])
        for name, urn, message, level in from_engine
    )
    report = evaluate(weakened_resources, stack="dev")
    runner = sorted(
        (rule["name"], violation["urn"], violation["message"], rule["enforcementLevel"])
        for rule in report["rules"]
        for violation in rule["violations"]
    )
    # Both levels and a stack rule's findings, so every part of the comparison has something to compare.
    assert {level for *_, level in runner} == {"advisory", "mandatory"}
    assert any(name == "monitoring-diagnostic-settings-coverage" for name, *_ in runner)
    assert engine == runner


def _config_dir(tmp_path, monkeypatch, *names):
    """A pack config folder holding copies of the named files, in place of policies/config/."""
    folder = tmp_path / "config"
    folder.mkdir()
    for name in names:
        shutil.copy(offline.CONFIG_DIR / name, folder / name)
    monkeypatch.setattr(offline, "CONFIG_DIR", folder)
    return folder


def test_the_pack_config_follows_the_environment_not_the_stack_name(tmp_path, monkeypatch):
    folder = _config_dir(tmp_path, monkeypatch, "dev.json", "test.json", "prod.json")
    assert offline.pack_config_path("staging", "dev") == folder / "dev.json"
    assert offline.pack_config_path("prod", "test") == folder / "test.json"
    # Without an environment, the stack file's: Pulumi.prod.yaml says prod; no stack file means the rule defaults.
    assert offline.pack_config_path("prod") == folder / "prod.json"
    assert offline.pack_config_path("qa") is None


def test_a_stack_config_file_overrides_its_environments(tmp_path, monkeypatch, rule_result):
    folder = _config_dir(tmp_path, monkeypatch, "prod.json")
    own = json.loads((folder / "prod.json").read_text(encoding="utf-8"))
    own["locations-allowed"]["allowedLocations"].append("westeurope")
    (folder / "stack-eu.json").write_text(json.dumps(own), encoding="utf-8")
    assert offline.pack_config_path("eu", "prod") == folder / "stack-eu.json"
    assert offline.pack_config_path("other", "prod") == folder / "prod.json"
    account = plan_resource("azure-native:cognitiveservices:Account", "oai", {"location": "westeurope"})
    report = evaluate([account], stack="eu", environment="prod")
    assert report["config"] == (folder / "stack-eu.json").as_posix()
    assert rule_result(report, "locations-allowed")["violations"] == []
    assert rule_result(evaluate([account], stack="other", environment="prod"), "locations-allowed")["violations"]


def test_an_environment_without_a_pack_config_is_an_error(tmp_path, monkeypatch):
    folder = _config_dir(tmp_path, monkeypatch, "dev.json", "prod.json")
    with pytest.raises(PolicyConfigError) as error:
        offline.pack_config_path("qa", "test")
    assert str(error.value) == (
        f"{folder / 'test.json'}: no policy pack config for environment 'test' "
        f"(there is one for dev, prod; or add {folder / 'stack-qa.json'} for stack 'qa' alone)"
    )


def test_the_report_carries_the_values_each_rule_checked_against(rule_result):
    report = evaluate([], stack="prod", environment="prod")
    assert report["config"] == "policies/config/prod.json"
    assert rule_result(report, "keyvault-soft-delete-retention")["properties"] == {"minimumDays": 90, "maximumDays": 90}
    assert rule_result(report, "apim-api-https-only")["properties"] == {}


def test_main_takes_the_environment_for_a_stack_without_a_file(tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text("[]", encoding="utf-8")
    out = tmp_path / "report.json"
    assert main([str(plan), "--stack", "staging", "--environment", "test", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["config"] == "policies/config/test.json"
    assert "on stack staging" in capsys.readouterr().out
