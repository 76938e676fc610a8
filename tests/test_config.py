"""Stack settings: every class of bad input is refused with one line naming the key, value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from components.apim.spec import operation_ids
from components.settings import ConfigError, Settings, settings_from_config
from components.settings.reference import markdown_reference
from offline.__main__ import main as plan_main
from offline.engine import stack_config
from tests.conftest import with_overrides


def settings_for(stack: str, /, **overrides: Any) -> Settings:
    values = with_overrides(stack, **overrides)
    return settings_from_config(values)


def refused(stack: str = "dev", /, **overrides: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_for(stack, **overrides)
    message = str(caught.value)
    assert "\n" not in message, "errors are one line"
    return message


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_parse(stack: str) -> None:
    settings = settings_for(stack)
    assert settings.environment == stack
    assert settings.openai_backends and settings.products


def test_prod_is_hardened_by_its_values() -> None:
    prod = settings_for("prod")
    assert prod.apim.virtual_network_type == "Internal"
    assert prod.network.enabled and not prod.network.public_endpoints
    assert prod.edge.enabled and prod.edge.waf_mode == "Prevention"


def test_unknown_top_level_key_is_refused() -> None:
    message = refused(**{"locaton": "swedencentral"})
    assert "aoai-gateway:locaton" in message and "unknown setting" in message and "location" in message


def test_unknown_nested_key_is_refused() -> None:
    message = refused(apim={"skuu": "Premium"})
    assert "aoai-gateway:apim.skuu" in message and "publisherEmail" in message


def test_wrong_type_names_key_and_value() -> None:
    message = refused(apim={"capacity": "two"})
    assert message == "aoai-gateway:apim.capacity = 'two': expected a whole number"


def test_out_of_range_number() -> None:
    message = refused(monitoring={"retentionDays": 5})
    assert "aoai-gateway:monitoring.retentionDays = 5" in message and "30..730" in message


def test_out_of_range_map_entry_names_its_own_bounds() -> None:
    # A map entry's bounds are its own, not those of the setting holding the map (which has none).
    assert refused(infrastructurePrices={"apimPremiumV2Unit": -1}) == (
        "aoai-gateway:infrastructurePrices.apimPremiumV2Unit = -1: out of range; allowed 0..10000000"
    )
    message = refused("prod", teams={"marketing-copilot": {"contentSafety": {"categories": {"Hate": 9}}}})
    assert message.endswith("contentSafety.categories.Hate = 9: out of range; allowed 0..7")


def test_unknown_enum_value_lists_allowed() -> None:
    message = refused(apim={"sku": "Platinum"})
    assert "aoai-gateway:apim.sku = 'Platinum'" in message and "Developer, Basic, Standard, Premium" in message


def test_missing_required_key() -> None:
    values = with_overrides("dev")
    del values["aoai-gateway:owner"]
    with pytest.raises(ConfigError, match=r"aoai-gateway:owner: required setting is missing"):
        settings_from_config(values)


def test_internal_network_needs_a_sku_that_supports_it() -> None:
    assert refused("prod", apim={"sku": "StandardV2", "capacity": 1, "zoneRedundant": False}) == (
        "aoai-gateway:apim.virtualNetworkType = 'Internal': not available on StandardV2 "
        "(Developer: External/Internal, Premium: External/Internal, PremiumV2: Internal)"
    )


def test_capacity_checked_against_sku() -> None:
    assert "out of range for Developer; allowed 1..1" in refused(apim={"capacity": 2})


def test_model_sku_and_capacity() -> None:
    dep = "openaiBackends"
    assert "expected one of Standard, GlobalStandard" in refused(
        **{dep: {"swc": {"deployments": {"gpt-5.4-mini": {"sku": "Turbo"}}}}}
    )
    assert "allowed 1..100000" in refused(**{dep: {"swc": {"deployments": {"gpt-5.4-mini": {"capacity": 0}}}}})
    ptu = {"sku": "ProvisionedManaged", "capacity": 12}
    message = refused(**{dep: {"swc": {"deployments": {"gpt-5.4-mini": ptu}}}})
    assert "at least 15 PTUs in steps of 5" in message


def test_product_limits_must_be_positive_and_present() -> None:
    assert "aoai-gateway:products.internal.rateLimit.calls = 0" in refused(
        products={"internal": {"rateLimit": {"calls": 0}}}
    )
    assert "aoai-gateway:products.internal.tokensPerMinute = -5" in refused(
        products={"internal": {"tokensPerMinute": -5}}
    )
    message = refused(products={"internal": {"rateLimit": None, "tokensPerMinute": None, "tokenQuota": None}})
    assert "every product needs rateLimit, tokensPerMinute or tokenQuota" in message


def test_invalid_names_are_refused() -> None:
    assert "invalid name" in refused(products={"Bad_Name": {"displayName": "x", "rateLimit": {"calls": 1}}})


def test_lone_weight_is_meaningless() -> None:
    message = refused(openaiBackends={"swc": {"weight": 5}})
    assert "aoai-gateway:openaiBackends.swc.weight = 5" in message and "alone at priority 1" in message


def test_prod_public_access_needs_explicit_opt_in() -> None:
    message = refused("prod", network={"publicEndpoints": True})
    assert "unsafeAllowPublicAccessInProd" in message
    opted_in = settings_for("prod", network={"publicEndpoints": True, "unsafeAllowPublicAccessInProd": True})
    assert opted_in.network.public_endpoints


def test_subnets_overlap_and_size() -> None:
    assert "overlaps network.subnets.appGateway" in refused("prod", network={"subnets": {"apim": "10.20.0.0/27"}})
    assert "too small; needs /26 or larger" in refused("prod", network={"subnets": {"appGateway": "10.20.0.0/27"}})
    assert "must lie inside network.addressSpace" in refused("prod", network={"subnets": {"apim": "10.99.1.0/27"}})
    assert "expected an IPv4 CIDR" in refused("prod", network={"subnets": {"apim": "10.20.1.1/27"}})


def test_prod_needs_an_alert_receiver_and_valid_emails() -> None:
    assert "prod needs at least one alert receiver" in refused(
        "prod", monitoring={"alertEmails": [], "alertWebhooks": None}
    )
    assert "aoai-gateway:monitoring.alertEmails[0] = 'not-an-email'" in refused(
        monitoring={"alertEmails": ["not-an-email"]}
    )


def test_duplicate_list_entries() -> None:
    assert "duplicate entries" in refused(monitoring={"alertEmails": ["a@b.co", "a@b.co"]})


def test_unknown_location() -> None:
    assert "aoai-gateway:location = 'swedencentrl': not a known Azure region" in refused(location="swedencentrl")


def test_duplicate_yaml_keys_are_refused(tmp_path: Any) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: aoai-gateway\n")
    (tmp_path / "Pulumi.dup.yaml").write_text("config:\n  aoai-gateway:products:\n    internal: {}\n    internal: {}\n")
    with pytest.raises(ConfigError, match=r"Pulumi.dup.yaml:4: duplicate key 'internal'"):
        stack_config("dup", tmp_path)


def test_unknown_stack_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown stack 'qa'.*known stacks: dev, prod"):
        stack_config("qa")


def test_plan_exits_2_with_one_line_on_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_main(["--stack", "qa"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("config error: unknown stack 'qa'")


def test_missing_spec_is_refused_with_the_file_name() -> None:
    settings = settings_for("dev", v1SpecPath="specs/nope.json")
    with pytest.raises(ConfigError, match=r"^aoai-gateway:v1SpecPath: .*specs/nope.json: ") as caught:
        settings.api_specs()
    assert "\n" not in str(caught.value)


def test_operation_missing_from_the_spec_is_refused_with_a_suggestion() -> None:
    settings = settings_for("dev", apiOperations=["ChatCompletions_Create", "Embedding_Create"])
    with pytest.raises(ConfigError) as caught:
        settings.api_specs()
    assert str(caught.value).startswith(
        "aoai-gateway:apiOperations: specs/azure-openai-inference.json: unknown operationId(s): 'Embedding_Create' "
        "(did you mean 'Embeddings_Create'?); available: "
    )


def test_operations_are_matched_as_the_spec_spells_them() -> None:
    settings = settings_for("dev", v1Operations=["CreateResponse", "createchatcompletion"])
    document, _ = settings.api_specs()["v1"]
    assert operation_ids(document) == ["createResponse", "createChatCompletion"]


def test_pool_members_must_offer_the_same_deployments() -> None:
    message = refused("prod", openaiBackends={"paygo-frc": {"deployments": {"gpt-5.4": None}}})
    assert message.startswith("aoai-gateway:openaiBackends.paygo-frc.deployments = ")
    assert "lacks gpt-5.4, which other backends of the pool offer" in message


def test_edge_needs_the_certificate_vault() -> None:
    message = refused("prod", edge={"certificateKeyVaultId": ""})
    assert message.startswith("aoai-gateway:edge.certificateKeyVaultId = '': the HTTPS listener needs")
    assert refused("prod", edge={"certificateKeyVaultId": "kv-contoso-certs"}) == (
        "aoai-gateway:edge.certificateKeyVaultId = 'kv-contoso-certs': expected a Key Vault resource id: "
        "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>"
    )


def test_a_pool_needs_at_least_one_backend() -> None:
    values = with_overrides("dev")
    values["aoai-gateway:openaiBackends"] = {}
    with pytest.raises(
        ConfigError, match=r"aoai-gateway:openaiBackends = \{\}: at least one OpenAI backend is required"
    ):
        settings_from_config(values)


def test_names_that_differ_only_in_case_are_duplicates() -> None:
    deployment = {"model": "gpt-5.4-mini", "version": "2026-03-17"}
    message = refused(openaiBackends={"swc": {"deployments": {"GPT-5.4-mini": deployment}}})
    assert "aoai-gateway:openaiBackends.swc.deployments.gpt-5.4-mini" in message
    assert "duplicate of 'GPT-5.4-mini' (Azure names ignore case)" in message


def test_prod_refuses_the_developer_tier() -> None:
    developer = {"sku": "Developer", "capacity": 1, "virtualNetworkType": "None", "zoneRedundant": False}
    message = refused("prod", apim=developer)
    assert message.startswith("aoai-gateway:apim.sku = 'Developer': Developer has no SLA")


def test_at_least_one_operation_and_a_positive_budget() -> None:
    assert "publish at least one operation" in refused(apiOperations=[])
    assert "aoai-gateway:products.internal.monthlyBudget = 0" in refused(products={"internal": {"monthlyBudget": 0}})


def test_misspelt_keys_and_choices_get_a_suggestion() -> None:
    assert refused(apim={"skuu": "Premium"}).endswith("did you mean 'sku'?")
    assert refused(apim={"sku": "Premiun"}).endswith("did you mean 'Premium'?")
    assert refused(location="swedencentrl").endswith("did you mean 'swedencentral'?")


def test_numbers_written_as_text_inside_objects_are_refused() -> None:
    message = refused(apim={"capacity": "1"})
    assert message == "aoai-gateway:apim.capacity = '1': expected a whole number, written without quotes"
    assert refused(network={"enabled": "false"}) == (
        "aoai-gateway:network.enabled = 'false': expected true or false, written without quotes"
    )


def test_top_level_values_arrive_as_text_and_are_read_by_their_declared_type() -> None:
    # `pulumi config set aoai-gateway:protectResources true` stores text; the CLI passes text.
    assert settings_for("dev", protectResources="true").protect_resources is True
    assert "expected true or false" in refused(protectResources="yes")


def test_another_projects_namespace_is_reported() -> None:
    values = with_overrides("dev")
    values["aoai-gatewy:owner"] = "someone"
    with pytest.raises(ConfigError) as caught:
        settings_from_config(values)
    assert str(caught.value) == (
        "aoai-gatewy:owner: 'aoai-gatewy' is neither this project's namespace (aoai-gateway) nor a provider's "
        "(azure-native, pulumi, time); did you mean aoai-gateway:owner?"
    )
    values = with_overrides("dev")
    values["azure-native:location"] = "swedencentral"
    assert settings_from_config(values).location == "swedencentral"


def test_messages_explain_patterns_in_words() -> None:
    assert refused(workload="Bad_Name") == (
        "aoai-gateway:workload = 'Bad_Name': expected 2-10 lowercase letters or digits, starting with a letter"
    )
    assert refused(products={"Bad_Name": {"displayName": "x", "rateLimit": {"calls": 1}}}) == (
        "aoai-gateway:products.Bad_Name: invalid name; expected a name of 2-24 lowercase letters, digits and '-', "
        "starting with a letter"
    )


def test_stack_files_validate_against_the_generated_schema() -> None:
    import json

    import jsonschema
    import yaml

    from components.settings import PROJECT_DIR

    schema = json.loads((PROJECT_DIR / "docs" / "stack-config.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for stack in ("dev", "prod"):
        document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
        assert list(validator.iter_errors(document)) == [], stack
        assert (
            (PROJECT_DIR / f"Pulumi.{stack}.yaml")
            .read_text()
            .startswith("# yaml-language-server: $schema=docs/stack-config.schema.json\n")
        )
    document["config"]["aoai-gateway:apim"]["skuu"] = "Premium"
    document["config"]["aoai-gateway:monitoring"]["alertWebhooks"] = {"pager": {"secure": "v1:abc"}}
    assert [error.message for error in validator.iter_errors(document)] == [
        "Additional properties are not allowed ('skuu' was unexpected)"
    ]


# ---------------------------------------------------------------- teams, money and alerts

ENTRA = {
    "tenantId": "00000000-0000-0000-0000-0000000000cc",
    "audience": "api://aoai-gateway-dev",
    "clientAppIds": ["22222222-3333-4444-5555-666666666666"],
}


def test_a_team_on_an_unknown_product_is_refused_with_a_suggestion() -> None:
    message = refused("dev", teams={"sandbox": {"product": "internl"}})
    assert message.startswith("aoai-gateway:teams.sandbox.product = 'internl': not a product of this stack")
    assert "did you mean 'internal'" in message


@pytest.mark.parametrize(
    ("entra", "expected"),
    [
        ({k: v for k, v in ENTRA.items() if k != "tenantId"}, "teams.sandbox.entra.tenantId"),
        ({k: v for k, v in ENTRA.items() if k != "audience"}, "teams.sandbox.entra.audience"),
        ({**ENTRA, "tenantId": "contoso.onmicrosoft.com"}, "teams.sandbox.entra.tenantId = 'contoso.onmicrosoft.com'"),
    ],
    ids=["no-tenant", "no-audience", "tenant-not-a-guid"],
)
def test_an_entra_team_needs_its_tenant_and_audience(entra: dict[str, Any], expected: str) -> None:
    message = refused("dev", teams={"sandbox": {"product": "internal", "entra": entra}})
    assert message.startswith(f"aoai-gateway:{expected}")


def test_a_team_without_key_or_token_is_refused() -> None:
    message = refused("dev", teams={"sandbox": {"product": "internal", "subscriptionKey": False}})
    assert message.startswith("aoai-gateway:teams.sandbox.subscriptionKey = false: the team could not call at all")


def test_one_client_app_belongs_to_one_team() -> None:
    teams = {
        "app-a": {"contact": "a@contoso.com", "product": "internal", "entra": ENTRA},
        "app-b": {"contact": "b@contoso.com", "product": "internal", "entra": ENTRA},
    }
    message = refused("dev", teams=teams)
    assert message.startswith("aoai-gateway:teams.app-b.entra.clientAppIds = ")
    assert "already a client app of team app-a" in message


def test_a_deployed_model_without_a_price_is_refused() -> None:
    message = refused("prod", pricing={"gpt-5.4": None})
    assert message == (
        "aoai-gateway:openaiBackends.paygo-frc.deployments.gpt-5.4.model = 'gpt-5.4': has no price: add "
        "pricing.gpt-5.4 (inputPer1k, outputPer1k) so its tokens are counted in costs, budgets and chargeback"
    )


@pytest.mark.parametrize(
    ("deployment", "served"),
    [({"version": "2025-08-07"}, "gpt-5.4:2025-08-07"), ({"model": "gpt-5.4-mini"}, "gpt-5.4-mini:2026-03-05")],
    ids=["other-version", "other-model"],
)
def test_a_pool_serving_two_models_under_one_name_is_refused_naming_both_backends(
    deployment: dict[str, str], served: str
) -> None:
    message = refused("prod", openaiBackends={"paygo-gwc": {"deployments": {"gpt-5.4": deployment}}})
    assert message.startswith(f"aoai-gateway:openaiBackends.paygo-gwc.deployments.gpt-5.4.model = '{served}'")
    assert "backend paygo-frc serves gpt-5.4 as gpt-5.4:2026-03-05" in message


def test_request_windows_over_five_minutes_become_a_quota_on_classic_tiers_only() -> None:
    dev = settings_for("dev")
    assert dev.products["partner"].rate_limit is not None
    assert (dev.products["partner"].rate_limit.renewal_period, dev.products["partner"].rate_limit.policy) == (
        3600,
        "quota-by-key",
    )
    message = refused("prod", products={"partner": {"rateLimit": {"calls": 1000, "renewalPeriod": 3600}}})
    assert message.startswith("aoai-gateway:products.partner.rateLimit.renewalPeriod = 3600: periods over 300 s")
    assert "PremiumV2 does not offer" in message


def test_a_budget_its_limits_can_never_reach_is_refused() -> None:
    message = refused("prod", teams={"marketing-copilot": {"monthlyBudget": 5000}})
    assert message.startswith("aoai-gateway:teams.marketing-copilot.monthlyBudget = 5000")
    assert "can spend at most 825.00 USD a month" in message


def test_a_token_alert_no_account_can_reach_is_refused() -> None:
    message = refused("prod", monitoring={"thresholds": {"openaiTokensPerHour": 10**12}})
    assert message.startswith("aoai-gateway:monitoring.thresholds.openaiTokensPerHour = 1000000000000")
    assert "so its alert could never fire; omit the threshold to alert at 80% of each account's capacity" in message


def test_a_backend_duration_alert_beyond_the_timeout_is_refused() -> None:
    message = refused("prod", monitoring={"thresholds": {"apimBackendDurationMs": 400_000}})
    assert message.startswith("aoai-gateway:monitoring.thresholds.apimBackendDurationMs = 400000: APIM gives up")


def test_a_product_named_like_a_team_subscription_is_refused() -> None:
    internal = settings_for("dev").products["internal"].model_dump(by_alias=True, exclude_none=True)
    message = refused("dev", products={"team-tools": internal})
    assert message == (
        "aoai-gateway:products.team-tools = 'team-tools': product names must not start with 'team-' (the prefix of "
        "team subscriptions)"
    )


def test_the_reference_documents_every_field_of_every_settings_block() -> None:
    blocks = Settings.model_json_schema(by_alias=True)["$defs"]
    documented = {
        line.split("`")[1].rsplit(".", 1)[-1].split(":")[-1] for line in markdown_reference().splitlines()[2:]
    }
    fields = {field for block in blocks.values() for field in block.get("properties", {})}
    assert len(fields) > 50
    # Maps keyed by region or category name were skipped once: their entries' fields went undocumented.
    assert {"capacity", "zones", "subnetResourceId"} <= fields
    assert fields - documented == set()


def test_the_reference_describes_a_block_by_its_field_not_its_type() -> None:
    row = next(line for line in markdown_reference().splitlines() if "`aoai-gateway:teams.<name>.entra`" in line)
    assert "Let the team call with Entra ID tokens" in row
