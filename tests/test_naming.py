"""Names: deterministic, within each Azure type's limits, unique where Azure needs global uniqueness."""

from __future__ import annotations

import re

import pytest

from components.naming import REGION_ABBREVIATIONS, RULES, Namer, standard_tags
from tests.conftest import plan_for
from tests.test_config import refused, settings_for


def test_region_abbreviations_are_distinct_three_or_four_character_codes() -> None:
    # A region reaches a name only through its code, so two regions (one per code length) stand for all of them.
    codes = list(REGION_ABBREVIATIONS.values())
    assert codes, "the region table is empty"
    assert all(re.fullmatch(r"[a-z0-9]{3,4}", code) for code in codes), codes
    assert len(set(codes)) == len(codes), "two regions share a code: their names would collide"


@pytest.mark.parametrize("kind", sorted(RULES))
@pytest.mark.parametrize("location", ["germanywestcentral", "southcentralus"], ids=["3-char-code", "4-char-code"])
def test_every_name_fits_its_rule(kind: str, location: str) -> None:
    rule = RULES[kind]
    namer = Namer("abcdefghij", "prod", "production-eu", location)
    name = namer.name(kind, "paygo-germany-1")
    assert rule.min_length <= len(name) <= rule.max_length
    allowed = r"^[A-Za-z0-9-]+$" if rule.hyphens else r"^[A-Za-z0-9]+$"
    assert re.match(allowed, name) and not name.startswith("-") and not name.endswith("-")
    assert "--" not in name
    if rule.lowercase:
        assert name == name.lower()


def test_key_vault_keeps_prefix_and_unique_suffix_when_clamped() -> None:
    namer = Namer("abcdefghij", "prod", "prod", "germanywestcentral")
    name = namer.name("key_vault")
    assert len(name) <= 24 and name.startswith("kv-") and name.endswith("-" + namer.suffix)
    assert name[0].isalpha()


def test_globally_unique_names_differ_between_stacks_and_are_stable() -> None:
    dev = Namer("aoaigw", "dev", "dev", "swedencentral")
    prod = Namer("aoaigw", "prod", "prod", "swedencentral")
    assert dev.name("apim") != prod.name("apim")
    # Pinned: another suffix would rename, and so replace, every globally unique resource already deployed.
    assert dev.name("apim") == "apim-aoaigw-dev-swc-32414"
    assert dev.name("resource_group") == "rg-aoaigw-dev-swc"


def test_suffix_override_wins() -> None:
    assert Namer("aoaigw", "dev", "dev", "swedencentral", "zz9").name("key_vault") == "kv-aoaigw-dev-swc-zz9"


def test_deterministic_guid_is_a_guid_and_stable() -> None:
    namer = Namer("aoaigw", "dev", "dev", "swedencentral")
    first = namer.deterministic_guid("role", "a")
    assert re.match(r"^[0-9a-f-]{36}$", first)
    assert first == "b11e3c0e-6cc7-5abd-87a7-7d5b0331353a", "the GUID names a deployed resource: it must not drift"
    assert first != namer.deterministic_guid("role", "b")


def test_standard_tags() -> None:
    tags = standard_tags(environment="dev", owner="o", cost_center="c", project="p", stack="s")
    assert tags == {
        "environment": "dev",
        "owner": "o",
        "costCenter": "c",
        "project": "p",
        "stack": "s",
        "managedBy": "pulumi",
    }


def test_the_same_stack_in_another_subscription_gets_other_global_names() -> None:
    ours = Namer("aoaigw", "dev", "dev", "swedencentral", subscription_id="1111")
    theirs = Namer("aoaigw", "dev", "dev", "swedencentral", subscription_id="2222")
    assert ours.name("key_vault") != theirs.name("key_vault")
    assert ours.name("resource_group") == theirs.name("resource_group"), "only globally unique names get the suffix"


def test_an_instance_does_not_repeat_what_the_name_already_says() -> None:
    namer = Namer("aoaigw", "prod", "prod", "germanywestcentral", "3b46e")
    assert namer.name("openai", "ptu-swc", location="swedencentral") == "oai-aoaigw-prod-swc-ptu-3b46e"
    assert namer.name("openai", "paygo", location="francecentral") == "oai-aoaigw-prod-frc-paygo-3b46e"
    assert namer.name("alert", "oai-429-ptu-swc") == "alrt-aoaigw-prod-gwc-oai-429-ptu-swc"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_planned_name_repeats_a_segment(stack: str) -> None:
    names = [
        value
        for resource in plan_for(stack).resources()
        for key, value in resource["inputs"].items()
        if key.endswith("Name") and isinstance(value, str) and value.count("-") >= 3
    ]
    assert len(names) > 20, "the plan names its resources"
    for name in names:
        segments = name.split("-")
        assert len(segments) == len(set(segments)), name


def test_backends_that_would_share_an_account_name_are_refused() -> None:
    twin = settings_for("dev").openai_backends["swc"].model_dump(by_alias=True, exclude_none=True)
    message = refused("dev", openaiBackends={"swc-swc": twin})
    assert message == (
        "aoai-gateway:openaiBackends.swc-swc = 'swc-swc': would get the same account name as backend swc in "
        "swedencentral (names leave out what the name already says: region, environment, workload); rename one"
    )
    # The environment is left out too: prod's `ptu` and `prod-ptu` in one region would collide.
    ptu = settings_for("prod").openai_backends["ptu-swc"].model_dump(by_alias=True, exclude_none=True)
    assert "same account name as backend prod-ptu" in refused("prod", openaiBackends={"prod-ptu": ptu, "ptu": ptu})
