"""Tests of components.apim.spec: loading, patching and dumping OpenAPI specs for APIM import."""

from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from components.apim.spec import SpecError, dump_spec, load_spec, operation_ids, patch_spec

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROJECT_SPEC = ROOT / "specs" / "azure-openai-inference.json"
FIXTURES = ROOT / "tests" / "fixtures" / "specs"
OFFICIAL_JSON = FIXTURES / "official_style.json"
OFFICIAL_YAML = FIXTURES / "official_style.yaml"
BACKEND = "https://oai-gateway-dev-weu.openai.azure.com/openai"
CHAT = "/deployments/{deployment-id}/chat/completions"
EMBEDDINGS = "/deployments/{deployment-id}/embeddings"
PROJECT_OPERATIONS = [
    "ChatCompletions_Create",
    "Completions_Create",
    "Embeddings_Create",
    "ImageGenerations_Create",
]


def refs(node: Any) -> Iterator[str]:
    """Every $ref value anywhere in the tree, deliberately ignoring OpenAPI context."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from keys(item)


def resolve(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for token in ref.removeprefix("#/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def schema_names(spec: dict[str, Any]) -> set[str]:
    return set(spec.get("components", {}).get("schemas", {}))


def request_json(spec: dict[str, Any], path: str) -> dict[str, Any]:
    media: dict[str, Any] = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    return media


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return load_spec(PROJECT_SPEC)


@pytest.fixture(scope="module", params=[PROJECT_SPEC, OFFICIAL_JSON, OFFICIAL_YAML], ids=lambda p: p.name)
def any_spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load_spec(request.param)


# --- the project's own spec -------------------------------------------------------------


def test_project_spec_validates(project: dict[str, Any]) -> None:
    validate(project)
    assert project["openapi"] == "3.0.3"


def test_project_spec_operations_in_official_style(project: dict[str, Any]) -> None:
    assert operation_ids(project) == PROJECT_OPERATIONS
    for path, item in project["paths"].items():
        assert path.startswith("/deployments/{deployment-id}/")
        assert item["post"]["parameters"] == [
            {"$ref": "#/components/parameters/deploymentId"},
            {"$ref": "#/components/parameters/apiVersion"},
        ]
    api_version = project["components"]["parameters"]["apiVersion"]
    assert api_version["name"] == "api-version"
    assert (api_version["in"], api_version["required"]) == ("query", True)


def test_project_spec_servers_and_security_like_the_service(project: dict[str, Any]) -> None:
    server = project["servers"][0]
    assert server["url"] == "{endpoint}/openai"
    endpoint = server["variables"]["endpoint"]
    assert endpoint["default"] == "https://your-resource-name.openai.azure.com"
    schemes = project["components"]["securitySchemes"]
    api_key = schemes["apiKey"]
    assert (api_key["type"], api_key["in"], api_key["name"]) == ("apiKey", "header", "api-key")
    assert (schemes["bearer"]["type"], schemes["bearer"]["scheme"]) == ("http", "bearer")


def test_project_spec_usage_is_what_token_metrics_count(project: dict[str, Any]) -> None:
    usage = project["components"]["schemas"]["CompletionUsage"]
    assert set(usage["required"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    embeddings_input = project["components"]["schemas"]["EmbeddingsRequest"]["properties"]["input"]
    assert [branch["type"] for branch in embeddings_input["oneOf"]] == ["string", "array"]


# --- patching: invariants on every spec we accept ----------------------------------------


def test_patched_spec_validates(any_spec: dict[str, Any]) -> None:
    validate(patch_spec(any_spec, backend_url=BACKEND))


def test_patched_servers_are_exactly_the_backend(any_spec: dict[str, Any]) -> None:
    patched = patch_spec(any_spec, backend_url=BACKEND)
    assert patched["servers"] == [{"url": BACKEND}]
    assert "variables" not in dump_spec(patched["servers"])


def test_patched_spec_has_no_external_ref_or_x_ms_examples(any_spec: dict[str, Any]) -> None:
    patched = patch_spec(any_spec, backend_url=BACKEND)
    found = list(refs(patched))
    assert found, "every spec we test has references; none found means the walk checks nothing"
    assert all(isinstance(ref, str) and ref.startswith("#/") for ref in found)
    assert "x-ms-examples" not in set(keys(patched))
    for ref in found:
        resolve(patched, ref)


def test_patch_does_not_mutate_or_share_with_input(any_spec: dict[str, Any]) -> None:
    before = copy.deepcopy(any_spec)
    patched = patch_spec(any_spec, backend_url=BACKEND, keep_operations=operation_ids(any_spec)[:1])
    assert any_spec == before
    patched["paths"].clear()
    patched["info"]["title"] = "changed"
    assert any_spec == before


def test_patch_changes_nothing_but_servers_and_file_examples(project: dict[str, Any]) -> None:
    patched = patch_spec(project, backend_url=BACKEND)
    assert {**patched, "servers": project["servers"]} == project
    assert list(patched) == list(project)


# --- patching: the official spec's quirks -------------------------------------------------


def test_json_and_yaml_forms_load_to_the_same_document() -> None:
    from_json, from_yaml = load_spec(OFFICIAL_JSON), load_spec(OFFICIAL_YAML)
    expected = json.loads(OFFICIAL_JSON.read_text(encoding="utf-8"))
    assert from_json == expected
    assert from_yaml == expected
    # Unquoted in the YAML: must stay a string and a string key, as in JSON.
    assert from_yaml["info"]["version"] == "2024-10-21"
    assert "200" in from_yaml["paths"][CHAT]["post"]["responses"]


def test_official_quirks_are_patched_away() -> None:
    official = load_spec(OFFICIAL_YAML)
    patched = patch_spec(official, backend_url=BACKEND, source=str(OFFICIAL_YAML))
    # The file-backed example and the one pointing at a file-backed component both go; inline stays.
    assert list(request_json(patched, EMBEDDINGS)["examples"]) == ["inline"]
    assert "examples" not in patched["components"]
    # Other vendor extensions are left as they are.
    assert patched["x-ms-parameterized-host"] == official["x-ms-parameterized-host"]
    assert patched["components"]["securitySchemes"] == official["components"]["securitySchemes"]


def test_external_ref_outside_examples_is_refused_naming_it(project: dict[str, Any]) -> None:
    spec = copy.deepcopy(project)
    spec["components"]["schemas"]["Error"] = {"$ref": "./common/error.json"}
    with pytest.raises(SpecError) as caught:
        patch_spec(spec, backend_url=BACKEND, source="specs/custom.json")
    message = str(caught.value)
    assert message.startswith("specs/custom.json: ")
    assert "'./common/error.json'" in message and "/components/schemas/Error" in message
    assert "\n" not in message


def test_example_payloads_and_author_names_are_not_keywords(project: dict[str, Any]) -> None:
    spec = copy.deepcopy(project)
    payload = {"$ref": "./payload-field.json", "x-ms-examples": 1}
    request_json(spec, EMBEDDINGS)["example"] = payload
    spec["components"]["schemas"]["EmbeddingsRequest"]["properties"]["x-ms-examples"] = {"type": "string"}
    patched = patch_spec(spec, backend_url=BACKEND)
    assert request_json(patched, EMBEDDINGS)["example"] == payload
    assert "x-ms-examples" in patched["components"]["schemas"]["EmbeddingsRequest"]["properties"]


# --- patching: keep_operations --------------------------------------------------------------


def test_keep_operations_filters_and_prunes_components(project: dict[str, Any]) -> None:
    patched = patch_spec(project, backend_url=BACKEND, keep_operations=["Embeddings_Create"])
    validate(patched)
    assert operation_ids(patched) == ["Embeddings_Create"]
    assert list(patched["paths"]) == ["/deployments/{deployment-id}/embeddings"]
    assert schema_names(patched) == {
        "EmbeddingsRequest",
        "EmbeddingsResponse",
        "EmbeddingsUsage",
        "EndUser",
        "ErrorResponse",
        "Error",
        "ContentFilterResults",
    }
    assert patched["components"]["securitySchemes"] == project["components"]["securitySchemes"]


def test_keep_operations_follows_references_transitively(project: dict[str, Any]) -> None:
    patched = patch_spec(project, backend_url=BACKEND, keep_operations={"ChatCompletions_Create"})
    validate(patched)
    kept = schema_names(patched)
    # ChatContentPart is reached only via ChatCompletionRequest -> ChatMessage -> content.
    assert {"ChatCompletionRequest", "ChatMessage", "ChatContentPart", "ChatToolCall"} <= kept
    assert kept.isdisjoint({"EmbeddingsRequest", "CompletionRequest", "ImageGenerationsRequest", "EmbeddingsUsage"})
    for ref in refs(patched):
        resolve(patched, ref)
    used = {ref.split("/")[3] for ref in refs(patched) if ref.startswith("#/components/schemas/")}
    assert kept == used


def test_keep_operations_keeps_components_used_by_extensions() -> None:
    official = load_spec(OFFICIAL_JSON)
    patched = patch_spec(official, backend_url=BACKEND, keep_operations=["embeddings_create"])
    validate(patched)
    assert schema_names(patched) == {"embeddingsResponse"}
    assert list(patched["components"]["parameters"]) == ["endpoint"]


def test_keep_operations_keeps_schemas_named_only_by_a_discriminator() -> None:
    schema = {
        "type": "object",
        "properties": {"kind": {"type": "string"}},
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"cat": "#/components/schemas/Cat", "dog": "Dog"},
        },
    }
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "pets", "version": "1"},
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "Pets_Get",
                    "responses": {
                        "200": {
                            "description": "a pet",
                            "content": {"application/json": {"schema": schema}},
                        }
                    },
                }
            }
        },
        "components": {"schemas": {name: {"type": "object"} for name in ("Cat", "Dog", "Unused")}},
    }
    patched = patch_spec(spec, backend_url=BACKEND, keep_operations=["Pets_Get"])
    validate(patched)
    assert schema_names(patched) == {"Cat", "Dog"}


def test_unknown_operation_is_refused_naming_it_and_the_choices(project: dict[str, Any]) -> None:
    keep = ["Embeddings_Create", "Chat_Create"]
    with pytest.raises(SpecError) as caught:
        patch_spec(project, backend_url=BACKEND, keep_operations=keep, source="s.json")
    message = str(caught.value)
    assert message.startswith("s.json: ") and "Chat_Create" in message
    assert all(operation in message for operation in PROJECT_OPERATIONS)


@pytest.mark.parametrize("keep", ["Embeddings_Create", []], ids=["bare-string", "empty"])
def test_keep_operations_must_name_some_operations(project: dict[str, Any], keep: Any) -> None:
    with pytest.raises(SpecError, match="keep_operations"):
        patch_spec(project, backend_url=BACKEND, keep_operations=keep)


@pytest.mark.parametrize(
    "url",
    [
        "http://oai.openai.azure.com/openai",
        "oai.openai.azure.com/openai",
        "https:///openai",
        "",
        "https://a b.com",
    ],
)
def test_backend_url_must_be_https(project: dict[str, Any], url: str) -> None:
    with pytest.raises(SpecError) as caught:
        patch_spec(project, backend_url=url, source="specs/azure-openai-inference.json")
    message = str(caught.value)
    assert message.startswith("specs/azure-openai-inference.json: ") and "https://" in message
    assert "\n" not in message


def test_patch_refuses_documents_load_spec_would_refuse() -> None:
    with pytest.raises(SpecError, match=r"Swagger 2\.0"):
        patch_spec({"swagger": "2.0", "paths": {}}, backend_url=BACKEND)


# --- loading: every refusal is one line naming the file ----------------------------------


REFUSALS = {
    "broken.json": ('{\n  "openapi": "3.0.3",\n  "paths": {\n}', "line 4"),
    "broken.yaml": ("openapi: 3.0.3\npaths:\n  /a: [unclosed\n", "line 4"),
    "tabbed.yml": ("openapi: 3.0.3\npaths:\n\t/a: {}\n", "line 3"),
    "swagger.json": ('{"swagger": "2.0", "paths": {}}', "Swagger 2.0"),
    "v31.yaml": ("openapi: 3.1.0\npaths: {}\n", "OpenAPI 3.1.0"),
    "number.yaml": ("openapi: 3.0\npaths: {}\n", "string"),
    "list.json": ('[{"openapi": "3.0.3"}]', "found list"),
    "empty.yaml": ("", "found nothing"),
    "nopaths.json": ('{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}}', "'paths'"),
    "spec.txt": ('{"openapi": "3.0.3", "paths": {}}', ".json, .yaml or .yml"),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_load_refusals_are_one_line_naming_the_file(tmp_path: pathlib.Path, name: str) -> None:
    text, detail = REFUSALS[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert detail in message
    assert "\n" not in message
    if name in {"swagger.json", "v31.yaml"}:
        assert "3.0.x" in message


def test_missing_file_is_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(SpecError, match=r"absent\.json: file not found$"):
        load_spec(tmp_path / "absent.json")


def test_unreadable_file_is_refused(tmp_path: pathlib.Path) -> None:
    directory = tmp_path / "folder.yaml"
    directory.mkdir()
    with pytest.raises(SpecError, match=r"folder\.yaml: cannot read file"):
        load_spec(directory)


def test_path_is_reported_as_given(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "foo.json").write_text("{", encoding="utf-8")
    with pytest.raises(SpecError, match=r"^specs/foo\.json: invalid JSON at line 1"):
        load_spec(pathlib.Path("specs/foo.json"))


def test_byte_order_mark_is_accepted(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + PROJECT_SPEC.read_bytes())
    assert load_spec(path) == json.loads(PROJECT_SPEC.read_text(encoding="utf-8"))


# --- dumping --------------------------------------------------------------------------------


def test_dump_is_deterministic_and_keeps_document_order(project: dict[str, Any]) -> None:
    keep = ["Embeddings_Create", "ChatCompletions_Create"]
    first = dump_spec(patch_spec(project, backend_url=BACKEND, keep_operations=keep))
    # The order of keep_operations (or of a set) must not leak into the output.
    for reordered in (list(reversed(keep)), set(reversed(keep))):
        assert dump_spec(patch_spec(project, backend_url=BACKEND, keep_operations=reordered)) == first
    assert first.endswith("}\n") and first.startswith('{\n  "openapi": "3.0.3"')
    assert list(json.loads(first)["paths"]) == [CHAT, EMBEDDINGS]


def test_dump_keeps_non_ascii_text() -> None:
    official = load_spec(OFFICIAL_JSON)
    assert "Grüße aus Zürich" in dump_spec(patch_spec(official, backend_url=BACKEND))


def test_project_spec_file_is_in_dump_format(project: dict[str, Any]) -> None:
    assert PROJECT_SPEC.read_text(encoding="utf-8") == dump_spec(project)
