"""Loading OpenAPI 3.0/3.1 specs and patching them into an OpenAPI 3.0 document APIM imports as openapi+json."""

from __future__ import annotations

import copy
import difflib
import json
import pathlib
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from components.text import clip, one_line

# What APIM accepts, from Microsoft Learn "API import restrictions and known issues"
# (learn.microsoft.com/azure/api-management/api-management-api-import-restrictions): OpenAPI 3.0.x up to
# 3.0.3, OpenAPI 3.1 "import only"; an inline document of up to 4 MB; operation names made from the
# operationId by "Normalization rules for operationId". Since APIM lists 3.1 as "import only", the gateway
# hands it 3.0.3: the newest version APIM supports in full, and the one this module's checks are written for.
APIM_OPENAPI_VERSION = "3.0.3"
APIM_INLINE_LIMIT_BYTES = 4 * 1024 * 1024
APIM_OPERATION_NAME_LENGTH = 76

_SUFFIXES = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML"}
_OPENAPI_30 = re.compile(r"3\.0\.\d+")
_OPENAPI_31 = re.compile(r"3\.1\.\d+")
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Characters of openapi-spec-validator's message kept in a refusal: its messages can quote whole schemas.
_MESSAGE_CHARS = 200

# Fields whose keys are names chosen by the author, not OpenAPI keywords: a response called
# "default" or a property called "x-ms-examples" must be walked, not taken for a keyword.
_NAMED_MAPS = frozenset(
    {
        "paths",
        "webhooks",
        "schemas",
        "responses",
        "parameters",
        "requestBodies",
        "headers",
        "securitySchemes",
        "links",
        "callbacks",
        "pathItems",
        "properties",
        "patternProperties",
        "dependentSchemas",
        "$defs",
        "content",
        "encoding",
        "variables",
        "examples",
    }
)
# Fields holding literal data: an "$ref" key inside an example payload is data, not a reference.
_LITERALS = frozenset({"example", "default", "enum", "const", "value"})
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

# OpenAPI 3.1 to 3.0, after learn.openapis.org/upgrading/v3.0-to-v3.1 read backwards: type arrays with
# "null" were `nullable`, numeric exclusiveMinimum/Maximum were booleans beside minimum/maximum,
# schema `examples` arrays were one `example`, contentEncoding/contentMediaType were format byte/binary.
# These JSON Schema 2020-12 keywords have no 3.0 form; a schema using them is refused, not guessed at.
_NO_30_FORM = (
    "$id",
    "$anchor",
    "$defs",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
    "unevaluatedProperties",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "patternProperties",
    "propertyNames",
)
# Siblings of a 3.1 `$ref` that only annotate; 3.0 ignores siblings of `$ref`, which loses nothing for
# these. Any other sibling constrains the value and moves next to an `allOf` holding the reference.
_ANNOTATIONS = frozenset(
    {"description", "summary", "title", "deprecated", "readOnly", "writeOnly", "example", "default", "externalDocs"}
)


class SpecError(ValueError):
    """A spec that cannot be loaded or patched; the message is one line, `<source>: <problem>`."""

    def __init__(self, source: str, problem: str) -> None:
        # Parser messages sometimes span lines; one line keeps `pulumi up` output readable.
        super().__init__(f"{source}: {one_line(problem)}")


