"""APIM policy documents: parsing them (C# expressions @(...), @{...} are not valid XML as written) and the
inheritance rule every section below global scope follows. Dependency-free: the APIM linter in components/
and the policy pack both apply the rule from here, so they cannot disagree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

SECTIONS = ("inbound", "backend", "outbound", "on-error")


class PolicyXmlError(ValueError):
    pass


def inheritance_problem(section: str, *, has_base: bool, forwards: bool) -> tuple[str, str] | None:
    """(rule id, message) when a section of an API, product or operation policy breaks inheritance, else None.

    `has_base`: <base /> is a direct child of the section (nested in <choose> it is conditional);
    `forwards`: a <forward-request> sits anywhere in it (e.g. inside <retry>). A <backend> that forwards the
    request itself must not also say <base />, or the parent scope forwards it a second time.
    """
    if section == "backend":
        if has_base and forwards:
            return (
                "backend-double-forward",
                "<backend> forwards the request itself and also says <base />, so the request is sent twice; "
                "remove <base />",
            )
        if not has_base and not forwards:
            return (
                "backend-no-forward",
                "<backend> neither says <base /> nor has a <forward-request>, so the request is never sent; "
                "add <base />",
            )
        return None
    if not has_base:
        return (
            "missing-base",
            f"<{section}> has no <base />, so the parent scope's {section} policies are skipped; add <base />",
        )
    return None


def parse_policy(document: str) -> ET.Element:
    """The <policies> element of an APIM policy document (format rawxml or xml)."""
    try:
        root = ET.fromstring(_escape_expressions(document))
    except ET.ParseError as error:
        raise PolicyXmlError(f"the policy document is not well-formed XML ({error})") from None
    if root.tag != "policies":
        raise PolicyXmlError(f"the root element is <{root.tag}>; an APIM policy document starts with <policies>")
    return root


def _escape_expressions(document: str) -> str:
    # APIM accepts raw '<', '&' and '"' inside policy expressions (rawxml); escape just those spans.
    out: list[str] = []
    i = 0
    while (at := document.find("@", i)) >= 0:
        if document[at + 1 : at + 2] not in ("(", "{"):
            out.append(document[i : at + 1])
            i = at + 1
            continue
        out.append(document[i:at])
        end = _expression_end(document, at + 1)
        if end is None:
            i = at
            break
        out.append(escape(document[at:end], {'"': "&quot;"}))
        i = end
    out.append(document[i:])
    return "".join(out)


def _expression_end(document: str, opening: int) -> int | None:
    """Index just past the bracket closing the one at `opening`, skipping C# string and char literals."""
    open_char = document[opening]
    close_char = ")" if open_char == "(" else "}"
    depth = 0
    i = opening
    while i < len(document):
        char = document[i]
        if char in "\"'":
            verbatim = char == '"' and i > opening and document[i - 1] == "@"
            i = _string_end(document, i, verbatim)
            continue
        if char == open_char:
            depth += 1
        elif char == close_char:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def _string_end(document: str, start: int, verbatim: bool) -> int:
    quote = document[start]
    i = start + 1
    while i < len(document):
        char = document[i]
        if verbatim and char == quote and document[i + 1 : i + 2] == quote:
            i += 2
            continue
        if not verbatim and char == "\\":
            i += 2
            continue
        if char == quote:
            return i + 1
        i += 1
    return len(document)
