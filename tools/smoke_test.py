"""Smoke test of a deployed stack: calls the gateway as a client would and reports each check.

Both surfaces: the deployment-path API with the AzureOpenAI client, and the v1 API (Responses, streamed
chat, embeddings) with the plain OpenAI client.

    python -m tools.smoke_test --stack dev
    python -m tools.smoke_test --outputs outputs.json

Exit status: 0 when every check passes, 1 when one fails, 2 when the stack outputs or the
arguments cannot drive the checks.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import openai
from openai import AzureOpenAI, OpenAI
from openai.types.responses import Response
from pydantic.alias_generators import to_camel

from components.apim.policies import CLIENT_HEADERS
from components.text import clip, one_line
from policies.rules.plan_markers import SECRET, UNKNOWN

# APIM subscription keys are 32 hex characters; this one can never have been issued.
INVALID_SUBSCRIPTION_KEY = "smoke-test-invalid-subscription-key"

# The burst may start with a partly used window (earlier checks spend from the same key),
# so a gateway that enforces the limit answers 429 well within limit + this margin.
BURST_MARGIN = 5

PULUMI_TIMEOUT_SECONDS = 120
# The Responses API refuses a smaller max_output_tokens.
MIN_OUTPUT_TOKENS = 16

PROMPT = "Reply with the single word: pong"
# How to get outputs with real secrets; the offline plan's outputs.json only has placeholders.
REAL_OUTPUTS_COMMAND = "pulumi stack output --json --show-secrets > outputs.json"

# An APIM API path: URL-safe segments joined by "/", no leading or trailing "/".
API_PATH = re.compile(r"[A-Za-z0-9._~-]+(?:/[A-Za-z0-9._~-]+)*")


class OutputsError(Exception):
    """The stack outputs, or the products named on the command line, cannot drive the checks."""


@dataclass(frozen=True)
class ProductLimits:
    requests_per_period: int | None
    renewal_period_seconds: int | None
    tokens_per_minute: int | None


@dataclass(frozen=True)
class StackOutputs:
    gateway_url: str
    api_path: str
    v1_path: str
    api_version: str
    subscription_keys: Mapping[str, str]
    chat_deployment: str
    embedding_deployment: str
    product_limits: Mapping[str, ProductLimits]

    @property
    def api_base_url(self) -> str:
        """The deployment-path API; the AzureOpenAI client adds /deployments/<model>/..."""
        return f"{self.gateway_url.rstrip('/')}/{self.api_path}"

    @property
    def v1_base_url(self) -> str:
        return f"{self.gateway_url.rstrip('/')}/{self.v1_path}/"


# Every field is a stack output the program exports, spelled as the program spells it.
REQUIRED_OUTPUTS = tuple(to_camel(field.name) for field in fields(StackOutputs))
LIMIT_FIELDS = tuple(to_camel(field.name) for field in fields(ProductLimits))


@dataclass(frozen=True)
class CheckSettings:
    product: str
    burst_product: str | None
    # The header names the product policy is rendered with.
    remaining_tokens_header: str = CLIENT_HEADERS["remaining_tokens"]
    tokens_consumed_header: str = CLIENT_HEADERS["tokens_consumed"]
    max_tokens: int = 16
    # Reasoning models spend part of the output budget thinking; too little leaves no text to check.
    v1_max_tokens: int = 512
    # Above the prod products' request limits (+ margin), still bounded so a missing limit cannot run away.
    max_burst_calls: int = 1000


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str
    elapsed_ms: int

    def line(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        return f"{status}  {self.name:<18} {self.elapsed_ms:>6} ms  {self.detail}"


@dataclass(frozen=True)
class Clients:
    """The clients a caller of each surface would use, made for one subscription key at a time."""

    outputs: StackOutputs
    timeout_seconds: float

    def deployments(self, subscription_key: str) -> AzureOpenAI:
        # max_retries=0: a retry would hide exactly the 401/429 behaviour being checked.
        return AzureOpenAI(
            base_url=self.outputs.api_base_url,
            api_key=subscription_key,
            api_version=self.outputs.api_version,
            max_retries=0,
            timeout=self.timeout_seconds,
        )

    def v1(self, subscription_key: str) -> OpenAI:
        # OpenAI() sends the key as a bearer token; the gateway reads subscription keys from api-key.
        return OpenAI(
            base_url=self.outputs.v1_base_url,
            api_key=subscription_key,
            default_headers={"api-key": subscription_key},
            max_retries=0,
            timeout=self.timeout_seconds,
        )


# Clients.deployments or Clients.v1: the surface a check calls.
Surface = Callable[[Clients, str], OpenAI]
# A check gets its surface's client for any subscription key, and asks for the key it needs.
Connect = Callable[[str], OpenAI]
Check = Callable[[Connect, StackOutputs, CheckSettings], tuple[bool, str]]
Number = TypeVar("Number", int, float)
Parsed = TypeVar("Parsed")


def parse_outputs(raw: object, source: str) -> StackOutputs:
    """Validate the JSON object of stack outputs; every error names the output at fault."""
    if not isinstance(raw, Mapping):
        raise OutputsError(f"{source}: expected a JSON object of stack outputs, got {_kind(raw)}")
    placeholders = {key: marker for key in REQUIRED_OUTPUTS if (marker := _placeholder(raw.get(key)))}
    if placeholders:
        shown = ", ".join(f"{key} holds {marker!r}" for key, marker in placeholders.items())
        raise OutputsError(
            f"{source}: {shown}: these are the offline plan's placeholders, not a deployed stack's values; "
            f"get real ones with `{REAL_OUTPUTS_COMMAND}`"
        )
    missing = [key for key in REQUIRED_OUTPUTS if key not in raw]
    if missing:
        raise OutputsError(
            f"{source}: missing stack output(s) {', '.join(missing)}; "
            f"the program must export {', '.join(REQUIRED_OUTPUTS)}"
        )
    gateway_url = _gateway_url(raw, source)
    # Keys are secrets: _text names the product at fault, never the value.
    subscription_keys = _per_product(raw, "subscriptionKeys", "key", source, _text)
    product_limits = _per_product(raw, "productLimits", "limits", source, _limits)
    uncovered = sorted(set(subscription_keys) - set(product_limits))
    if uncovered:
        raise OutputsError(
            f"{source}: productLimits has no entry for product(s) {', '.join(uncovered)} that subscriptionKeys lists"
        )
    return StackOutputs(
        gateway_url=gateway_url,
        api_path=_api_path(raw, "apiPath", source),
        v1_path=_api_path(raw, "v1Path", source),
        api_version=_output(raw, "apiVersion", source),
        subscription_keys=subscription_keys,
        chat_deployment=_output(raw, "chatDeployment", source),
        embedding_deployment=_output(raw, "embeddingDeployment", source),
        product_limits=product_limits,
    )


def read_outputs_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OutputsError(f"{path}: cannot read the outputs file ({exc.strerror})") from exc


def read_stack_outputs(stack: str) -> str:
    command = ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack]
    shown = " ".join(command)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PULUMI_TIMEOUT_SECONDS, check=False)
    except FileNotFoundError as exc:
        raise OutputsError(
            "pulumi CLI not found on PATH; install it, or pass --outputs FILE holding the stack outputs as JSON"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise OutputsError(f"`{shown}` did not finish within {PULUMI_TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise OutputsError(f"`{shown}` failed: {reason}")
    return done.stdout


def choose_products(outputs: StackOutputs, product: str | None, burst_product: str | None) -> tuple[str, str | None]:
    """Pick the product for the chat/embedding checks and the one whose request limit to burst.

    By default the chat product is one with a token limit (so the token headers must be
    present) and the burst product is the one with the smallest request limit (fewest calls).
    """
    known = sorted(outputs.subscription_keys)
    for flag, name in (("--product", product), ("--burst-product", burst_product)):
        if name is not None and name not in outputs.subscription_keys:
            raise OutputsError(f"{flag} {name!r} is not in the stack's subscriptionKeys ({', '.join(known)})")
    if product is None:
        token_limited = [p for p in known if outputs.product_limits[p].tokens_per_minute]
        product = (token_limited or known)[0]
    if burst_product is None:
        limited = [(limit, p) for p in known if (limit := outputs.product_limits[p].requests_per_period) is not None]
        burst_product = min(limited)[1] if limited else None
    return product, burst_product


def check_chat(connect: Connect, outputs: StackOutputs, settings: CheckSettings) -> tuple[bool, str]:
    client = connect(outputs.subscription_keys[settings.product])
    raw = client.chat.completions.with_raw_response.create(
        model=outputs.chat_deployment,
        messages=[{"role": "user", "content": PROMPT}],
        # Reasoning models (gpt-5.x, o-series) refuse max_tokens; every current chat model takes this one.
        max_completion_tokens=settings.max_tokens,
    )
    completion = raw.parse()
    where = f"{outputs.chat_deployment} via {settings.product}"
    if not completion.choices:
        return False, f"{where}: HTTP {raw.status_code} but the completion has no choices"
    usage = f"{completion.usage.total_tokens} tokens" if completion.usage else "no usage"
    return _with_token_headers(where, usage, raw.headers, outputs, settings)


def check_embedding(connect: Connect, outputs: StackOutputs, settings: CheckSettings) -> tuple[bool, str]:
    client = connect(outputs.subscription_keys[settings.product])
    result = client.embeddings.create(
        model=outputs.embedding_deployment,
        input="aoai-gateway smoke test",
        encoding_format="float",
    )
    where = f"{outputs.embedding_deployment} via {settings.product}"
    if not result.data or not result.data[0].embedding:
        return False, f"{where}: the response carries no embedding vector"
    return True, f"{where}: vector of {len(result.data[0].embedding)} dimensions"


def check_v1_response(connect: Connect, outputs: StackOutputs, settings: CheckSettings) -> tuple[bool, str]:
    client = connect(outputs.subscription_keys[settings.product])
    # store=False: a smoke test leaves no conversation behind on the account.
    raw = client.responses.with_raw_response.create(
        model=outputs.chat_deployment,
        input=PROMPT,
        max_output_tokens=settings.v1_max_tokens,
        store=False,
    )
    response = raw.parse()
    where = f"{outputs.chat_deployment} via {settings.product}"
    if not response.output_text.strip():
        reason = response.incomplete_details.reason if response.incomplete_details else None
        status = f"{response.status} ({reason})" if reason else response.status
        hint = ""
        if reason == "max_output_tokens":
            hint = "; raise --v1-max-tokens (reasoning models spend output tokens thinking)"
        return False, f"{where}: HTTP {raw.status_code}, status {status} but no output text{hint}"
    if response.usage is None:
        return False, f"{where}: answered {_clip(response.output_text, 40)!r} but the response carries no usage"
    return _with_token_headers(where, f"{response.usage.total_tokens} tokens", raw.headers, outputs, settings)


def check_v1_response_stream(connect: Connect, outputs: StackOutputs, settings: CheckSettings) -> tuple[bool, str]:
    client = connect(outputs.subscription_keys[settings.product])
    stream = client.responses.create(
        model=outputs.chat_deployment,
        input=PROMPT,
        max_output_tokens=settings.v1_max_tokens,
        store=False,
        stream=True,
    )
    events = deltas = 0
    last = "none"
    completed: Response | None = None
    with stream:
        for event in stream:
            events += 1
            last = event.type
            if event.type == "response.output_text.delta":
                deltas += 1
            elif event.type == "response.completed":
                completed = event.response
    where = f"{outputs.chat_deployment} via {settings.product}"
    if not deltas:
        return False, f"{where}: {events} events but no response.output_text.delta (last event {last})"
    if completed is None:
        return False, f"{where}: {deltas} text deltas but no response.completed (last event {last})"
    usage = f"{completed.usage.total_tokens} tokens" if completed.usage else "no usage"
    return True, f"{where}: {deltas} text deltas, then response.completed; {usage}"


def check_v1_chat_stream(connect: Connect, outputs: StackOutputs, settings: CheckSettings) -> tuple[bool, str]:
    client = connect(outputs.subscription_keys[settings.product])
    stream = client.chat.completions.create(
        model=outputs.chat_deployment,
        messages=[{"role": "user", "content": PROMPT}],
        max_completion_tokens=settings.v1_max_tokens,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = deltas = 0
    finish_reason: str | None = None
    usage = "no usage"
    with stream:
        for chunk in stream:
            chunks += 1
            if chunk.usage is not None:
                usage = f"{chunk.usage.total_tokens} tokens"
            for choice in chunk.choices:
                deltas += bool(choice.delta and choice.delta.content)
                finish_reason = choice.finish_reason or finish_reason
    where = f"{outputs.chat_deployment} via {settings.product}"
    if not deltas:
        return False, f"{where}: {chunks} chunks but no content delta (finish_reason {finish_reason})"
    if finish_reason is None:
        return False, f"{where}: {deltas} content deltas but the stream ended without a finish_reason"
    return True, f"{where}: {deltas} content deltas, finish_reason {finish_reason}; {usage}"


def check_wrong_key(connect: Connect, outputs: StackOutputs, settings: CheckSettings) -> tuple[bool, str]:
    client = connect(INVALID_SUBSCRIPTION_KEY)
    try:
        client.embeddings.create(model=outputs.embedding_deployment, input="wrong key", encoding_format="float")
    except openai.AuthenticationError as exc:
        return True, f"HTTP 401: {_error_message(exc)}"
    except openai.APIStatusError as exc:
        return False, f"expected HTTP 401, got {exc.status_code}: {_error_message(exc)}"
    return False, "a request with an unknown subscription key was accepted (expected HTTP 401)"


def check_burst(connect: Connect, outputs: StackOutputs, settings: CheckSettings) -> tuple[bool, str]:
    product = settings.burst_product
    if product is None:
        return False, "no product in productLimits sets requestsPerPeriod; nothing to burst"
    limits = outputs.product_limits[product]
    limit = limits.requests_per_period
    if limit is None:
        return False, f"product {product} sets no requestsPerPeriod; nothing to burst"
    window = f"limit {limit} per {limits.renewal_period_seconds} s"
    budget = limit + BURST_MARGIN
    if budget > settings.max_burst_calls:
        return False, (
            f"{product} ({window}) needs up to {budget} calls, above --max-burst-calls "
            f"{settings.max_burst_calls}; raise it or pick --burst-product"
        )
    client = connect(outputs.subscription_keys[product])
    for call in range(1, budget + 1):
        try:
            client.embeddings.create(model=outputs.embedding_deployment, input="burst", encoding_format="float")
        except openai.RateLimitError as exc:
            retry_after = exc.response.headers.get("retry-after")
            if retry_after is None:
                return False, f"{product}: 429 on call {call} but no Retry-After header"
            if not _is_retry_after(retry_after):
                return False, (
                    f"{product}: 429 on call {call} but Retry-After {retry_after!r} is neither seconds nor an HTTP date"
                )
            return True, f"{product}: 429 on call {call} ({window}), Retry-After {retry_after}"
    return False, f"{product}: no 429 after {budget} calls ({window})"


# The burst runs last: it spends the product's request window that the others need.
CHECKS: tuple[tuple[str, Surface, Check], ...] = (
    ("chat completion", Clients.deployments, check_chat),
    ("embedding", Clients.deployments, check_embedding),
    ("v1 response", Clients.v1, check_v1_response),
    ("v1 response stream", Clients.v1, check_v1_response_stream),
    ("v1 chat stream", Clients.v1, check_v1_chat_stream),
    ("v1 embedding", Clients.v1, check_embedding),
    ("wrong key 401", Clients.deployments, check_wrong_key),
    ("v1 wrong key 401", Clients.v1, check_wrong_key),
    ("burst 429", Clients.deployments, check_burst),
)


def run_checks(outputs: StackOutputs, settings: CheckSettings, clients: Clients) -> list[CheckResult]:
    results: list[CheckResult] = []
    for name, surface, check in CHECKS:
        started = time.perf_counter()
        try:
            passed, detail = check(partial(surface, clients), outputs, settings)
        except openai.APIStatusError as exc:
            passed, detail = False, f"HTTP {exc.status_code}: {_error_message(exc)}"
        except openai.APIError as exc:
            cause = f" ({exc.__cause__})" if exc.__cause__ else ""
            passed, detail = False, _clip(f"{type(exc).__name__}: {exc.message}{cause}")
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        results.append(CheckResult(name, passed, detail, elapsed_ms))
    return results


def format_report(results: Sequence[CheckResult], outputs: StackOutputs, source: str) -> str:
    failed = sum(not result.passed for result in results)
    verdict = f"all {len(results)} checks passed" if not failed else f"{failed} of {len(results)} checks failed"
    return "\n".join(
        [
            f"smoke test of {source}: {outputs.api_base_url} (api-version {outputs.api_version}) "
            f"and {outputs.v1_base_url}",
            *(result.line() for result in results),
            verdict,
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.outputs is not None:
            source = str(args.outputs)
            text = read_outputs_file(args.outputs)
        else:
            source = f"stack {args.stack}"
            text = read_stack_outputs(args.stack)
        outputs = parse_outputs(_json(text, source), source)
        product, burst_product = choose_products(outputs, args.product, args.burst_product)
    except OutputsError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    # Every setting has an option of its name; the products are the ones chosen above.
    options = {field.name: getattr(args, field.name) for field in fields(CheckSettings)}
    settings = CheckSettings(**options | {"product": product, "burst_product": burst_product})
    results = run_checks(outputs, settings, Clients(outputs, args.timeout))
    print(format_report(results, outputs, source))
    return 0 if all(result.passed for result in results) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.smoke_test",
        description="Call a deployed gateway as a client would; exit 0 only if every check passes.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="read outputs with `pulumi stack output` for this stack")
    where.add_argument("--outputs", type=Path, help="read outputs from this JSON file instead")
    parser.add_argument("--product", help="product for the chat, embedding and v1 checks")
    parser.add_argument("--burst-product", help="product whose request limit the burst hits")
    parser.add_argument("--remaining-tokens-header", default=CheckSettings.remaining_tokens_header)
    parser.add_argument("--tokens-consumed-header", default=CheckSettings.tokens_consumed_header)
    parser.add_argument("--timeout", type=_positive_float, default=30.0, help="seconds per call")
    parser.add_argument(
        "--max-tokens",
        type=_positive_int,
        default=CheckSettings.max_tokens,
        help="max_completion_tokens of the deployment-path chat completion",
    )
    parser.add_argument(
        "--v1-max-tokens",
        type=_output_tokens,
        default=CheckSettings.v1_max_tokens,
        help="output token cap of the v1 response and chat checks (reasoning models spend part of it thinking)",
    )
    parser.add_argument(
        "--max-burst-calls",
        type=_positive_int,
        default=CheckSettings.max_burst_calls,
        help="refuse to burst a product whose limit needs more calls than this",
    )
    return parser


def _positive(text: str, kind: Callable[[str], Number], expected: str) -> Number:
    try:
        value = kind(text)
        if value > 0:
            return value
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")


_positive_int = partial(_positive, kind=int, expected="a whole number of at least 1")
_positive_float = partial(_positive, kind=float, expected="a number above 0")


def _output_tokens(text: str) -> int:
    value = _positive_int(text)
    if value < MIN_OUTPUT_TOKENS:
        raise argparse.ArgumentTypeError(
            f"expected at least {MIN_OUTPUT_TOKENS} (the Responses API's minimum max_output_tokens), got {text!r}"
        )
    return value


def _json(text: str, source: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputsError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc


def _output(raw: Mapping[str, object], key: str, source: str) -> str:
    return _text(raw[key], f"{source}: output {key}")


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise OutputsError(f"{where} must be a non-empty string, got {_kind(value)}")
    return value


def _gateway_url(raw: Mapping[str, object], source: str) -> str:
    url = _output(raw, "gatewayUrl", source)
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))
    if not host or not secure or parts.query or parts.fragment:
        raise OutputsError(
            f"{source}: output gatewayUrl {url!r} must be an https:// base URL without query "
            "(plain http is accepted only for a loopback test gateway)"
        )
    return url


def _api_path(raw: Mapping[str, object], key: str, source: str) -> str:
    value = _output(raw, key, source)
    if not API_PATH.fullmatch(value):
        raise OutputsError(
            f"{source}: output {key} must be the API's path under gatewayUrl, URL-safe segments joined by '/' "
            f"without a leading or trailing '/' (e.g. 'openai/v1'), got {value!r}"
        )
    return value


def _placeholder(value: object) -> str | None:
    """The plan's marker standing in for `value` or for anything inside it, if any."""
    if isinstance(value, str):
        return value if value in (SECRET, UNKNOWN) else None
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
    return next((marker for item in items if (marker := _placeholder(item))), None)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _per_product(
    raw: Mapping[str, object], output: str, what: str, source: str, parse: Callable[[object, str], Parsed]
) -> dict[str, Parsed]:
    """The output's object of product to `what`, each entry parsed by `parse(entry, where)`."""
    value = raw[output]
    if not isinstance(value, Mapping) or not value:
        raise OutputsError(
            f"{source}: output {output} must be a non-empty object of product to {what}, got {_kind(value)}"
        )
    return {str(product): parse(entry, f"{source}: {output}.{product}") for product, entry in value.items()}