class _JsonLikeLoader(yaml.SafeLoader):
    """Safe YAML loader that keeps dates such as `version: 2024-10-21` as strings, as JSON would."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_spec(path: pathlib.Path) -> dict[str, Any]:
    """Read an OpenAPI 3.0.x or 3.1.x document from a .json, .yaml or .yml file, as written."""
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
    """Return an OpenAPI 3.0.3 copy of `spec` that APIM can import, pointing at `backend_url`.

    The copy has `servers` set to the backend alone, no `x-ms-examples` and no example that
    points at a file (APIM cannot see files next to the spec). With `keep_operations`, only the
    operations they name stay (matched as `resolve_operations` does; operations without an id go),
    empty path items go, and components nothing points at any more are dropped. An external `$ref`
    in what is left is an error. A 3.1 document is converted to 3.0 after that selection, so 3.1
    constructs with no 3.0 form are refused only where a kept operation reaches them.
    """
    version = _check_document(spec, source)
    # Patched in place below: a deep copy leaves the caller's spec as it was.
    document = point_at(copy.deepcopy(spec), backend_url, source)
    if _OPENAPI_31.fullmatch(version):
        _drop_31_document_fields(document, source)
    _drop_file_examples(document)
    if keep_operations is not None:
        _keep_only(document, set(resolve_operations(document, keep_operations, source=source)))
        _prune_components(document)
    _refuse_external_refs(document, source)
    if _OPENAPI_31.fullmatch(version):
        _convert_schemas_to_30(document, source)
        document["openapi"] = APIM_OPENAPI_VERSION
    return document


def point_at(spec: Mapping[str, Any], backend_url: str, source: str = "<spec>") -> dict[str, Any]:
    """`spec` with `servers` set to `backend_url` alone, an absolute https URL (a shallow copy): the only part of a
    patched spec that differs between the accounts it is imported for."""
    _check_backend_url(backend_url, source)
    return {**spec, "servers": [{"url": backend_url}]}


def operation_ids(spec: Mapping[str, Any]) -> list[str]:
    """The operationIds of `spec` in document order."""
    return [op["operationId"] for _, _, op in _operations(spec) if "operationId" in op]


def resolve_operations(
    spec: Mapping[str, Any], keep_operations: Collection[str], *, source: str = "<spec>"
) -> tuple[str, ...]:
    """The operationIds of `spec` that `keep_operations` names, spelled as the spec spells them, in document order.

    Case is ignored unless two operationIds differ only in case, because Microsoft's specs are not
    consistent about it (`embeddings_create` next to `ChatCompletions_Create`). A name that matches
    nothing is an error that suggests the closest operationId and lists them all.
    """
    available = list(dict.fromkeys(str(name) for name in operation_ids(spec)))
    if not keep_operations:
        raise SpecError(
            source,
            f"keep_operations is empty; pass None to keep all, or some of: {', '.join(available)}",
        )
    by_folded: dict[str, list[str]] = {}
    for name in available:
        by_folded.setdefault(name.casefold(), []).append(name)

    chosen: set[str] = set()
    unknown: list[str] = []
    # Sorted so messages do not depend on the iteration order of a set.
    for wanted in sorted(set(map(str, keep_operations))):
        matches = by_folded.get(wanted.casefold(), [])
        if wanted in matches:
            chosen.add(wanted)
        elif len(matches) == 1:
            chosen.add(matches[0])
        elif matches:
            raise SpecError(
                source,
                f"operationId {wanted!r} matches {' and '.join(map(repr, matches))} "
                "when case is ignored; spell it exactly as the spec does",
            )
        else:
            close = difflib.get_close_matches(wanted.casefold(), list(by_folded), n=1)
            unknown.append(f"{wanted!r} (did you mean {by_folded[close[0]][0]!r}?)" if close else repr(wanted))
    if unknown:
        raise SpecError(
            source,
            f"unknown operationId(s): {', '.join(unknown)}; available: {', '.join(available) or '(none)'}",
        )
    return tuple(name for name in available if name in chosen)


def validate_for_apim(document: dict[str, Any], source: str = "<spec>") -> None:
    """Refuse, in one line, a (patched) document APIM would reject or import other than as written.

    Checked: the inline import size limit, external and dangling `$ref`s, operationIds that APIM
    turns into the same operation name, and the OpenAPI rules openapi-spec-validator knows. Run it
    on the output of `patch_spec`: selection and pruning make the document small, which keeps the
    validator quick.
    """
    version = _check_document(document, source)
    size = len(dump_spec(document).encode("utf-8"))
    if size > APIM_INLINE_LIMIT_BYTES:
        raise SpecError(
            source,
            f"is {size} bytes as JSON, over the {APIM_INLINE_LIMIT_BYTES} bytes (4 MB) APIM imports inline; "
            "publish fewer operations",
        )
    _refuse_external_refs(document, source)
    _refuse_dangling_refs(document, source)
    _refuse_clashing_operation_names(document, source)
    _refuse_invalid_openapi(document, version, source)


def apim_operation_name(operation_id: str) -> str:
    """The name APIM gives the operation imported with `operation_id`: lower case, each run of other
    characters one '-', no '-' at either end, at most 76 characters (the rest is kept for APIM's
    de-duplication suffix)."""
    return re.sub(r"[^a-z0-9]+", "-", operation_id.lower()).strip("-")[:APIM_OPERATION_NAME_LENGTH]


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


def _check_document(document: Any, source: str) -> str:
    """The document's OpenAPI version, once it is known to be a 3.0.x or 3.1.x document with paths."""
    if not isinstance(document, Mapping):
        found = "nothing" if document is None else type(document).__name__
        raise SpecError(source, f"expected an OpenAPI 3.0.x or 3.1.x mapping at the top level, found {found}")
    if "swagger" in document:
        raise SpecError(
            source,
            f"Swagger {document['swagger']} is not supported; expected an OpenAPI 3.0.x or 3.1.x document",
        )
    version = document.get("openapi")
    if version is None:
        raise SpecError(source, "no 'openapi' field; expected 'openapi: 3.0.x' or 'openapi: 3.1.x'")
    if not isinstance(version, str):
        raise SpecError(source, f"'openapi' is {version!r}, not a string; write it quoted, e.g. \"3.0.3\"")
    if not (_OPENAPI_30.fullmatch(version) or _OPENAPI_31.fullmatch(version)):
        raise SpecError(source, f"OpenAPI {version} is not supported; expected OpenAPI 3.0.x or 3.1.x")
    if not isinstance(document.get("paths"), Mapping):
        raise SpecError(source, "no 'paths' mapping; the operations to import must be listed under 'paths'")
    return version


