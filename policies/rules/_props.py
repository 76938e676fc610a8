"""Reading resource properties the way the engine hands them over (proxied, floats, "[secret]")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .plan_markers import SECRET

# Values that look like credentials: 32-hex keys (Azure OpenAI, APIM subscriptions), OpenAI
# "sk-" keys, JWTs and connection-string secrets. Long mixed-case base64 runs (Azure AI and
# storage keys) are checked separately so that hex thumbprints and ARM paths do not match.
_CREDENTIAL_PATTERNS = (
    re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)\b(?:AccountKey|SharedAccessKey|Password|Pwd)=[^;{\s]{8,}"),
)
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{44,}={0,2}")
_REFERENCE = re.compile(r"\{\{[^{}]+\}\}")


class Redacted(Exception):
    """A property the rule needs is hidden behind the offline plan's "[secret]" placeholder."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path} is redacted as a secret in this plan, so it cannot be checked offline")


def dig(value: Any, *path: str | int) -> Any:
    """Follow keys and list indexes; None when something is absent. Unknown values raise the
    SDK's UnknownValueError (through its proxy), as they would under the engine."""
    current = value
    walked: list[str] = []
    for key in path:
        if current is None:
            return None
        if isinstance(current, str) and current == SECRET:
            raise Redacted(".".join(walked) or "the resource")
        if isinstance(key, int):
            if not is_list(current) or not -len(current) <= key < len(current):
                return None
            current = current[key]
        else:
            if not isinstance(current, Mapping):
                return None
            current = current.get(key)
        walked.append(str(key))
    return current


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def items(value: Any) -> list[Any]:
    """The elements of a list property, or none when it is absent."""
    return list(value) if is_list(value) else []


def number(value: Any) -> float | None:
    """A numeric property (the engine hands every number over as a float), else None: booleans are not numbers."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def lower(value: Any) -> str:
    return text(value).lower()


def flag(value: Any) -> bool | None:
    """Booleans as Azure spells them: true/false, or the strings "True"/"false"."""
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(lower(value))


def leaf(resource_id: Any) -> str:
    """Last segment of an ARM id or APIM identifier, without an APIM ";rev=n" suffix."""
    return text(resource_id).rstrip("/").rsplit("/", 1)[-1].split(";", 1)[0].lower()


def strip_references(value: str) -> str:
    """The literal part of a string once APIM {{named-value}} references are removed."""
    return _REFERENCE.sub("", value)


def is_reference(value: Any) -> bool:
    return bool(text(value)) and not strip_references(text(value)).strip()


def looks_like_credential(value: Any) -> bool:
    literal = strip_references(text(value))
    if any(pattern.search(literal) for pattern in _CREDENTIAL_PATTERNS):
        return True
    return any(_random_looking(run) for run in _BASE64_RUN.findall(literal))


def _random_looking(run: str) -> bool:
    # A key mixes cases and digits in long stretches; an ARM path is short words between slashes.
    longest = max(run.split("/"), key=len)
    return (
        len(longest) >= 24
        and any(c.isupper() for c in longest)
        and any(c.islower() for c in longest)
        and any(c.isdigit() for c in longest)
    )


def has_managed_identity(identity: Any) -> bool:
    """True when identity.type names a system- or user-assigned identity ("SystemAssigned, UserAssigned", ...)."""
    types = {part.strip().lower() for part in text(dig(identity, "type")).split(",")}
    return bool(types & {"systemassigned", "userassigned"})


def names(values: Iterable[Any]) -> str:
    return ", ".join(sorted(str(value) for value in values))
