"""Names: deterministic, within each Azure type's limits, unique where Azure needs global uniqueness."""

from __future__ import annotations

import re

import pytest

from components.naming import REGION_ABBREVIATIONS, RULES, Namer, standard_tags


@pytest.mark.parametrize("kind", sorted(RULES))
@pytest.mark.parametrize("location", sorted(REGION_ABBREVIATIONS))
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
    assert dev.name("apim") == Namer("aoaigw", "dev", "dev", "swedencentral").name("apim")
    assert dev.name("resource_group") == "rg-aoaigw-dev-swc"


def test_suffix_override_wins() -> None:
    assert Namer("aoaigw", "dev", "dev", "swedencentral", "zz9").name("key_vault") == "kv-aoaigw-dev-swc-zz9"


def test_deterministic_guid_is_a_guid_and_stable() -> None:
    namer = Namer("aoaigw", "dev", "dev", "swedencentral")
    first = namer.deterministic_guid("role", "a")
    assert re.match(r"^[0-9a-f-]{36}$", first) and first == namer.deterministic_guid("role", "a")
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