def _check_backend_url(backend_url: Any, source: str) -> None:
    parts = urlsplit(backend_url) if isinstance(backend_url, str) else None
    has_space = parts is not None and any(c.isspace() for c in backend_url)
    if parts is None or parts.scheme != "https" or not parts.hostname or has_space:
        raise SpecError(
            source,
            f"backend_url {backend_url!r} must be an absolute https:// URL, "
            "e.g. 'https://my-openai.openai.azure.com/openai'",
        )


def _escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _more(items: Collection[Any]) -> str:
    return f" (and {len(items) - 1} more)" if len(items) > 1 else ""


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
    return "$ref" not in entry or _points_into(document, entry["$ref"])


def _points_into(document: dict[str, Any], ref: Any) -> bool:
    if _is_external(ref):
        return False
    node: Any = document
    for token in _pointer_tokens(ref):
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
        raise SpecError(
            source,
            f"external $ref {ref!r} at {pointer}{_more(external)}; APIM imports the spec as one document "
            "and cannot follow it, so inline the definition under #/components",
        )


def _refuse_dangling_refs(document: dict[str, Any], source: str) -> None:
    dangling = [
        (pointer, ref)
        for pointer, ref in _references(document)
        if not _is_external(ref) and not _points_into(document, ref)
    ]
    if dangling:
        pointer, ref = dangling[0]
        raise SpecError(
            source,
            f"$ref {ref!r} at {pointer}{_more(dangling)} points at nothing in the document; "
            "add the definition it names or correct the reference",
        )


def _refuse_clashing_operation_names(document: dict[str, Any], source: str) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for path, method, operation in _operations(document):
        operation_id = operation.get("operationId")
        if not isinstance(operation_id, str):
            continue
        where = f"{method.upper()} {path}"
        name = apim_operation_name(operation_id)
        if not name:
            raise SpecError(
                source,
                f"operationId {operation_id!r} ({where}) has no letter or digit for APIM to name the operation by",
            )
        if name in seen:
            first_id, first_where = seen[name]
            raise SpecError(
                source,
                f"operationIds {first_id!r} ({first_where}) and {operation_id!r} ({where}) both become APIM "
                f"operation {name!r} (APIM lower-cases operationIds, turns other characters into '-' and keeps "
                f"{APIM_OPERATION_NAME_LENGTH} characters); rename one",
            )
        seen[name] = (operation_id, where)


