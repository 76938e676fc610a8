"""Helpers the rules share: property access, credential detection, APIM policy XML parsing."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from policies.rules._props import Redacted, dig, flag, is_reference, leaf, looks_like_credential
from policies.rules.apim_xml import PolicyXmlError, parse_policy


def test_dig_follows_keys_and_indexes_and_tolerates_absence():
    props = unknown_checking_proxy({"a": {"b": [{"c": 1.0}]}})
    assert dig(props, "a", "b", 0, "c") == 1.0
    assert dig(props, "a", "missing", "c") is None
    assert dig(props, "a", "b", 5) is None
    assert dig(props, "a", "b", "c") is None


def test_dig_raises_like_the_engine_on_unknowns_and_flags_redactions():
    with pytest.raises(UnknownValueError):
        dig(unknown_checking_proxy({"a": UNKNOWN_STRING_VALUE}), "a")
    with pytest.raises(Redacted, match="properties is redacted"):
        dig({"properties": "[secret]"}, "properties", "contentType")
    assert dig({"value": "[secret]"}, "value") == "[secret]"


@pytest.mark.parametrize(
    ("value", "expected"), [("False", False), ("true", True), (False, False), ("no", None), (None, None)]
)
def test_flag_parses_apim_custom_property_strings(value, expected):
    assert flag(value) is expected


def test_leaf_and_references():
    assert (
        leaf("/subscriptions/s/resourceGroups/r/providers/Microsoft.ApiManagement/service/a/apis/OpenAI;rev=2")
        == "openai"
    )
    assert is_reference("{{openai-key}}") and not is_reference("Bearer {{token}}") and not is_reference("")


@pytest.mark.parametrize(
    "value",
    [
        "0123456789abcdef0123456789ABCDEF",
        "sk-proj-abcdefghijklmnopqrstuvwxyz",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=bm90LWEtcmVhbC1rZXktYnV0LWxvbmc=",
        "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFla",
    ],
)
def test_credentials_are_recognised(value):
    assert looks_like_credential(value)


@pytest.mark.parametrize(
    "value",
    [
        "{{0123456789abcdef0123456789abcdef}}",
        "2024-10-21",
        "3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F",  # certificate thumbprint (single-case hex, 40)
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
        "https://kv-aoaigw-prod-swc.vault.azure.net/secrets/appinsights-connection-string",
        "/status-0123456789abcdef",
    ],
)
def test_ordinary_values_are_not_credentials(value):
    assert not looks_like_credential(value)


def test_policy_expressions_with_xml_special_characters_parse():
    document = """<policies>
      <inbound>
        <base />
        <set-variable name="ok"
            value="@(context.Response.StatusCode < 500 && context.Request.Headers.GetValueOrDefault("x", "") != "")" />
        <set-body>@{ var body = context.Request.Body.As<JObject>(); return @"say ""hi"" } {"; }</set-body>
        <choose><when condition='@(context.Variables.GetValueOrDefault<string>("a") == "b")'><base /></when></choose>
      </inbound>
      <backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error>
    </policies>"""
    root = parse_policy(document)
    assert [child.tag for child in root] == ["inbound", "backend", "outbound", "on-error"]
    variable, body = root.find("inbound/set-variable"), root.find("inbound/set-body")
    assert variable is not None and body is not None
    assert (variable.get("value") or "").startswith("@(context.Response.StatusCode < 500 &&")
    assert "As<JObject>()" in (body.text or "")


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ("<policies><inbound></policies>", "not well-formed XML"),
        ("<policy><inbound /></policy>", "the root element is <policy>"),
    ],
)
def test_malformed_policy_documents_are_explained(document, problem):
    with pytest.raises(PolicyXmlError, match=problem):
        parse_policy(document)
