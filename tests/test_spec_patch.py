"""Tests of components.apim.spec: loading, patching and dumping OpenAPI specs for APIM import."""

from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from components.apim.spec import (
    APIM_INLINE_LIMIT_BYTES,
    SpecError,
    apim_operation_name,
    dump_spec,
    load_spec,
    operation_ids,
    patch_spec,
    point_at,
    resolve_operations,
    validate_for_apim,
)
from tests.test_config import refused

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROJECT_SPEC = ROOT / "specs" / "azure-openai-inference.json"
FIXTURES = ROOT / "tests" / "fixtures" / "specs"
OFFICIAL_JSON = FIXTURES / "official_style.json"
OFFICIAL_YAML = FIXTURES / "official_style.yaml"
OFFICIAL_V1 = FIXTURES / "official_v1_style.json"
OFFICIAL_PREVIEW = FIXTURES / "official_preview_style.yaml"
BACKEND = "https://oai-gateway-dev-weu.openai.azure.com/openai"
V1_BACKEND = "https://oai-gateway-dev-weu.openai.azure.com/openai/v1"
CHAT = "/deployments/{deployment-id}/chat/completions"
EMBEDDINGS = "/deployments/{deployment-id}/embeddings"
PROJECT_OPERATIONS = [
    "ChatCompletions_Create",
    "Completions_Create",
    "Embeddings_Create",
    "ImageGenerations_Create",
]
# Written out from Microsoft's specs, not read from the fixtures: what each surface publishes.
STABLE_OPERATIONS = ["ChatCompletions_Create", "Completions_Create", "Embeddings_Create"]
V1_OPERATIONS = [
    "createChatCompletion",
    "createEmbedding",
    "createResponse",
    "getResponse",
    "deleteResponse",
    "listInputItems",
    "listModels",
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


@pytest.fixture(
    scope="module",
    params=[PROJECT_SPEC, OFFICIAL_JSON, OFFICIAL_YAML, OFFICIAL_V1, OFFICIAL_PREVIEW],
    ids=lambda p: p.name,
)
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


def test_keep_operations_must_name_some_operations(project: dict[str, Any]) -> None:
    with pytest.raises(SpecError, match="keep_operations is empty"):
        patch_spec(project, backend_url=BACKEND, keep_operations=[])


def test_operations_to_publish_are_never_a_bare_string() -> None:
    # A string is a collection of its letters to resolve_operations: the settings refuse one before it gets there.
    assert refused(apiOperations='"Embeddings_Create"').endswith("expected a list")
    assert refused(v1Operations='"createResponse"').endswith("expected a list")


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
    # Each API points the patched spec at its account's endpoint through the same check.
    with pytest.raises(SpecError) as pointed:
        point_at(project, url, "specs/azure-openai-inference.json")
    assert str(pointed.value) == message


def test_patch_refuses_documents_load_spec_would_refuse() -> None:
    with pytest.raises(SpecError, match=r"Swagger 2\.0"):
        patch_spec({"swagger": "2.0", "paths": {}}, backend_url=BACKEND)


# --- loading: every refusal is one line naming the file ----------------------------------


REFUSALS = {
    "broken.json": ('{\n  "openapi": "3.0.3",\n  "paths": {\n}', "line 4"),
    "broken.yaml": ("openapi: 3.0.3\npaths:\n  /a: [unclosed\n", "line 4"),
    "tabbed.yml": ("openapi: 3.0.3\npaths:\n\t/a: {}\n", "line 3"),
    "swagger.json": ('{"swagger": "2.0", "paths": {}}', "Swagger 2.0"),
    "v32.yaml": ("openapi: 3.2.0\npaths: {}\n", "OpenAPI 3.2.0"),
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
    if name in {"swagger.json", "v32.yaml"}:
        assert "3.0.x or 3.1.x" in message


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


# --- the official specs' shapes: three documents through one patcher ------------------------


def refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    """The message of the SpecError `call` raises, checked to be one line."""
    with pytest.raises(SpecError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.fixture(scope="module")
def v1() -> dict[str, Any]:
    return load_spec(OFFICIAL_V1)


@pytest.fixture(scope="module")
def preview() -> dict[str, Any]:
    return load_spec(OFFICIAL_PREVIEW)


PUBLISHED = [
    (PROJECT_SPEC, BACKEND, STABLE_OPERATIONS),
    (OFFICIAL_JSON, BACKEND, STABLE_OPERATIONS),
    (OFFICIAL_YAML, BACKEND, STABLE_OPERATIONS),
    (OFFICIAL_PREVIEW, BACKEND, STABLE_OPERATIONS),
    (OFFICIAL_V1, V1_BACKEND, V1_OPERATIONS),
]


@pytest.mark.parametrize(("path", "backend", "keep"), PUBLISHED, ids=[p.name for p, _, _ in PUBLISHED])
def test_each_shape_patches_to_a_document_apim_takes(path: pathlib.Path, backend: str, keep: list[str]) -> None:
    patched = patch_spec(load_spec(path), backend_url=backend, keep_operations=keep, source=path.name)
    validate_for_apim(patched, path.name)
    validate(patched)
    assert patched["openapi"].startswith("3.0.")
    assert patched["servers"] == [{"url": backend}]
    assert sorted(map(str.casefold, operation_ids(patched))) == sorted(map(str.casefold, keep))
    found = list(refs(patched))
    assert found
    assert all(ref.startswith("#/") for ref in found)
    assert "x-ms-examples" not in set(keys(patched))


def test_v1_shape_keeps_only_what_the_published_operations_use(v1: dict[str, Any]) -> None:
    patched = patch_spec(v1, backend_url=V1_BACKEND, keep_operations=V1_OPERATIONS)
    assert list(patched["paths"]) == [
        "/chat/completions",
        "/embeddings",
        "/models",
        "/responses",
        "/responses/{response_id}",
        "/responses/{response_id}/input_items",
    ]
    assert {"OpenAI.Eval", "OpenAI.EvalList", "OpenAI.EvalGraderParams"}.isdisjoint(schema_names(patched))
    # Reached only through discriminator mappings and allOf: kept.
    assert {"OpenAI.ChatCompletionRequestUserMessage", "OpenAI.ResponsesMessageItemParam"} <= schema_names(patched)
    # The server, with its variable, goes; nothing else moves from its place at the end.
    assert list(patched)[-1] == "servers"


# --- selecting operations by the official spelling -------------------------------------------


@pytest.mark.parametrize("spelling", ["embeddings_create", "Embeddings_Create", "EMBEDDINGS_CREATE"])
def test_operations_are_selected_whatever_their_case(spelling: str) -> None:
    patched = patch_spec(load_spec(OFFICIAL_JSON), backend_url=BACKEND, keep_operations=[spelling])
    assert operation_ids(patched) == ["embeddings_create"]


def test_resolve_operations_gives_the_spec_spelling_in_document_order() -> None:
    official = load_spec(OFFICIAL_JSON)
    assert resolve_operations(official, STABLE_OPERATIONS) == (
        "Completions_Create",
        "ChatCompletions_Create",
        "embeddings_create",
    )
    assert resolve_operations(official, {"EMBEDDINGS_CREATE", "embeddings_create"}) == ("embeddings_create",)


def test_unknown_operation_suggests_the_closest_and_lists_all() -> None:
    message = refusal(
        patch_spec,
        load_spec(OFFICIAL_JSON),
        backend_url=BACKEND,
        keep_operations=["Embeddings_Create", "Chat_Create", "Assistants_List"],
        source="inference.json",
    )
    assert message == (
        "inference.json: unknown operationId(s): 'Assistants_List', 'Chat_Create' (did you "
        "mean 'ChatCompletions_Create'?); available: Completions_Create, "
        "ChatCompletions_Create, embeddings_create"
    )


def test_unknown_v1_operation_suggests_the_closest(v1: dict[str, Any]) -> None:
    message = refusal(resolve_operations, v1, ["createResponses"], source="azure-v1-v1-generated.json")
    assert message == (
        "azure-v1-v1-generated.json: unknown operationId(s): 'createResponses' "
        "(did you mean 'createResponse'?); available: createChatCompletion, createEmbedding, listEvals, "
        "createEval, listModels, createResponse, getResponse, deleteResponse, listInputItems"
    )


def test_case_only_differences_need_the_exact_spelling(project: dict[str, Any]) -> None:
    spec = copy.deepcopy(project)
    spec["paths"][CHAT]["post"]["operationId"] = "embeddings_create"
    assert resolve_operations(spec, ["embeddings_create"]) == ("embeddings_create",)
    assert resolve_operations(spec, ["Embeddings_Create"]) == ("Embeddings_Create",)
    message = refusal(resolve_operations, spec, ["EMBEDDINGS_CREATE"], source="s.json")
    assert message == (
        "s.json: operationId 'EMBEDDINGS_CREATE' matches 'embeddings_create' and "
        "'Embeddings_Create' when case is ignored; spell it exactly as the spec does"
    )


# --- external references ------------------------------------------------------------------

EVALS_GRADER = "./evals/common.json#/components/schemas/Grader"
TESTING_CRITERIA = "/paths/~1evals/post/requestBody/content/application~1json/schema/properties/testing_criteria"


def with_external_eval_refs(v1: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(v1)
    evals = spec["paths"]["/evals"]
    evals["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["testing_criteria"]["items"] = {
        "$ref": EVALS_GRADER
    }
    evals["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {"$ref": "./evals/list.json"}
    return spec


def test_external_refs_in_operations_left_out_go_with_them(v1: dict[str, Any]) -> None:
    spec = with_external_eval_refs(v1)
    patched = patch_spec(spec, backend_url=V1_BACKEND, keep_operations=V1_OPERATIONS)
    validate_for_apim(patched)
    found = list(refs(patched))
    assert found
    assert all(ref.startswith("#/") for ref in found)


def test_external_ref_in_a_published_operation_is_refused_naming_it(v1: dict[str, Any]) -> None:
    spec = with_external_eval_refs(v1)
    message = refusal(
        patch_spec, spec, backend_url=V1_BACKEND, keep_operations=["createEval"], source="azure-v1-v1-generated.json"
    )
    assert message == (
        f"azure-v1-v1-generated.json: external $ref '{EVALS_GRADER}' at {TESTING_CRITERIA}/items/$ref; "
        "APIM imports the spec as one document and cannot follow it, so inline the definition under #/components"
    )


# --- OpenAPI 3.1 ------------------------------------------------------------------------------


def test_31_document_loads_as_written(preview: dict[str, Any]) -> None:
    assert preview["openapi"] == "3.1.0"
    assert preview["info"]["version"] == "2025-04-01-preview"
    schemas = preview["components"]["schemas"]
    shared = "Set of 16 key-value pairs that can be attached to an object.\n"
    assert schemas["createChatCompletionRequest"]["properties"]["metadata"]["description"] == shared
    assert schemas["createChatCompletionStreamResponse"]["properties"]["metadata"]["description"] == shared


def test_31_document_becomes_30(preview: dict[str, Any]) -> None:
    patched = patch_spec(preview, backend_url=BACKEND)
    validate(patched)
    assert patched["openapi"] == "3.0.3"
    assert list(patched) == ["openapi", "info", "servers", "security", "paths", "components"]
    assert patched["info"] == {
        "title": "Azure OpenAI Service API (test fixture)",
        "version": "2025-04-01-preview",
        "license": {"name": "MIT"},
        "description": "Preview inference API, as a test fixture.",
    }


def test_31_schemas_become_their_30_equivalents(preview: dict[str, Any]) -> None:
    patched = patch_spec(preview, backend_url=BACKEND)
    schemas = patched["components"]["schemas"]
    completion = schemas["createCompletionRequest"]["properties"]
    assert completion["max_tokens"] == {"type": "integer", "minimum": 0, "default": 16, "nullable": True}
    assert completion["n"] == {"type": "integer", "minimum": 1, "exclusiveMaximum": True, "maximum": 129}
    # maximum 5 is stricter than exclusiveMaximum 10: the inclusive bound stays alone.
    assert completion["logprobs"] == {"type": "integer", "minimum": 0, "maximum": 5, "nullable": True}
    assert schemas["createCompletionResponse"]["properties"]["object"] == {"enum": ["text_completion"]}
    assert schemas["createChatCompletionResponse"]["properties"]["object"] == {
        "type": "string",
        "enum": ["chat.completion"],
    }
    assert schemas["chatCompletionRequestMessage"]["properties"]["content"] == {
        "type": "string",
        "nullable": True,
        "example": "Hello!",
    }
    # A sibling that constrains moves beside an allOf; a description beside $ref stays where it is.
    assert schemas["createChatCompletionRequest"]["properties"]["response_format"] == {
        "allOf": [{"$ref": "#/components/schemas/responseFormat"}],
        "nullable": True,
    }
    assert schemas["createCompletionResponse"]["properties"]["usage"] == {
        "$ref": "#/components/schemas/completionUsage",
        "description": "Usage statistics for the completion request.",
    }
    assert schemas["createTranscriptionRequest"]["properties"]["file"] == {
        "type": "string",
        "description": "The audio file object to transcribe.",
        "format": "binary",
    }
    embedding = schemas["embeddingsResponse"]["properties"]["data"]["items"]["properties"]["embedding"]
    assert embedding["oneOf"][1] == {"type": "string", "format": "byte"}
    inline = request_json(patched, EMBEDDINGS)["schema"]["properties"]
    assert inline["encoding_format"] == {"type": "string", "enum": ["float", "base64", None], "nullable": True}
    assert inline["dimensions"] == {
        "type": "integer",
        "exclusiveMinimum": True,
        "nullable": True,
        "example": 256,
        "minimum": 0,
    }


def test_31_selection_drops_webhooks_and_what_only_they_use(preview: dict[str, Any]) -> None:
    patched = patch_spec(preview, backend_url=BACKEND, keep_operations=["Embeddings_Create"])
    validate(patched)
    assert "webhooks" not in patched
    assert schema_names(patched) == {"embeddingsResponse"}


CHAT_REQUEST = "/components/schemas/createChatCompletionRequest/properties"
NO_30_FORM = {
    "prefixItems": (
        {"type": "array", "prefixItems": [{"type": "string"}]},
        f"JSON Schema keyword 'prefixItems' at {CHAT_REQUEST}/extra has no OpenAPI 3.0 equivalent, and APIM gets "
        "this spec as OpenAPI 3.0; rewrite the schema without it, or leave the operations that use it out of the "
        "selection",
    ),
    "dynamicRef": (
        {"$dynamicRef": "#node"},
        f"JSON Schema keyword '$dynamicRef' at {CHAT_REQUEST}/extra has no OpenAPI 3.0 equivalent, and APIM gets "
        "this spec as OpenAPI 3.0; rewrite the schema without it, or leave the operations that use it out of the "
        "selection",
    ),
    "unevaluatedProperties": (
        {"type": "object", "allOf": [{"type": "object"}], "unevaluatedProperties": False},
        f"JSON Schema keyword 'unevaluatedProperties' at {CHAT_REQUEST}/extra has no OpenAPI 3.0 equivalent, and "
        "APIM gets this spec as OpenAPI 3.0; rewrite the schema without it, or leave the operations that use it out "
        "of the selection",
    ),
    "two-types": (
        {"type": ["string", "integer", "null"]},
        f"type ['string', 'integer', 'null'] at {CHAT_REQUEST}/extra has no OpenAPI 3.0 equivalent, and APIM gets "
        "this spec as OpenAPI 3.0; a 3.0 schema has one type: write the alternatives as oneOf",
    ),
    "null-alone": (
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        f"type 'null' at {CHAT_REQUEST}/extra/anyOf/1 has no OpenAPI 3.0 equivalent, and APIM gets this spec as "
        "OpenAPI 3.0; mark the schema that may be null as nullable instead",
    ),
    "empty-type": (
        {"type": []},
        f"type [] at {CHAT_REQUEST}/extra has no OpenAPI 3.0 equivalent, and APIM gets this spec as OpenAPI 3.0; "
        "name the type of the value, or leave 'type' out",
    ),
    "const-outside-enum": (
        {"type": "string", "enum": ["a", "b"], "const": "c"},
        f"const 'c' outside the enum at {CHAT_REQUEST}/extra has no OpenAPI 3.0 equivalent, and APIM gets this "
        "spec as OpenAPI 3.0; no value can match; correct the const or the enum",
    ),
    "const-null": (
        {"const": None},
        f"const null at {CHAT_REQUEST}/extra has no OpenAPI 3.0 equivalent, and APIM gets this spec as OpenAPI "
        "3.0; use a nullable schema instead",
    ),
    "nested-twice": (
        {"type": "object", "properties": {"a": {"if": {}, "then": {}}}},
        f"JSON Schema keyword 'if' at {CHAT_REQUEST}/extra/properties/a (and 1 more) has no OpenAPI 3.0 "
        "equivalent, and APIM gets this spec as OpenAPI 3.0; rewrite the schema without it, or leave the operations "
        "that use it out of the selection",
    ),
}


@pytest.mark.parametrize("case", NO_30_FORM)
def test_31_constructs_without_a_30_form_are_refused(preview: dict[str, Any], case: str) -> None:
    schema, expected = NO_30_FORM[case]
    spec = copy.deepcopy(preview)
    spec["components"]["schemas"]["createChatCompletionRequest"]["properties"]["extra"] = schema
    message = refusal(patch_spec, spec, backend_url=BACKEND, keep_operations=["ChatCompletions_Create"], source="p")
    assert message == f"p: {expected}"


def test_31_constructs_matter_only_in_published_operations(preview: dict[str, Any]) -> None:
    spec = copy.deepcopy(preview)
    spec["components"]["schemas"]["createTranscriptionRequest"]["properties"]["segments"] = {
        "type": "array",
        "prefixItems": [{"type": "number"}, {"type": "number"}],
    }
    validate(patch_spec(spec, backend_url=BACKEND, keep_operations=STABLE_OPERATIONS))
    message = refusal(patch_spec, spec, backend_url=BACKEND, source="p")
    assert message.startswith(
        "p: JSON Schema keyword 'prefixItems' at /components/schemas/createTranscriptionRequest/properties/segments "
    )


def test_31_path_items_in_components_are_refused(preview: dict[str, Any]) -> None:
    spec = copy.deepcopy(preview)
    spec["components"]["pathItems"] = {"health": {"get": {"responses": {"200": {"description": "up"}}}}}
    message = refusal(patch_spec, spec, backend_url=BACKEND, keep_operations=STABLE_OPERATIONS, source="p")
    assert message == (
        "p: components/pathItems ('health') is OpenAPI 3.1 only and has no OpenAPI 3.0 equivalent, and APIM gets "
        "this spec as OpenAPI 3.0; write those path items under 'paths'"
    )


# --- validate_for_apim: what APIM would reject, refused before the plan --------------------


def test_apim_operation_names_follow_the_documented_rules() -> None:
    # Microsoft Learn's own example, then the ids of Microsoft's specs.
    assert apim_operation_name("GET-/foo/{bar}?buzz={quix}") == "get-foo-bar-buzz-quix"
    assert apim_operation_name("embeddings_create") == "embeddings-create"
    assert apim_operation_name("ChatCompletions_Create") == "chatcompletions-create"
    assert apim_operation_name("createChatCompletion") == "createchatcompletion"
    assert apim_operation_name("x" * 80) == "x" * 76


def padded_to(spec: dict[str, Any], size: int) -> dict[str, Any]:
    """`spec` with a description long enough that its JSON, as sent to APIM, is `size` bytes."""
    padded = copy.deepcopy(spec)
    padded["info"]["description"] = ""
    base = len((json.dumps(padded, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    padded["info"]["description"] = "x" * (size - base)
    return padded


def test_size_limit_is_apims_4_mb(project: dict[str, Any]) -> None:
    patched = patch_spec(project, backend_url=BACKEND, keep_operations=["Embeddings_Create"])
    validate_for_apim(padded_to(patched, 4 * 1024 * 1024))
    message = refusal(validate_for_apim, padded_to(patched, 4 * 1024 * 1024 + 1), "specs/big.json")
    assert message == (
        "specs/big.json: is 4194305 bytes as JSON, over the 4194304 bytes (4 MB) APIM imports inline; "
        "publish fewer operations"
    )
    assert APIM_INLINE_LIMIT_BYTES == 4194304


IMAGES = "/deployments/{deployment-id}/images/generations"
LONG = "Embeddings_Create_" + "a" * 58
CLASHES = {
    "case and punctuation": (
        ("Embeddings_Create", "embeddings--create"),
        f"operationIds 'Embeddings_Create' (POST {EMBEDDINGS}) and 'embeddings--create' (POST {IMAGES}) both "
        "become APIM operation 'embeddings-create'",
    ),
    "cut at 76": (
        (f"{LONG}_One", f"{LONG}_Two"),
        f"operationIds '{LONG}_One' (POST {EMBEDDINGS}) and '{LONG}_Two' (POST {IMAGES}) both become APIM "
        f"operation 'embeddings-create-{'a' * 58}'",
    ),
}


@pytest.mark.parametrize("case", CLASHES)
def test_operation_ids_apim_names_alike_are_refused(project: dict[str, Any], case: str) -> None:
    (embeddings_id, images_id), clash = CLASHES[case]
    spec = copy.deepcopy(project)
    spec["paths"][EMBEDDINGS]["post"]["operationId"] = embeddings_id
    spec["paths"][IMAGES]["post"]["operationId"] = images_id
    message = refusal(validate_for_apim, patch_spec(spec, backend_url=BACKEND), "s.json")
    assert message == (
        f"s.json: {clash} (APIM lower-cases operationIds, turns other characters into '-' and keeps 76 "
        "characters); rename one"
    )


def test_operation_id_apim_cannot_name_is_refused(project: dict[str, Any]) -> None:
    spec = copy.deepcopy(project)
    spec["paths"][EMBEDDINGS]["post"]["operationId"] = "__"
    message = refusal(validate_for_apim, spec, "s.json")
    assert message == (
        "s.json: operationId '__' (POST /deployments/{deployment-id}/embeddings) has no letter or digit for APIM "
        "to name the operation by"
    )


def test_dangling_ref_is_refused_naming_it(project: dict[str, Any]) -> None:
    spec = copy.deepcopy(project)
    spec["components"]["schemas"]["EmbeddingsRequest"]["properties"]["input"] = {
        "$ref": "#/components/schemas/EmbeddingsInput"
    }
    message = refusal(validate_for_apim, spec, "s.json")
    assert message == (
        "s.json: $ref '#/components/schemas/EmbeddingsInput' at "
        "/components/schemas/EmbeddingsRequest/properties/input/$ref points at nothing in the document; "
        "add the definition it names or correct the reference"
    )


def test_external_refs_are_refused_by_validation_too() -> None:
    message = refusal(validate_for_apim, load_spec(OFFICIAL_JSON), "inference.json")
    assert message == (
        "inference.json: external $ref './examples/completions.json' at "
        "/paths/~1deployments~1{deployment-id}~1completions/post/x-ms-examples/Create a completion./$ref "
        "(and 5 more); APIM imports the spec as one document and cannot follow it, so inline the definition "
        "under #/components"
    )


OPENAPI_ERRORS = {
    "no responses": (
        lambda spec: spec["paths"][EMBEDDINGS]["post"].pop("responses"),
        "not valid OpenAPI 3.0.3 at /paths/~1deployments~1{deployment-id}~1embeddings/post: "
        "'responses' is a required property",
    ),
    "unknown type": (
        lambda spec: spec["components"]["schemas"]["EndUser"].__setitem__("type", "text"),
        "not valid OpenAPI 3.0.3 at /components/schemas/EndUser/type: 'text' is not one of "
        "['array', 'boolean', 'integer', 'number', 'object', 'string']",
    ),
    "undeclared path parameter": (
        lambda spec: spec["paths"][EMBEDDINGS]["post"].__setitem__("parameters", []),
        "not valid OpenAPI 3.0.3: Path parameter 'deployment-id' for 'post' operation in "
        "'/deployments/{deployment-id}/embeddings' was not resolved",
    ),
}


@pytest.mark.parametrize("case", OPENAPI_ERRORS)
def test_openapi_errors_are_one_line_naming_the_place(project: dict[str, Any], case: str) -> None:
    damage, problem = OPENAPI_ERRORS[case]
    spec = copy.deepcopy(project)
    damage(spec)
    assert refusal(validate_for_apim, spec, "s.json") == f"s.json: {problem}"
