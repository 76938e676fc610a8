"""The project's spec of the Azure OpenAI v1 API (specs/azure-openai-v1.json), as APIM will import it."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from components.apim.spec import dump_spec, load_spec, operation_ids, patch_spec

ROOT = pathlib.Path(__file__).resolve().parent.parent
V1_SPEC = ROOT / "specs" / "azure-openai-v1.json"
BACKEND = "https://oai-gateway-dev-weu.openai.azure.com/openai/v1"

# Written out, not read from the settings: these are the operationIds of Microsoft's v1 spec
# (specification/ai/data-plane/OpenAI.v1), which the gateway's operation list names.
OPERATIONS = [
    ("createResponse", "post", "/responses"),
    ("getResponse", "get", "/responses/{response_id}"),
    ("deleteResponse", "delete", "/responses/{response_id}"),
    ("listInputItems", "get", "/responses/{response_id}/input_items"),
    ("createChatCompletion", "post", "/chat/completions"),
    ("createEmbedding", "post", "/embeddings"),
    ("listModels", "get", "/models"),
    ("retrieveModel", "get", "/models/{model}"),
]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
STREAMED = ["createResponse", "createChatCompletion"]
REQUIRED_BODY_FIELDS = {
    "createResponse": {"model", "input"},
    "createChatCompletion": {"model", "messages"},
    "createEmbedding": {"model", "input"},
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec(V1_SPEC)


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(pointer, key, value) for every mapping entry in the tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield pointer, key, value
            yield from walk(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, f"{pointer}/{index}")


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local $refs until a non-reference is reached."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    found: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                found[item[method]["operationId"]] = (method, path, item[method])
    return found


def params(spec: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [resolve(spec, param) for param in operation.get("parameters", [])]


def content_200(operation: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = operation["responses"]["200"]["content"]
    return content


def test_validates_as_openapi_30(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"] == "3.0.3"


def test_file_is_in_dump_format(spec: dict[str, Any]) -> None:
    assert V1_SPEC.read_text(encoding="utf-8") == dump_spec(spec)


def test_exactly_the_v1_operations_at_their_paths(spec: dict[str, Any]) -> None:
    assert operation_ids(spec) == [operation_id for operation_id, _, _ in OPERATIONS]
    found = operations(spec)
    assert [(op, method, path) for op, (method, path, _) in found.items()] == OPERATIONS


def test_server_is_an_account_v1_endpoint(spec: dict[str, Any]) -> None:
    [server] = spec["servers"]
    assert server["url"] == "https://{endpoint}/openai/v1"
    assert server["variables"]["endpoint"]["default"] == "your-resource-name.openai.azure.com"


def test_every_operation_takes_an_optional_api_version_defaulting_to_v1(spec: dict[str, Any]) -> None:
    found = operations(spec)
    assert found
    for operation_id, (_, _, operation) in found.items():
        [api_version] = [p for p in params(spec, operation) if p["name"] == "api-version"]
        assert (api_version["in"], api_version["required"]) == ("query", False), operation_id
        assert api_version["schema"]["default"] == "v1", operation_id


def test_path_parameters_are_declared(spec: dict[str, Any]) -> None:
    found = operations(spec)
    assert found
    for operation_id, (_, path, operation) in found.items():
        in_path = {p["name"] for p in params(spec, operation) if p["in"] == "path"}
        assert in_path == {segment[1:-1] for segment in path.split("/") if segment.startswith("{")}, operation_id


def test_list_input_items_pages_like_openai(spec: dict[str, Any]) -> None:
    _, _, operation = operations(spec)["listInputItems"]
    query = {p["name"]: p for p in params(spec, operation) if p["in"] == "query"}
    assert set(query) == {"api-version", "limit", "order", "after", "before"}
    assert query["order"]["schema"]["enum"] == ["asc", "desc"]


@pytest.mark.parametrize("operation_id", sorted(REQUIRED_BODY_FIELDS))
def test_post_bodies_require_the_model(spec: dict[str, Any], operation_id: str) -> None:
    _, _, operation = operations(spec)[operation_id]
    body = operation["requestBody"]
    assert body["required"] is True
    schema = resolve(spec, body["content"]["application/json"]["schema"])
    assert set(schema["required"]) == REQUIRED_BODY_FIELDS[operation_id]
    assert schema["properties"]["model"]["type"] == "string"


def test_responses_body_has_the_fields_clients_send(spec: dict[str, Any]) -> None:
    _, _, operation = operations(spec)["createResponse"]
    schema = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    props = schema["properties"]
    for name in ("instructions", "max_output_tokens", "temperature", "tools", "previous_response_id", "metadata"):
        assert name in props, name
    assert [branch["type"] for branch in props["input"]["oneOf"]] == ["string", "array"]
    assert (props["stream"]["type"], props["store"]["type"]) == ("boolean", "boolean")


def test_embedding_body_takes_dimensions_and_encoding(spec: dict[str, Any]) -> None:
    _, _, operation = operations(spec)["createEmbedding"]
    props = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])["properties"]
    assert props["dimensions"]["type"] == "integer"
    assert props["encoding_format"]["enum"] == ["float", "base64"]


@pytest.mark.parametrize("operation_id", STREAMED)
def test_streamed_operations_answer_json_or_event_stream(spec: dict[str, Any], operation_id: str) -> None:
    _, _, operation = operations(spec)[operation_id]
    assert set(content_200(operation)) == {"application/json", "text/event-stream"}
    body = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    assert body["properties"]["stream"]["type"] == "boolean"


def test_only_streamed_operations_declare_an_event_stream(spec: dict[str, Any]) -> None:
    streaming = [
        op for op, (_, _, operation) in operations(spec).items() if "text/event-stream" in content_200(operation)
    ]
    assert streaming == STREAMED


def test_usage_is_what_token_limits_count(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert set(schemas["ResponseUsage"]["required"]) == {"input_tokens", "output_tokens", "total_tokens"}
    assert set(schemas["CompletionUsage"]["required"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}


def test_every_operation_answers_errors_in_openai_shape(spec: dict[str, Any]) -> None:
    found = operations(spec)
    assert found
    for operation_id, (_, _, operation) in found.items():
        default = resolve(spec, operation["responses"]["default"])
        body = resolve(spec, default["content"]["application/json"]["schema"])
        assert body["required"] == ["error"], operation_id
        error = resolve(spec, body["properties"]["error"])
        assert set(error["properties"]) == {"message", "type", "param", "code"}, operation_id
        assert "Retry-After" in default["headers"]


def test_every_ref_is_local_and_resolves(spec: dict[str, Any]) -> None:
    refs = [(pointer, value) for pointer, key, value in walk(spec) if key == "$ref"]
    assert refs
    for pointer, ref in refs:
        assert isinstance(ref, str) and ref.startswith("#/"), pointer
        assert resolve(spec, {"$ref": ref}) is not None, f"{pointer}: {ref}"


def test_every_component_is_used(spec: dict[str, Any]) -> None:
    """An unused schema is a schema nobody checks; patching with all operations kept prunes nothing."""
    everything = [operation_id for operation_id, _, _ in OPERATIONS]
    patched = patch_spec(spec, backend_url=BACKEND, keep_operations=everything, source=str(V1_SPEC))
    assert patched["components"] == spec["components"]


def test_patched_for_apim_it_still_validates(spec: dict[str, Any]) -> None:
    patched = patch_spec(spec, backend_url=BACKEND, keep_operations=["createResponse", "createEmbedding"])
    validate(patched)
    assert patched["servers"] == [{"url": BACKEND}]
    assert operation_ids(patched) == ["createResponse", "createEmbedding"]


def test_no_x_ms_examples(spec: dict[str, Any]) -> None:
    assert not [pointer for pointer, key, _ in walk(spec) if key == "x-ms-examples"]
