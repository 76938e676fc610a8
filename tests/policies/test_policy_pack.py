"""The pack as a deliverable: rule metadata, coverage, per-stack config, rules reference, CLI files."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from policies.offline import load_config
from policies.readme_table import render_rules_table
from policies.rules.catalogue import RULES, build_policies

PACK = Path(__file__).resolve().parents[2] / "policies"
# Every resource type the program declares (ARCHITECTURE.md and the offline plan).
DECLARED_TYPES = [
    f"azure-native:{token}"
    for token in (
        "resources:ResourceGroup",
        "cognitiveservices:Account",
        "cognitiveservices:Deployment",
        "keyvault:Vault",
        "keyvault:Secret",
        "authorization:RoleAssignment",
        "managedidentity:UserAssignedIdentity",
        "apimanagement:ApiManagementService",
        "apimanagement:Api",
        "apimanagement:ApiPolicy",
        "apimanagement:NamedValue",
        "apimanagement:Backend",
        "apimanagement:Product",
        "apimanagement:ProductApiLink",
        "apimanagement:ProductPolicy",
        "apimanagement:Subscription",
        "apimanagement:Logger",
        "apimanagement:ApiDiagnostic",
        "apimanagement:Diagnostic",
        "network:VirtualNetwork",
        "network:Subnet",
        "network:NetworkSecurityGroup",
        "network:PublicIPAddress",
        "network:ApplicationGateway",
        "network:WebApplicationFirewallPolicy",
        "network:PrivateEndpoint",
        "network:PrivateDnsZoneGroup",
        "privatedns:PrivateZone",
        "privatedns:VirtualNetworkLink",
        "privatedns:PrivateRecordSet",
        "operationalinsights:Workspace",
        "applicationinsights:Component",
        "applicationinsights:Workbook",
        "monitor:DiagnosticSetting",
        "monitor:ActionGroup",
        "monitor:MetricAlert",
        "monitor:ScheduledQueryRule",
    )
]
SOURCE = re.compile(
    r"^(Checkov CKV2?_AZURE_\d+|Azure Policy [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def test_pack_has_at_least_forty_uniquely_named_rules():
    names = [rule.name for rule in RULES]
    assert len(names) >= 40
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name) for name in names)


@pytest.mark.parametrize("declared", DECLARED_TYPES)
def test_every_declared_type_is_checked_by_some_rule(declared):
    assert any(declared in rule.resource_types for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_rule_metadata_is_complete(rule):
    assert rule.summary.endswith(".") and rule.remediation.strip()
    assert rule.concern in {
        "openai",
        "identity-and-secrets",
        "apim-gateway",
        "network-exposure",
        "monitoring",
        "tagging-and-naming",
    }


def test_rule_sources_are_well_formed_and_named_in_the_description():
    sourced = [rule for rule in RULES if rule.sources]
    assert sourced, "no rule names the Checkov or Azure Policy check it mirrors"
    for rule in sourced:
        assert all(SOURCE.match(source) for source in rule.sources), (rule.name, rule.sources)
        assert all(source in rule.description for source in rule.sources), rule.name


def test_every_config_property_has_a_safe_default():
    configurable = [rule for rule in RULES if rule.config_schema]
    assert configurable, "no rule takes config: the check below would pass on nothing"
    for rule in configurable:
        for key, schema in rule.config_schema.items():
            assert "default" in schema, f"{rule.name}.{key}: every config property needs a safe default"


def test_always_advisory_rules_say_why():
    advisory = [rule for rule in RULES if rule.enforcement is EnforcementLevel.ADVISORY]
    assert {rule.name for rule in advisory} == {"apim-public-network-access-disabled", "keyvault-secret-expiry"}
    for rule in advisory:
        assert "Advisory everywhere:" in rule.summary, f"{rule.name}: an always-advisory rule says why"


def test_policies_carry_the_rule_metadata():
    policies = build_policies()
    assert policies, "the pack builds no policy"
    assert [policy.name for policy in policies] == [rule.name for rule in RULES]
    for rule, policy in zip(RULES, policies, strict=True):
        assert isinstance(policy, StackValidationPolicy if rule.stack_rule else ResourceValidationPolicy)
        assert policy.enforcement_level is rule.enforcement
        assert policy.severity is rule.severity
        assert policy.remediation_steps == rule.remediation
        assert policy.tags == [rule.concern]
        assert policy.description == rule.description
        assert (policy.config_schema is None) == (not rule.config_schema)


@pytest.mark.parametrize("environment", ["dev", "test", "prod"])
def test_config_file_enforcement_matches_the_rule_definitions(environment):
    config = load_config(f"any-{environment}-stack", environment=environment)
    levels = {name: entry["enforcementLevel"] for name, entry in config.items()}
    assert levels, f"policies/config/{environment}.json reconciles to no rule"
    assert levels == {rule.name: rule.enforcement_for(environment).value for rule in RULES}


def test_prod_is_mandatory_except_the_rules_advisory_by_nature():
    advisory = {rule.name for rule in RULES if rule.enforcement_for("prod") is not EnforcementLevel.MANDATORY}
    assert advisory == {"apim-public-network-access-disabled", "keyvault-secret-expiry"}


def test_rules_reference_lists_every_rule():
    reference = (PACK.parent / "docs" / "policy-rules.md").read_text(encoding="utf-8")
    table = render_rules_table().strip()
    # Header, separator and one row per rule: an empty table would be "in" any document.
    assert len(table.splitlines()) == 2 + len(RULES)
    assert table in reference
    assert all(f"`{rule.name}`" in reference for rule in RULES)


def test_pulumi_policy_manifest_and_requirements():
    manifest = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert manifest["runtime"]["name"] == "python"
    assert manifest["runtime"]["options"]["virtualenv"] == "venv"
    requirements = (PACK / "requirements.txt").read_text(encoding="utf-8").split()
    assert sorted(requirements) == ["pulumi-policy==1.21.0", "pulumi==3.272.0"]


def test_main_only_builds_the_policy_pack():
    tree = ast.parse((PACK / "__main__.py").read_text(encoding="utf-8"))
    statements = [node for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom))]
    assert len(statements) == 2  # docstring, PolicyPack(...)
    statement = statements[1]
    assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
    call = statement.value
    assert isinstance(call.func, ast.Name) and call.func.id == "PolicyPack"
    assert {keyword.arg for keyword in call.keywords} == {"name", "policies", "enforcement_level"}


def test_pack_never_imports_the_provider_sdk():
    sources = sorted(PACK.rglob("*.py"))
    assert PACK / "rules" / "catalogue.py" in sources, f"no pack sources found under {PACK}"
    offenders = [str(path) for path in sources if "pulumi_azure_native" in path.read_text(encoding="utf-8")]
    assert offenders == []


def test_rules_import_as_a_top_level_package_like_under_the_cli():
    # The CLI runs policies/__main__.py with policies/ first on sys.path.
    result = subprocess.run(
        [sys.executable, "-c", "from rules.catalogue import build_policies; print(len(build_policies()))"],
        cwd=PACK,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout) == len(RULES)
