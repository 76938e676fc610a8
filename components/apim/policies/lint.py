"""Linting APIM policy documents against the structure and element rules APIM enforces, and ours."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

from lxml import etree

from components.apim.limits import RATE_LIMIT_MAX_RENEWAL_SECONDS, TOKEN_QUOTA_PERIODS
from policies.rules.apim_xml import SECTIONS, inheritance_problem

# Outermost first, the order messages list scopes in.
Scope = Literal["global", "product", "api", "operation", "fragment"]

_SCOPE_ORDER: tuple[str, ...] = get_args(Scope)
SCOPES: frozenset[str] = frozenset(_SCOPE_ORDER)
_INHERITING_SCOPES = frozenset({"api", "operation", "product"})

# One line per rule id; ids are stable because tests, reports and reviewers key on them.
RULES: Mapping[str, str] = {
    "xml-syntax": "the document is not well-formed XML",
    "root-element": "the root element is <policies> (or <fragment> for a fragment)",
    "unknown-section": "only inbound, backend, outbound and on-error may sit under <policies>",
    "duplicate-section": "each section appears at most once",
    "section-order": "sections appear in the order inbound, backend, outbound, on-error",
    "missing-section": "below global scope every section is declared, so each can say <base />",
    "section-in-fragment": "a fragment holds policies, never sections",
    "missing-base": "below global scope each section inherits its parent with <base />",
    "base-not-allowed": "<base /> has no parent at global scope and is not allowed in a fragment",
    "misplaced-base": "<base /> is a direct child of a section",
    "duplicate-base": "a section says <base /> once",
    "backend-double-forward": "a backend section that forwards the request has no <base />",
    "backend-no-forward": "a backend section either says <base /> or forwards the request itself",
    "unknown-element": "every element is a policy (or child element) APIM knows",
    "element-section": "a policy is used only in the sections APIM allows it in",
    "element-scope": "a policy is used only at the scopes APIM allows it at",
    "missing-attribute": "every required attribute is present",
    "attribute-choice": "one of a set of alternative attributes is present",
    "attribute-pair": "attributes that only work together are set together",
    "attribute-value": "a literal attribute value is one APIM accepts",
    "unexpected-child": "an element contains only the child elements APIM defines for it",
    "missing-child": "every required child element is present",
    "choose-structure": "<choose> holds <when> elements followed by at most one <otherwise>",
    "unexpected-text": "sections and policy containers hold elements, not text",
    "named-value-syntax": "a {{named-value}} reference uses letters, digits, '.', '-' and '_' only",
    "unknown-named-value": "every {{named-value}} reference names a declared named value",
    "unknown-backend": "every backend-id names a backend the gateway declares",
}


@dataclass(frozen=True)
class LintIssue:
    source: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message} [{self.rule}]"


class PolicyLintError(ValueError):
    """A policy document broke one or more lint rules; `issues` holds them in document order."""

    def __init__(self, issues: Collection[LintIssue]) -> None:
        self.issues: tuple[LintIssue, ...] = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


# What an element may contain.
EMPTY = "empty"  # no child elements, no text
TEXT = "text"  # text (often a policy expression), no child elements
ANY = "any"  # free content, e.g. a Liquid template inside <set-body>
POLICIES = "policies"  # policy statements, checked against the enclosing section
CHILDREN = "children"  # only the child elements listed in `children`


@dataclass(frozen=True)
class Spec:
    """What APIM accepts for one element: attributes, content, and (policies) where it may be used.

    `choices`: for each entry, at least one of its groups must be fully present.
    `pairs`: attributes that must be set together. `values`/`ranges` apply to literal values only.
    """

    sections: frozenset[str] = frozenset(SECTIONS)
    scopes: frozenset[str] = SCOPES
    required: tuple[str, ...] = ()
    choices: tuple[tuple[tuple[str, ...], ...], ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    ranges: Mapping[str, tuple[int, int | None]] = field(default_factory=dict)
    content: str = EMPTY
    children: Mapping[str, Spec] = field(default_factory=dict)
    required_children: tuple[str, ...] = ()


_INBOUND = frozenset({"inbound"})
_BOOL = frozenset({"true", "false"})
_EXISTS_ACTION = frozenset({"override", "skip", "append", "delete"})

_VALUE = Spec(content=TEXT)
_DIMENSION = Spec(required=("name",))
_TOKEN_LIMIT = Spec(
    sections=_INBOUND,
    required=("counter-key", "estimate-prompt-tokens"),
    choices=((("tokens-per-minute",), ("token-quota", "token-quota-period")),),
    pairs=(("token-quota", "token-quota-period"),),
    values={
        "token-quota-period": TOKEN_QUOTA_PERIODS,
        "estimate-prompt-tokens": _BOOL,
    },
    ranges={"tokens-per-minute": (1, None), "token-quota": (1, None)},
)
_EMIT_METRIC = Spec(
    required=("name",),
    content=CHILDREN,
    children={"dimension": _DIMENSION},
    required_children=("dimension",),
)
# The token metric policies emit metrics of fixed names (no name attribute), in inbound only.
_TOKEN_METRIC = replace(_EMIT_METRIC, sections=_INBOUND, required=())
_SET_HEADER = Spec(
    required=("name",),
    values={"exists-action": _EXISTS_ACTION},
    content=CHILDREN,
    children={"value": _VALUE},
)
_SET_STATUS = Spec(required=("code", "reason"), ranges={"code": (100, 599)})
_SET_BODY = Spec(sections=frozenset({"inbound", "outbound", "backend"}), content=ANY)
_MANAGED_IDENTITY = Spec(sections=_INBOUND, required=("resource",), values={"ignore-error": _BOOL})
_RATE_LIMIT_WINDOW = {"calls": (1, None), "renewal-period": (1, RATE_LIMIT_MAX_RENEWAL_SECONDS)}
_RATE_LIMIT_OPERATION = Spec(
    required=("calls", "renewal-period"),
    choices=((("name",), ("id",)),),
    ranges=_RATE_LIMIT_WINDOW,
)
_RATE_LIMIT_API = replace(_RATE_LIMIT_OPERATION, content=CHILDREN, children={"operation": _RATE_LIMIT_OPERATION})
_KEY_LIST = Spec(content=CHILDREN, children={"key": _VALUE})
_REQUIRED_CLAIMS = Spec(
    content=CHILDREN,
    children={
        "claim": Spec(
            required=("name",),
            values={"match": frozenset({"all", "any"})},
            content=CHILDREN,
            children={"value": _VALUE},
        )
    },
)

# Sections, scopes and required attributes follow each policy's "Usage" and "Attributes" tables
# in the APIM policy reference; on-error also admits what its error-handling page lists (trace).
POLICY_SPECS: Mapping[str, Spec] = {
    "base": Spec(),
    "set-header": _SET_HEADER,
    "set-query-parameter": replace(_SET_HEADER, sections=frozenset({"inbound", "backend"})),
    "set-variable": Spec(required=("name", "value")),
    "set-backend-service": Spec(
        sections=frozenset({"inbound", "backend"}),
        choices=((("base-url",), ("backend-id",)),),
    ),
    "authentication-managed-identity": _MANAGED_IDENTITY,
    "rate-limit-by-key": Spec(
        sections=_INBOUND,
        required=("calls", "renewal-period", "counter-key"),
        ranges=_RATE_LIMIT_WINDOW,
    ),
    "rate-limit": Spec(
        sections=_INBOUND,
        scopes=frozenset({"product", "api", "operation", "fragment"}),
        required=("calls", "renewal-period"),
        ranges=_RATE_LIMIT_WINDOW,
        content=CHILDREN,
        children={"api": _RATE_LIMIT_API},
    ),
    "quota-by-key": Spec(
        sections=_INBOUND,
        required=("counter-key", "renewal-period"),
        choices=((("calls",), ("bandwidth",)),),
    ),
    "azure-openai-token-limit": _TOKEN_LIMIT,
    "llm-token-limit": _TOKEN_LIMIT,
    "azure-openai-emit-token-metric": _TOKEN_METRIC,
    "llm-emit-token-metric": _TOKEN_METRIC,
    "emit-metric": _EMIT_METRIC,
    "retry": Spec(
        required=("condition", "count", "interval"),
        values={"first-fast-retry": _BOOL},
        ranges={
            "count": (1, 50),
            "interval": (0, None),
            "max-interval": (0, None),
            "delta": (0, None),
        },
        content=POLICIES,
    ),
    "forward-request": Spec(
        sections=frozenset({"backend"}),
        values={
            "follow-redirects": _BOOL,
            "buffer-request-body": _BOOL,
            "buffer-response": _BOOL,
            "fail-on-error-status-code": _BOOL,
        },
        ranges={"timeout": (0, None)},
    ),
    "choose": Spec(
        content=CHILDREN,
        children={
            "when": Spec(required=("condition",), content=POLICIES),
            "otherwise": Spec(content=POLICIES),
        },
        required_children=("when",),
    ),
    "return-response": Spec(
        content=CHILDREN,
        children={"set-status": _SET_STATUS, "set-header": _SET_HEADER, "set-body": _SET_BODY},
    ),
    "set-status": _SET_STATUS,
    "set-body": _SET_BODY,
    "check-header": Spec(
        sections=_INBOUND,
        required=("name", "failed-check-httpcode", "failed-check-error-message", "ignore-case"),
        values={"ignore-case": _BOOL},
        content=CHILDREN,
        children={"value": _VALUE},
    ),
    "validate-jwt": Spec(
        sections=_INBOUND,
        choices=((("header-name",), ("query-parameter-name",), ("token-value",)),),
        content=CHILDREN,
        children={
            "openid-config": Spec(required=("url",)),
            "issuer-signing-keys": _KEY_LIST,
            "decryption-keys": _KEY_LIST,
            "audiences": Spec(content=CHILDREN, children={"audience": _VALUE}),
            "issuers": Spec(content=CHILDREN, children={"issuer": _VALUE}),
            "required-claims": _REQUIRED_CLAIMS,
        },
    ),
    # validate-azure-ad-token: Microsoft Learn "Validate Microsoft Entra token" (inbound; global, product, API,
    # operation); client-application-ids is required there, with at least one application-id.
    "validate-azure-ad-token": Spec(
        sections=_INBOUND,
        required=("tenant-id",),
        ranges={"failed-validation-httpcode": (100, 599)},
        content=CHILDREN,
        children={
            "client-application-ids": Spec(content=CHILDREN, children={"application-id": _VALUE}),
            "backend-application-ids": Spec(content=CHILDREN, children={"application-id": _VALUE}),
            "audiences": Spec(content=CHILDREN, children={"audience": _VALUE}),
            "required-claims": _REQUIRED_CLAIMS,
        },
        required_children=("client-application-ids",),
    ),
    # llm-content-safety: Microsoft Learn "Enforce content safety checks on LLM requests" (inbound; global,
    # product, API; no longer operation). Thresholds run 0-7 with EightSeverityLevels.
    "llm-content-safety": Spec(
        sections=_INBOUND,
        scopes=frozenset({"global", "product", "api", "fragment"}),
        required=("backend-id",),
        values={"shield-prompt": _BOOL, "enforce-on-completions": _BOOL},
        content=CHILDREN,
        children={
            "categories": Spec(
                values={"output-type": frozenset({"FourSeverityLevels", "EightSeverityLevels"})},
                content=CHILDREN,
                children={
                    "category": Spec(
                        required=("name", "threshold"),
                        values={"name": frozenset({"Hate", "SelfHarm", "Sexual", "Violence"})},
                        ranges={"threshold": (0, 7)},
                    )
                },
            ),
            "blocklists": Spec(content=CHILDREN, children={"id": _VALUE}),
        },
    ),
    "cors": Spec(
        sections=_INBOUND,
        content=CHILDREN,
        children={
            "allowed-origins": Spec(content=CHILDREN, children={"origin": _VALUE}),
            "allowed-methods": Spec(content=CHILDREN, children={"method": _VALUE}),
            "allowed-headers": Spec(content=CHILDREN, children={"header": _VALUE}),
            "expose-headers": Spec(content=CHILDREN, children={"header": _VALUE}),
        },
        required_children=("allowed-origins", "allowed-headers"),
    ),
    "ip-filter": Spec(
        sections=_INBOUND,
        required=("action",),
        values={"action": frozenset({"allow", "forbid"})},
        content=CHILDREN,
        children={"address": _VALUE, "address-range": Spec(required=("from", "to"))},
    ),
    "log-to-eventhub": Spec(required=("logger-id",), content=TEXT),
    "trace": Spec(
        required=("source",),
        values={"severity": frozenset({"verbose", "information", "error"})},
        content=CHILDREN,
        children={"message": _VALUE, "metadata": Spec(required=("name", "value"))},
        required_children=("message",),
    ),
    # A fragment cannot nest another fragment.
    "include-fragment": Spec(scopes=SCOPES - {"fragment"}, required=("fragment-id",)),
    "mock-response": Spec(sections=frozenset({"inbound", "outbound", "on-error"})),
    "find-and-replace": Spec(required=("from", "to")),
    "send-request": Spec(
        required=("response-variable-name",),
        values={"mode": frozenset({"new", "copy"}), "ignore-error": _BOOL},
        content=CHILDREN,
        children={
            "set-url": _VALUE,
            "set-method": _VALUE,
            "set-header": _SET_HEADER,
            "set-body": _SET_BODY,
            "authentication-certificate": Spec(choices=((("thumbprint",), ("certificate-id",)),)),
            "authentication-managed-identity": _MANAGED_IDENTITY,
            "proxy": Spec(required=("url",)),
        },
    ),
    "limit-concurrency": Spec(required=("key", "max-count"), ranges={"max-count": (1, None)}, content=POLICIES),
    "cache-lookup": Spec(
        sections=_INBOUND,
        required=("vary-by-developer", "vary-by-developer-groups"),
        content=CHILDREN,
        children={"vary-by-header": _VALUE, "vary-by-query-parameter": _VALUE},
    ),
    "cache-store": Spec(sections=frozenset({"outbound"}), required=("duration",), ranges={"duration": (0, None)}),
}

_NAMED_VALUE_REF = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAMED_VALUE_NAME = re.compile(r"[A-Za-z0-9._-]+")


def _is_literal(value: str) -> bool:
    """False for values APIM computes at run time: policy expressions and named-value references."""
    return not (value.lstrip().startswith("@") or "{{" in value)


def _elements(parent: etree._Element) -> Iterator[etree._Element]:
    """Child elements only: comments and processing instructions carry no policy."""
    return (child for child in parent if isinstance(child.tag, str))


def _line(element: etree._Element) -> int:
    return element.sourceline or 1


def _has_text(text: str | None) -> bool:
    return bool(text and text.strip())


@dataclass
class _Linter:
    source: str
    scope: str
    named_values: frozenset[str]
    backends: frozenset[str]
    issues: list[LintIssue] = field(default_factory=list)

    def report(self, line: int, rule: str, message: str) -> None:
        self.issues.append(LintIssue(self.source, line, rule, message))

    def run(self, xml: str) -> list[LintIssue]:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=False)
        try:
            root = etree.fromstring(xml.encode("utf-8"), parser)
        except etree.XMLSyntaxError as exc:
            self.report(exc.lineno or 1, "xml-syntax", f"not well-formed XML: {exc.msg}")
            return self.issues
        expected = "fragment" if self.scope == "fragment" else "policies"
        if root.tag != expected:
            what = "a policy fragment" if self.scope == "fragment" else f"at {self.scope} scope a policy"
            self.report(_line(root), "root-element", f"root element is <{root.tag}>; {what} needs <{expected}>")
        elif self.scope == "fragment":
            self.check_policies(root, section=None, container="<fragment>", top=True)
        else:
            self.check_document(root)
        self.check_references(root)
        return sorted(self.issues, key=lambda issue: issue.line)

    def check_document(self, root: etree._Element) -> None:
        self.check_text(root, "<policies>")
        seen: dict[str, etree._Element] = {}
        for child in _elements(root):
            name = child.tag
            if name not in SECTIONS:
                self.report(
                    _line(child),
                    "unknown-section",
                    f"<{name}> is not a policy section; <policies> holds only {', '.join(SECTIONS)}",
                )
                continue
            if name in seen:
                self.report(
                    _line(child),
                    "duplicate-section",
                    f"<{name}> appears again (first at line {_line(seen[name])}); merge them into one",
                )
                continue
            later = [s for s in seen if SECTIONS.index(s) > SECTIONS.index(name)]
            if later:
                self.report(
                    _line(child),
                    "section-order",
                    f"<{name}> comes after <{later[0]}>; the order is {', '.join(SECTIONS)}",
                )
            seen[name] = child
            self.check_section(child)
        if self.scope in _INHERITING_SCOPES:
            for name in SECTIONS:
                if name not in seen:
                    self.report(
                        _line(root),
                        "missing-section",
                        f"<{name}> is missing; at {self.scope} scope declare every section, each with <base />",
                    )

    def check_section(self, section: etree._Element) -> None:
        name = section.tag
        bases = [child for child in _elements(section) if child.tag == "base"]
        for extra in bases[1:]:
            self.report(_line(extra), "duplicate-base", f"<{name}> says <base /> more than once")
        if self.scope == "global":
            for base in bases:
                self.report(
                    _line(base),
                    "base-not-allowed",
                    "<base /> at global scope has no parent scope to inherit from; remove it",
                )
        elif self.scope in _INHERITING_SCOPES:
            forwards = next(section.iter("forward-request"), None)
            problem = inheritance_problem(name, has_base=bool(bases), forwards=forwards is not None)
            if problem:
                rule, message = problem
                self.report(_line(bases[0] if bases else section), rule, message)
        self.check_policies(section, section=name, container=f"<{name}>", top=True)

    def check_text(self, element: etree._Element, container: str) -> None:
        if _has_text(element.text):
            self.report(
                _line(element),
                "unexpected-text",
                f"{container} holds text; only elements belong here",
            )
        for child in element:
            if _has_text(child.tail):
                after = f"<{child.tag}>" if isinstance(child.tag, str) else "a comment"
                self.report(
                    _line(child),
                    "unexpected-text",
                    f"{container} holds text after {after}; only elements belong here",
                )

    def check_policies(self, parent: etree._Element, *, section: str | None, container: str, top: bool = False) -> None:
        """Check the policy statements directly inside `parent`.

        `parent` is a section or fragment root (`top`), or a control-flow element whose children
        run in the same section.
        """
        self.check_text(parent, container)
        for child in _elements(parent):
            name = child.tag
            if top and section is None and (name in SECTIONS or name == "policies"):
                self.report(
                    _line(child),
                    "section-in-fragment",
                    f"<{name}> is not allowed in a fragment; put its policies directly under <fragment>",
                )
                continue
            if name == "base":
                if self.scope == "fragment":
                    self.report(
                        _line(child),
                        "base-not-allowed",
                        "<base /> is not allowed in a fragment; remove it",
                    )
                elif not top:
                    self.report(
                        _line(child),
                        "misplaced-base",
                        f"<base /> inside {container} has no effect; place it directly in the section",
                    )
                continue
            spec = POLICY_SPECS.get(name)
            if spec is None:
                self.report(
                    _line(child),
                    "unknown-element",
                    f"<{name}> is not an APIM policy known to this linter",
                )
                continue
            if section is not None and section not in spec.sections:
                allowed = ", ".join(s for s in SECTIONS if s in spec.sections)
                self.report(
                    _line(child),
                    "element-section",
                    f"<{name}> is not allowed in <{section}>; APIM allows it in: {allowed}",
                )
            if self.scope not in spec.scopes:
                allowed = ", ".join(s for s in _SCOPE_ORDER if s in spec.scopes)
                self.report(
                    _line(child),
                    "element-scope",
                    f"<{name}> is not allowed at {self.scope} scope; APIM allows it at: {allowed}",
                )
            self.check_element(child, spec, section=section)

    def check_element(self, element: etree._Element, spec: Spec, *, section: str | None) -> None:
        name = element.tag
        attrs = element.attrib
        line = _line(element)
        for attr in spec.required:
            if attr not in attrs:
                self.report(line, "missing-attribute", f"<{name}> needs attribute '{attr}'")
        for groups in spec.choices:
            if not any(all(attr in attrs for attr in group) for group in groups):
                options = " or ".join(" + ".join(f"'{attr}'" for attr in group) for group in groups)
                self.report(line, "attribute-choice", f"<{name}> needs {options}")
        for first, second in spec.pairs:
            if (first in attrs) != (second in attrs):
                present, absent = (first, second) if first in attrs else (second, first)
                self.report(
                    line,
                    "attribute-pair",
                    f"<{name}> sets '{present}' without '{absent}'; set both or neither",
                )
        self.check_values(element, spec)
        self.check_content(element, spec, section=section)

    def check_values(self, element: etree._Element, spec: Spec) -> None:
        name = element.tag
        for attr, allowed in spec.values.items():
            value = element.get(attr)
            if value is not None and _is_literal(value) and value not in allowed:
                self.report(
                    _line(element),
                    "attribute-value",
                    f'<{name}> {attr}="{value}" is not one of: {", ".join(sorted(allowed))}',
                )
        for attr, (low, high) in spec.ranges.items():
            value = element.get(attr)
            if value is None or not _is_literal(value):
                continue
            try:
                number: int | None = int(value.strip())
            except ValueError:
                number = None
            if number is None or number < low or (high is not None and number > high):
                bounds = f"an integer from {low}" + (f" to {high}" if high is not None else " up")
                self.report(_line(element), "attribute-value", f'<{name}> {attr}="{value}" must be {bounds}')

    def check_content(self, element: etree._Element, spec: Spec, *, section: str | None) -> None:
        name = element.tag
        children = list(_elements(element))
        if spec.content == ANY:
            return
        if spec.content == POLICIES:
            self.check_policies(element, section=section, container=f"<{name}>")
            return
        if spec.content in (EMPTY, TEXT):
            for child in children:
                self.report(
                    _line(child),
                    "unexpected-child",
                    f"<{name}> takes no child elements, found <{child.tag}>",
                )
            if spec.content == EMPTY and _has_text(element.text):
                self.report(_line(element), "unexpected-text", f"<{name}> takes no text")
            return
        self.check_text(element, f"<{name}>")
        for child in children:
            child_spec = spec.children.get(child.tag)
            if child_spec is None:
                allowed = ", ".join(f"<{tag}>" for tag in spec.children)
                self.report(
                    _line(child),
                    "unexpected-child",
                    f"<{child.tag}> is not allowed inside <{name}>; allowed: {allowed}",
                )
                continue
            self.check_element(child, child_spec, section=section)
        present = {child.tag for child in children}
        for required in spec.required_children:
            if required not in present:
                self.report(_line(element), "missing-child", f"<{name}> needs at least one <{required}>")
        if name == "choose":
            self.check_choose(children)

    def check_choose(self, children: list[etree._Element]) -> None:
        otherwise = [child for child in children if child.tag == "otherwise"]
        for extra in otherwise[1:]:
            self.report(_line(extra), "choose-structure", "<choose> has more than one <otherwise>")
        if len(otherwise) == 1 and children[-1] is not otherwise[0]:
            self.report(
                _line(otherwise[0]),
                "choose-structure",
                "<otherwise> must come after every <when> in <choose>",
            )

    def check_references(self, root: etree._Element) -> None:
        for element in root.iter():
            line = _line(element)
            parent = element.getparent()
            if element.tail and parent is not None:
                # lxml records where an element starts, not where it ends: count the lines it spans.
                tail_line = line + etree.tostring(element, with_tail=False).count(b"\n")
                self.check_named_values(element.tail, tail_line, f"text of <{parent.tag}>")
            if not isinstance(element.tag, str):
                continue  # a comment's own text is not substituted; its tail was checked above
            for attr, value in element.attrib.items():
                self.check_named_values(value, line, f"attribute '{attr}' of <{element.tag}>")
                if attr == "backend-id" and _is_literal(value) and value not in self.backends:
                    known = ", ".join(sorted(self.backends)) or "none"
                    self.report(
                        line,
                        "unknown-backend",
                        f'<{element.tag}> backend-id="{value}" names no declared backend (declared: {known})',
                    )
            if element.text:
                self.check_named_values(element.text, line, f"text of <{element.tag}>")

    def check_named_values(self, text: str, line: int, where: str) -> None:
        for match in _NAMED_VALUE_REF.finditer(text):
            name = match.group(1)
            at = line + text[: match.start()].count("\n")
            if not _NAMED_VALUE_NAME.fullmatch(name):
                self.report(
                    at,
                    "named-value-syntax",
                    f"{where} references {{{{{name}}}}}; named value names use letters, digits, '.', '-' and '_'",
                )
            elif name not in self.named_values:
                known = ", ".join(sorted(self.named_values)) or "none"
                self.report(
                    at,
                    "unknown-named-value",
                    f"{where} references {{{{{name}}}}}, which is not a declared named value (declared: {known})",
                )


def lint_policy(
    xml: str,
    *,
    source: str,
    scope: Scope,
    named_values: Collection[str],
    backends: Collection[str],
) -> list[LintIssue]:
    """Every rule the document breaks, ordered by line; an empty list means it is fit for APIM.

    `named_values` and `backends` are the names the gateway declares; references to anything
    else are reported, because APIM would reject the policy or fail every request.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r} is not one of: {', '.join(sorted(SCOPES))}")
    linter = _Linter(source, scope, frozenset(named_values), frozenset(backends))
    return linter.run(xml)


def check_policy(
    xml: str,
    *,
    source: str,
    scope: Scope,
    named_values: Collection[str],
    backends: Collection[str],
) -> None:
    """Raise PolicyLintError listing every issue unless the document lints clean."""
    issues = lint_policy(xml, source=source, scope=scope, named_values=named_values, backends=backends)
    if issues:
        raise PolicyLintError(issues)
