"""Loading OpenAPI 3.0 specs and patching them into a form APIM can import as openapi+json."""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

__all__ = ["SpecError", "dump_spec", "load_spec", "operation_ids", "patch_spec"]

_SUFFIXES = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML"}
_OPENAPI_30 = re.compile(r"3\.0\.\d+")
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Fields whose keys are names chosen by the author, not OpenAPI keywords: a response called
# "default" or a property called "x-ms-examples" must be walked, not taken for a keyword.
_NAMED_MAPS = frozenset(
    {
        "paths",
        "schemas",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "properties",
        "content",
        "encoding",
        "variables",
        "examples",
    }
)
# Fields holding literal data: an "$ref" key inside an example payload is data, not a reference.
_LITERALS = frozenset({"example", "default", "enum", "value"})
# Component sections that only matter when something points at them. securitySchemes is left
# out on purpose: security requirements name schemes instead of referencing them.
_PRUNABLE = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
)


class SpecError(ValueError):
    """A spec that cannot be loaded or patched; the message is one line, `<source>: <problem>`."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        # Parser messages sometimes span lines; one line keeps `pulumi up` output readable.
        self.problem = " ".join(problem.split())
        super().__init__(f"{source}: {self.problem}")


class _JsonLikeLoader(yaml.SafeLoader):
    """Safe YAML loader that keeps dates such as `version: 2024-10-21` as strings, as JSON would."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_spec(path: pathlib.Path) -> dict[str, Any]:
    """Read an OpenAPI 3.0.x document from a .json, .yaml or .yml file."""
    source = str(path)
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise SpecError(source, f"unsupported file extension {path.suffix!r}; use .json, .yaml or .yml")
    try:
        # utf-8-sig because specs saved by Windows editors often start with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(source, "file not found") from None
    except UnicodeDecodeError as error:
        raise SpecError(source, f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise SpecError(source, f"cannot read file: {error.strerror or error}") from None

    parsed = _parse_json(text, source) if kind == "JSON" else _parse_yaml(text, source)
    _check_document(parsed, source)
    document: dict[str, Any] = parsed
    return document


def patch_spec(
    spec: Mapping[str, Any],
    *,
    backend_url: str,
    keep_operations: Collection[str] | None = None,
    source: str = "<spec>",
) -> dict[str, Any]:
    """Return a copy of `spec` that APIM can import, pointing at `backend_url`.

    The copy has `servers` set to the backend alone, no `x-ms-examples` and no example that
    points at a file (APIM cannot see files next to the spec). Any other external `$ref` is an
    error. With `keep_operations`, only those operationIds stay (operations without one go),
    empty path items go, and components nothing points at any more are dropped.
    """
    _check_backend_url(backend_url, source)
    _check_document(spec, source)
    document: dict[str, Any] = _copy(spec)

    document["servers"] = [{"url": backend_url}]
    _drop_file_examples(document)
    _refuse_external_refs(document, source)
    if keep_operations is not None:
        _keep_only(document, keep_operations, source)
        _prune_components(document)
    return document


def operation_ids(spec: Mapping[str, Any]) -> list[str]:
    """The operationIds of `spec` in document order."""
    return [op["operationId"] for _, _, op in _operations(spec) if "operationId" in op]


def dump_spec(spec: Mapping[str, Any]) -> str:
    """Serialise `spec` as JSON; keys stay in document order so readers see the author's layout."""
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise SpecError(source, f"invalid JSON at {where}: {error.msg}") from None


def _parse_yaml(text: str, source: str) -> Any:
    try:
        document = yaml.load(text, Loader=_JsonLikeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(source, f"invalid YAML{where}: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise SpecError(source, f"invalid YAML: {error}") from None
    # A round trip through JSON turns YAML-only shapes into what openapi+json import sees:
    # unquoted status codes (`200:`) become "200", and anchors stop sharing one object.
    try:
        return json.loads(json.dumps(document))
    except (TypeError, ValueError) as error:
        raise SpecError(source, f"holds a value JSON cannot represent ({error})") from None


def _check_document(document: Any, source: str) -> None:
    if not isinstance(document, Mapping):
        found = "nothing" if document is None else type(document).__name__
        raise SpecError(source, f"expected an OpenAPI 3.0.x mapping at the top level, found {found}")
    if "swagger" in document:
        raise SpecError(
            source,
            f"Swagger {document['swagger']} is not supported; expected an OpenAPI 3.0.x document",
        )
    version = document.get("openapi")
    if version is None:
        raise SpecError(source, "no 'openapi' field; expected 'openapi: 3.0.x'")
    if not isinstance(version, str):
        raise SpecError(source, f"'openapi' is {version!r}, not a string; write it quoted, e.g. \"3.0.3\"")
    if not _OPENAPI_30.fullmatch(version):
        raise SpecError(source, f"OpenAPI {version} is not supported; expected OpenAPI 3.0.x (3.0.0 to 3.0.3)")
    if not isinstance(document.get("paths"), Mapping):
        raise SpecError(source, "no 'paths' mapping; the operations to import must be listed under 'paths'")


def _check_backend_url(backend_url: Any, source: str) -> None:
    parts = urlsplit(backend_url) if isinstance(backend_url, str) else None
    has_space = parts is not None and any(c.isspace() for c in backend_url)
    if parts is None or parts.scheme != "https" or not parts.hostname or has_space:
        raise SpecError(
            source,
            f"backend_url {backend_url!r} must be an absolute https:// URL, "
            "e.g. 'https://my-openai.openai.azure.com/openai'",
        )


def _copy(value: Any) -> Any:
    """Deep copy into plain dicts and lists, so the result shares nothing with the caller's spec."""
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(item) for item in value]
    return value


def _escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _spec_objects(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (JSON pointer, object) for every OpenAPI object below `node`, skipping literal data."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _spec_objects(item, f"{pointer}/{index}")
        return
    if not isinstance(node, dict):
        return
    yield pointer, node
    for key, value in node.items():
        child = f"{pointer}/{_escape(key)}"
        # A list under `examples` holds sample payloads (3.1 style): data, like `example`.
        if key in _LITERALS or (key == "examples" and not isinstance(value, dict)):
            continue
        if key in _NAMED_MAPS and isinstance(value, dict):
            for name, entry in value.items():
                yield from _spec_objects(entry, f"{child}/{_escape(name)}")
        else:
            yield from _spec_objects(value, child)


def _is_external(ref: Any) -> bool:
    return not (isinstance(ref, str) and ref.startswith("#"))


def _drop_file_examples(document: dict[str, Any]) -> None:
    """Remove x-ms-examples, and examples that point at a file or at an example removed here."""
    for _, obj in list(_spec_objects(document)):
        obj.pop("x-ms-examples", None)
    # Repeat because dropping a file-backed #/components/examples entry leaves refs to it dangling.
    changed = True
    while changed:
        changed = False
        for _, obj in list(_spec_objects(document)):
            examples = obj.get("examples")
            if not isinstance(examples, dict):
                continue
            doomed = [
                name for name, entry in examples.items() if isinstance(entry, dict) and not _resolves(document, entry)
            ]
            for name in doomed:
                del examples[name]
            if doomed:
                changed = True
                if not examples:
                    del obj["examples"]


def _resolves(document: dict[str, Any], entry: dict[str, Any]) -> bool:
    if "$ref" not in entry:
        return True
    if _is_external(entry["$ref"]):
        return False
    node: Any = document
    for token in _pointer_tokens(entry["$ref"]):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def _pointer_tokens(ref: str) -> list[str]:
    fragment = unquote(ref[1:])
    return [t.replace("~1", "/").replace("~0", "~") for t in fragment.split("/")[1:]]


def _references(node: Any) -> Iterator[tuple[str, Any]]:
    """Yield (JSON pointer, reference) for every `$ref` and discriminator mapping below `node`."""
    for pointer, obj in _spec_objects(node):
        if "$ref" in obj:
            yield f"{pointer}/$ref", obj["$ref"]
        discriminator = obj.get("discriminator")
        mapping = discriminator.get("mapping") if isinstance(discriminator, dict) else None
        if isinstance(mapping, dict):
            for value, target in mapping.items():
                # OpenAPI 3.0 lets a mapping give a bare schema name: #/components/schemas/<name>.
                bare = isinstance(target, str) and "/" not in target and "#" not in target
                yield (
                    f"{pointer}/discriminator/mapping/{_escape(value)}",
                    (f"#/components/schemas/{target}" if bare else target),
                )


def _refuse_external_refs(document: dict[str, Any], source: str) -> None:
    external = [(pointer, ref) for pointer, ref in _references(document) if _is_external(ref)]
    if external:
        pointer, ref = external[0]
        more = f" (and {len(external) - 1} more)" if len(external) > 1 else ""
        raise SpecError(
            source,
            f"external $ref {ref!r} at {pointer}{more}; APIM imports the spec as one document "
            "and cannot follow it, so inline the definition under #/components",
        )


def _operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    paths = spec.get("paths")
    if not isinstance(paths, Mapping):
        return
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        for method in _HTTP_METHODS:
            if isinstance(item.get(method), Mapping):
                yield path, method, item[method]


def _keep_only(document: dict[str, Any], keep_operations: Collection[str], source: str) -> None:
    if isinstance(keep_operations, str):
        raise SpecError(
            source,
            f"keep_operations must be a list of operationIds, not the string {keep_operations!r}",
        )
    available = operation_ids(document)
    if not keep_operations:
        raise SpecError(
            source,
            f"keep_operations is empty; pass None to keep all, or some of: {', '.join(available)}",
        )
    # Sorted so the message does not depend on the iteration order of a set.
    unknown = sorted(map(str, set(keep_operations) - set(available)))
    if unknown:
        raise SpecError(
            source,
            f"unknown operationId(s) in keep_operations: {', '.join(unknown)}; "
            f"available: {', '.join(available) or '(none)'}",
        )
    wanted = set(keep_operations)
    paths = document["paths"]
    for path in list(paths):
        item = paths[path]
        if not isinstance(item, dict):
            continue
        for method in _HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and operation.get("operationId") not in wanted:
                del item[method]
        if not any(method in item for method in _HTTP_METHODS):
            del paths[path]


def _component_key(ref: str) -> tuple[str, str] | None:
    tokens = _pointer_tokens(ref)
    if len(tokens) >= 3 and tokens[0] == "components" and tokens[1] in _PRUNABLE:
        return tokens[1], tokens[2]
    return None


def _local_refs(node: Any) -> Iterator[str]:
    return (ref for _, ref in _references(node) if not _is_external(ref))


def _prune_components(document: dict[str, Any]) -> None:
    components = document.get("components")
    if not isinstance(components, dict):
        return
    roots = {key: value for key, value in document.items() if key != "components"}
    roots["components"] = {key: value for key, value in components.items() if key not in _PRUNABLE}

    reachable: set[tuple[str, str]] = set()
    pending = [key for key in map(_component_key, _local_refs(roots)) if key]
    while pending:
        key = pending.pop()
        if key in reachable:
            continue
        reachable.add(key)
        section, name = key
        entries = components.get(section)
        target = entries.get(name) if isinstance(entries, dict) else None
        pending.extend(k for k in map(_component_key, _local_refs(target)) if k)

    emptied = False
    for section in _PRUNABLE:
        entries = components.get(section)
        if not isinstance(entries, dict) or not entries:
            continue
        kept = {name: entry for name, entry in entries.items() if (section, name) in reachable}
        if kept:
            components[section] = kept
        else:
            del components[section]
            emptied = True
    if emptied and not components:
        del document["components"]