def _limits(entry: object, where: str) -> ProductLimits:
    if not isinstance(entry, Mapping):
        raise OutputsError(f"{where} must be an object with {', '.join(LIMIT_FIELDS)}")
    absent = [field for field in LIMIT_FIELDS if field not in entry]
    if absent:
        raise OutputsError(f"{where} is missing {', '.join(absent)} (use null for no limit)")
    parsed = ProductLimits(*(_limit(entry[field], f"{where}.{field}") for field in LIMIT_FIELDS))
    if (parsed.requests_per_period is None) != (parsed.renewal_period_seconds is None):
        raise OutputsError(f"{where}: requestsPerPeriod and renewalPeriodSeconds must both be set or both be null")
    return parsed


def _limit(value: object, where: str) -> int | None:
    if value is None:
        return None
    # Pulumi may hand integers back as floats (1000.0); accept those, reject 2.5 and booleans.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OutputsError(f"{where} must be a whole number of at least 1 or null, got {value!r}")
    return value


def _with_token_headers(
    where: str, usage: str, headers: Mapping[str, str], outputs: StackOutputs, settings: CheckSettings
) -> tuple[bool, str]:
    """Pass an answered call only if the product's token headers came with it (when it sets a token limit)."""
    if outputs.product_limits[settings.product].tokens_per_minute is None:
        return True, f"{where}: {usage}; product sets no tokensPerMinute, headers not required"
    found: list[str] = []
    problems: list[str] = []
    for name in (settings.tokens_consumed_header, settings.remaining_tokens_header):
        value = headers.get(name)
        if value is None:
            problems.append(f"{name} missing")
        elif not value.strip().isdigit():
            problems.append(f"{name}={value!r} is not a whole number")
        else:
            found.append(f"{name}={value.strip()}")
    if problems:
        return False, f"{where}: answered, but token headers are wrong: {'; '.join(problems)}"
    return True, f"{where}: {usage}; {', '.join(found)}"


def _is_retry_after(value: str) -> bool:
    text = value.strip()
    if text.isdigit():
        return True
    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return False
    return True


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return _clip(str(body["message"]))
    return _clip(exc.message)


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _clip(text: str, limit: int = 160) -> str:
    return clip(one_line(text), limit)


if __name__ == "__main__":
    sys.exit(main())