def _refuse_invalid_openapi(document: dict[str, Any], version: str, source: str) -> None:
    validator = OpenAPIV31SpecValidator if _OPENAPI_31.fullmatch(version) else OpenAPIV30SpecValidator
    try:
        error = next(iter(validator(document).iter_errors()), None)
    # The validator resolves references lazily and raises on what it cannot follow, with the whole
    # document in the message; the checks before this one should leave nothing of the kind.
    except Exception as exc:
        raise SpecError(source, f"openapi-spec-validator stopped: {clip(one_line(str(exc)), _MESSAGE_CHARS)}") from None
    if error is None:
        return
    # A failed oneOf (Schema or Reference) carries one error per branch; the deepest names the field.
    while error.context:
        error = max(error.context, key=lambda branch: (len(branch.absolute_path), branch.validator != "required"))
    pointer = "".join(f"/{_escape(token)}" for token in error.absolute_path)
    where = f" at {pointer}" if pointer else ""
    raise SpecError(source, f"not valid OpenAPI {version}{where}: {clip(one_line(error.message), _MESSAGE_CHARS)}")


def _operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Each operation of a document _check_document took, which makes sure of its `paths` mapping."""
    for path, item in spec["paths"].items():
        if not isinstance(item, Mapping):
            continue
        for method in _HTTP_METHODS:
            if isinstance(item.get(method), Mapping):
                yield path, method, item[method]


def _keep_only(document: dict[str, Any], wanted: set[str]) -> None:
    paths = document["paths"]
    for path, method, operation in list(_operations(document)):
        operation_id = operation.get("operationId")
        # str() as resolve_operations does, so a malformed id cannot break the lookup.
        if operation_id is None or str(operation_id) not in wanted:
            del paths[path][method]
    for path, item in list(paths.items()):
        if isinstance(item, dict) and not any(method in item for method in _HTTP_METHODS):
            del paths[path]


def _referenced_components(node: Any) -> Iterator[tuple[str, str]]:
    """(section, name) of each prunable component a local reference below `node` points at."""
    for _, ref in _references(node):
        tokens = [] if _is_external(ref) else _pointer_tokens(ref)
        if len(tokens) >= 3 and tokens[0] == "components" and tokens[1] in _PRUNABLE:
            yield tokens[1], tokens[2]


def _prune_components(document: dict[str, Any]) -> None:
    components = document.get("components")
    if not isinstance(components, dict):
        return
    roots = {key: value for key, value in document.items() if key != "components"}
    roots["components"] = {key: value for key, value in components.items() if key not in _PRUNABLE}

    reachable: set[tuple[str, str]] = set()
    pending = list(_referenced_components(roots))
    while pending:
        key = pending.pop()
        if key in reachable:
            continue
        reachable.add(key)
        section, name = key
        entries = components.get(section)
        target = entries.get(name) if isinstance(entries, dict) else None
        pending.extend(_referenced_components(target))

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


# --- OpenAPI 3.1 to 3.0 ---------------------------------------------------------------------


def _drop_31_document_fields(document: dict[str, Any], source: str) -> None:
    """Remove what 3.0 has no field for outside schemas; done before selection so that nothing the
    removed parts point at survives pruning."""
    # Webhooks are requests the API sends, not operations APIM can front; the dialect is 3.1's alone.
    document.pop("webhooks", None)
    document.pop("jsonSchemaDialect", None)
    info = document.get("info")
    if isinstance(info, dict) and "summary" in info:
        info.setdefault("description", info.pop("summary"))
    licence = info.get("license") if isinstance(info, dict) else None
    if isinstance(licence, dict):
        licence.pop("identifier", None)
    components = document.get("components")
    if isinstance(components, dict) and "pathItems" in components:
        if components["pathItems"]:
            names = ", ".join(map(repr, components["pathItems"]))
            raise SpecError(
                source,
                f"components/pathItems ({names}) is OpenAPI 3.1 only and has no OpenAPI 3.0 equivalent, "
                "and APIM gets this spec as OpenAPI 3.0; write those path items under 'paths'",
            )
        del components["pathItems"]


def _convert_schemas_to_30(document: dict[str, Any], source: str) -> None:
    schemas = [found for pointer, root in _schema_roots(document) for found in _subschemas(root, pointer)]
    problems = [problem for pointer, schema in schemas for problem in _no_30_form(schema, pointer)]
    if problems:
        what, fix = problems[0]
        raise SpecError(
            source,
            f"{what}{_more(problems)} has no OpenAPI 3.0 equivalent, and APIM gets this spec as OpenAPI 3.0; {fix}",
        )
    for _, schema in schemas:
        _schema_to_30(schema)


def _schema_roots(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if isinstance(schemas, dict):
        for name, schema in schemas.items():
            yield f"/components/schemas/{_escape(name)}", schema
    # Parameters, headers and media types hold their schema under `schema`.
    for pointer, obj in _spec_objects(document):
        if isinstance(obj.get("schema"), dict):
            yield f"{pointer}/schema", obj["schema"]


def _subschemas(schema: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """`schema` and every schema nested in it through the keywords OpenAPI 3.0 shares with 3.1."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for key in ("items", "additionalProperties", "not"):
        yield from _subschemas(schema.get(key), f"{pointer}/{key}")
    for key in ("allOf", "anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            for index, branch in enumerate(branches):
                yield from _subschemas(branch, f"{pointer}/{key}/{index}")
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, prop in properties.items():
            yield from _subschemas(prop, f"{pointer}/properties/{_escape(name)}")


def _no_30_form(schema: dict[str, Any], pointer: str) -> Iterator[tuple[str, str]]:
    """(what, how to fix it) for each part of a 3.1 schema that 3.0 cannot say."""
    for key in _NO_30_FORM:
        if key in schema:
            yield (
                f"JSON Schema keyword {key!r} at {pointer}",
                "rewrite the schema without it, or leave the operations that use it out of the selection",
            )
    types = schema.get("type")
    named = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    non_null = [name for name in named if name != "null"]
    if len(non_null) > 1:
        yield f"type {types!r} at {pointer}", "a 3.0 schema has one type: write the alternatives as oneOf"
    elif types == []:
        yield f"type [] at {pointer}", "name the type of the value, or leave 'type' out"
    elif named and not non_null:
        yield f"type {types!r} at {pointer}", "mark the schema that may be null as nullable instead"
    if "const" in schema:
        const, enum = schema["const"], schema.get("enum")
        if const is None:
            yield f"const null at {pointer}", "use a nullable schema instead"
        elif isinstance(enum, list) and const not in enum:
            yield f"const {const!r} outside the enum at {pointer}", "no value can match; correct the const or the enum"


def _schema_to_30(schema: dict[str, Any]) -> None:
    """Rewrite one 3.1 schema in place as the 3.0 schema that accepts the same values."""
    types = schema.get("type")
    if isinstance(types, list):
        schema["type"] = next(name for name in types if name != "null")
        if "null" in types:
            schema["nullable"] = True
    examples = schema.get("examples")
    if isinstance(examples, list):
        del schema["examples"]
        if examples and "example" not in schema:
            schema["example"] = examples[0]
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    # 3.1 bounds are numbers of their own; 3.0 makes minimum/maximum exclusive with a boolean. When both
    # bounds are given, the stricter one is the one to keep.
    low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if _is_number(low):
        if _is_number(schema.get("minimum")) and schema["minimum"] > low:
            del schema["exclusiveMinimum"]
        else:
            schema["minimum"], schema["exclusiveMinimum"] = low, True
    if _is_number(high):
        if _is_number(schema.get("maximum")) and schema["maximum"] < high:
            del schema["exclusiveMaximum"]
        else:
            schema["maximum"], schema["exclusiveMaximum"] = high, True
    encoding = schema.pop("contentEncoding", None)
    media_type = schema.pop("contentMediaType", None)
    schema.pop("contentSchema", None)
    if schema.get("type") == "string" and "format" not in schema:
        if encoding == "base64":
            schema["format"] = "byte"
        elif media_type is not None and encoding is None:
            schema["format"] = "binary"
    schema.pop("$schema", None)
    schema.pop("$comment", None)
    ref = schema.get("$ref")
    constraints = [key for key in schema if key != "$ref" and key not in _ANNOTATIONS and not key.startswith("x-")]
    if ref is not None and constraints and isinstance(schema.get("allOf", []), list):
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        schema.clear()
        schema["allOf"] = [{"$ref": ref}, *siblings.pop("allOf", [])]
        schema.update(siblings)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
