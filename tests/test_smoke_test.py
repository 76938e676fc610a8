"""tools.smoke_test against a local fake of the gateway (plain http on 127.0.0.1), serving both surfaces: the
deployment-path API (api-version, deployment in the URL) and the v1 API (model in the body, JSON or SSE)."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tools import smoke_test

API_VERSION = "2024-10-21"
CHAT = "gpt-4o"
EMBEDDING = "text-embedding-3-small"
KEYS = {"standard": "a" * 32, "unlimited": "b" * 32}
REQUEST_LIMIT = 10
# Calls the standard key makes before the burst: chat, embedding, v1 response, v1 response stream, v1 chat stream,
# v1 embedding (the wrong-key checks use a key the gateway does not count).
CALLS_BEFORE_BURST = 6
TOKEN_HEADERS = {"x-gateway-tokens-consumed": "7", "x-gateway-remaining-tokens": "993"}
ACCESS_DENIED = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
)


@dataclass
class Behaviour:
    """What the fake gateway enforces; each test flips one thing to break one check."""

    limits: dict[str, int] = field(default_factory=lambda: {KEYS["standard"]: REQUEST_LIMIT})
    accept_any_key: bool = False
    retry_after: bool = True
    # The surfaces ("deployments", "v1") whose answers carry the token headers.
    token_headers: set[str] = field(default_factory=lambda: {"deployments", "v1"})
    api_path: str = "openai"
    v1_path: str = "openai/v1"
    # v1 routes served; one left out answers 404 as APIM does for an operation it does not publish.
    v1_routes: set[str] = field(default_factory=lambda: {"responses", "chat/completions", "embeddings"})
    response_text: bool = True
    response_usage: bool = True
    stream_deltas: bool = True
    stream_completed: bool = True
    chat_stream_deltas: bool = True
    calls: Counter[str] = field(default_factory=Counter)
    # (path, api-version query or None, model, stream) of every call that got past the key check.
    requests: list[tuple[str, str | None, str | None, bool]] = field(default_factory=list)


class FakeGateway(BaseHTTPRequestHandler):
    server: GatewayServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        behaviour = self.server.behaviour
        url = urlsplit(self.path)
        api_version = parse_qs(url.query).get("api-version", [None])[0]
        deployments = re.fullmatch(
            rf"/{re.escape(behaviour.api_path)}/deployments/(?P<deployment>[^/]+)/(?P<op>chat/completions|embeddings)",
            url.path,
        )
        v1 = re.fullmatch(rf"/{re.escape(behaviour.v1_path)}/(?P<op>.+)", url.path)
        if deployments is not None and api_version == API_VERSION:
            surface, op, model = "deployments", deployments["op"], deployments["deployment"]
        elif v1 is not None and v1["op"] in behaviour.v1_routes and api_version in (None, "v1"):
            surface, op, model = "v1", v1["op"], body.get("model")
        else:
            self._reply(404, {"statusCode": 404, "message": "Resource not found"})
            return
        key = self.headers.get("api-key", "")
        if key not in KEYS.values() and not behaviour.accept_any_key:
            self._reply(401, {"statusCode": 401, "message": ACCESS_DENIED})
            return
        behaviour.calls[key] += 1
        behaviour.requests.append((url.path, api_version, model, bool(body.get("stream"))))
        limit = behaviour.limits.get(key)
        if limit is not None and behaviour.calls[key] > limit:
            headers = {"Retry-After": "42"} if behaviour.retry_after else {}
            self._reply(
                429,
                {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 42 seconds."},
                headers,
            )
            return
        if model != (EMBEDDING if op == "embeddings" else CHAT):
            error = {"message": f"The model {model!r} does not exist", "type": "invalid_request_error"}
            self._reply(404, {"error": {**error, "param": "model", "code": "DeploymentNotFound"}})
            return
        headers = TOKEN_HEADERS if surface in behaviour.token_headers else {}
        if op == "embeddings":
            self._reply(200, _embedding(model), headers)
        elif op == "responses" and body.get("stream"):
            self._stream(_response_events(model, behaviour), headers)
        elif op == "responses":
            self._reply(200, _response(model, behaviour.response_text, behaviour.response_usage), headers)
        elif body.get("stream"):
            self._stream(_chat_chunks(model, behaviour.chat_stream_deltas), headers)
        else:
            self._reply(200, _completion(model), headers)

    def _reply(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, "application/json", json.dumps(payload).encode(), headers or {})

    def _stream(self, events: list[tuple[str | None, str]], headers: dict[str, str]) -> None:
        """Server-sent events: an `event:` line when named (Responses), then the `data:` line."""
        text = "".join((f"event: {name}\n" if name else "") + f"data: {data}\n\n" for name, data in events)
        self._send(200, "text/event-stream", text.encode(), headers)

    def _send(self, status: int, content_type: str, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), FakeGateway)
        self.behaviour = behaviour


def _completion(deployment: str) -> dict[str, object]:
    return {
        "id": "chatcmpl-smoke",
        "object": "chat.completion",
        "created": 0,
        "model": deployment,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "pong"},
            }
        ],
        "usage": {"prompt_tokens": 6, "completion_tokens": 1, "total_tokens": 7},
    }


def _embedding(deployment: str) -> dict[str, object]:
    return {
        "object": "list",
        "model": deployment,
        "data": [{"object": "embedding", "index": 0, "embedding": [0.25, -0.5, 0.125]}],
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }


def _response(model: str, text: bool = True, usage: bool = True) -> dict[str, object]:
    """A Responses API answer; without text it is what a reasoning model gives when the output cap runs out."""
    message = {
        "type": "message",
        "id": "msg_smoke",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "pong", "annotations": []}],
    }
    reasoning = {"type": "reasoning", "id": "rs_smoke", "summary": []}
    return {
        "id": "resp_smoke",
        "object": "response",
        "created_at": 0,
        "status": "completed" if text else "incomplete",
        "incomplete_details": None if text else {"reason": "max_output_tokens"},
        "error": None,
        "model": model,
        "output": [message] if text else [reasoning],
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "top_p": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 8,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 1,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 9,
        }
        if usage
        else None,
    }


def _response_events(model: str, behaviour: Behaviour) -> list[tuple[str | None, str]]:
    """A streamed Responses answer; the behaviour can leave out the text deltas or the closing event."""
    started = {**_response(model), "status": "in_progress", "output": [], "usage": None}
    item = {"type": "message", "id": "msg_smoke", "status": "in_progress", "role": "assistant", "content": []}
    where = {"item_id": "msg_smoke", "output_index": 0, "content_index": 0}
    events: list[dict[str, object]] = [
        {"type": "response.created", "response": started},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {
            "type": "response.content_part.added",
            **where,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]
    if behaviour.stream_deltas:
        events += [
            {"type": "response.output_text.delta", **where, "delta": part, "logprobs": []} for part in ("po", "ng")
        ]
    events.append({"type": "response.output_text.done", **where, "text": "pong", "logprobs": []})
    if behaviour.stream_completed:
        events.append({"type": "response.completed", "response": _response(model)})
    return [(str(event["type"]), json.dumps({**event, "sequence_number": n})) for n, event in enumerate(events)]


def _chat_chunks(model: str, deltas: bool) -> list[tuple[str | None, str]]:
    """A streamed chat completion as Azure sends it: filter results first, usage last, then [DONE]."""
    head = {"id": "chatcmpl-smoke", "object": "chat.completion.chunk", "created": 0, "model": model}
    choice: dict[str, object] = {"index": 0, "finish_reason": None}
    chunks: list[dict[str, object]] = [
        {**head, "model": "", "choices": [], "prompt_filter_results": [{"prompt_index": 0}]},
        {**head, "choices": [{**choice, "delta": {"role": "assistant", "content": ""}}]},
    ]
    if deltas:
        chunks += [{**head, "choices": [{**choice, "delta": {"content": part}}]} for part in ("po", "ng")]
    finish = "stop" if deltas else "length"
    chunks.append({**head, "choices": [{**choice, "delta": {}, "finish_reason": finish}]})
    chunks.append({**head, "choices": [], "usage": {"prompt_tokens": 6, "completion_tokens": 1, "total_tokens": 7}})
    events: list[tuple[str | None, str]] = [(None, json.dumps(chunk)) for chunk in chunks]
    return [*events, (None, "[DONE]")]


@pytest.fixture
def behaviour() -> Behaviour:
    return Behaviour()


@pytest.fixture
def gateway(behaviour: Behaviour, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = GatewayServer(behaviour)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


def _outputs(gateway_url: str) -> dict[str, object]:
    return {
        "gatewayUrl": gateway_url,
        "apiPath": "openai",
        "v1Path": "openai/v1",
        "apiVersion": API_VERSION,
        "subscriptionKeys": dict(KEYS),
        "chatDeployment": CHAT,
        "embeddingDeployment": EMBEDDING,
        "productLimits": {
            "standard": {
                "requestsPerPeriod": REQUEST_LIMIT,
                "renewalPeriodSeconds": 60,
                "tokensPerMinute": 1000,
            },
            "unlimited": {
                "requestsPerPeriod": None,
                "renewalPeriodSeconds": None,
                "tokensPerMinute": None,
            },
        },
    }


def _write(tmp_path: Path, outputs: object) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return str(path)


def _run(tmp_path: Path, outputs: object, *extra: str) -> int:
    return smoke_test.main(["--outputs", _write(tmp_path, outputs), "--timeout", "5", *extra])


def _lines(output: str) -> dict[str, str]:
    """Report lines keyed by check name, as PASS/FAIL plus detail."""
    report: dict[str, str] = {}
    for line in output.splitlines():
        match = re.match(r"^(PASS|FAIL)  (.+?)\s+(\d+) ms  (.*)$", line)
        if match:
            report[match[2]] = f"{match[1]} {match[4]}"
    return report


CHECK_NAMES = [
    "chat completion",
    "embedding",
    "v1 response",
    "v1 response stream",
    "v1 chat stream",
    "v1 embedding",
    "wrong key 401",
    "v1 wrong key 401",
    "burst 429",
]
HEADERS_SEEN = "x-gateway-tokens-consumed=7, x-gateway-remaining-tokens=993"
PASSING = {
    "chat completion": f"PASS gpt-4o via standard: 7 tokens; {HEADERS_SEEN}",
    "embedding": "PASS text-embedding-3-small via standard: vector of 3 dimensions",
    "v1 response": f"PASS gpt-4o via standard: 9 tokens; {HEADERS_SEEN}",
    "v1 response stream": "PASS gpt-4o via standard: 2 text deltas, then response.completed; 9 tokens",
    "v1 chat stream": "PASS gpt-4o via standard: 2 content deltas, finish_reason stop; 7 tokens",
    "v1 embedding": "PASS text-embedding-3-small via standard: vector of 3 dimensions",
    "wrong key 401": f"PASS HTTP 401: {ACCESS_DENIED}",
    "v1 wrong key 401": f"PASS HTTP 401: {ACCESS_DENIED}",
    "burst 429": "PASS standard: 429 on call 5 (limit 10 per 60 s), Retry-After 42",
}


def test_all_checks_pass_against_a_conforming_gateway(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, _outputs(gateway)) == 0
    out = capsys.readouterr().out
    assert _lines(out) == PASSING
    assert list(_lines(out)) == CHECK_NAMES
    assert out.startswith(
        f"smoke test of {tmp_path / 'outputs.json'}: {gateway}/openai (api-version {API_VERSION}) "
        f"and {gateway}/openai/v1/\n"
    )
    assert out.rstrip().endswith("all 9 checks passed")
    assert KEYS["standard"] not in out


def test_v1_calls_name_the_model_in_the_body_and_no_dated_api_version(
    gateway: str, behaviour: Behaviour, tmp_path: Path
) -> None:
    assert _run(tmp_path, _outputs(gateway)) == 0
    v1 = [request for request in behaviour.requests if request[0].startswith("/openai/v1/")]
    assert v1 == [
        ("/openai/v1/responses", None, CHAT, False),
        ("/openai/v1/responses", None, CHAT, True),
        ("/openai/v1/chat/completions", None, CHAT, True),
        ("/openai/v1/embeddings", None, EMBEDDING, False),
    ]


def test_api_paths_come_from_the_outputs(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.api_path, behaviour.v1_path = "aoai", "llm/v1"
    assert _run(tmp_path, {**_outputs(gateway), "apiPath": "aoai", "v1Path": "llm/v1"}) == 0
    assert _lines(capsys.readouterr().out) == PASSING


def test_a_wrong_v1_path_fails_only_the_v1_checks(
    gateway: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, {**_outputs(gateway), "v1Path": "openai/v2"}) == 1
    report = _lines(capsys.readouterr().out)
    not_found = "FAIL HTTP 404: Resource not found"
    v1_checks = ["v1 response", "v1 response stream", "v1 chat stream", "v1 embedding"]
    assert {name: report[name] for name in v1_checks} == dict.fromkeys(v1_checks, not_found)
    assert report["v1 wrong key 401"] == "FAIL expected HTTP 401, got 404: Resource not found"
    assert report["chat completion"] == PASSING["chat completion"]


def test_gateway_accepting_a_wrong_key_fails(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.accept_any_key = True
    assert _run(tmp_path, _outputs(gateway)) == 1
    report = _lines(capsys.readouterr().out)
    accepted = "FAIL a request with an unknown subscription key was accepted (expected HTTP 401)"
    assert report["wrong key 401"] == accepted
    assert report["v1 wrong key 401"] == accepted
    assert report["chat completion"] == PASSING["chat completion"]


def test_429_without_retry_after_fails(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.retry_after = False
    assert _run(tmp_path, _outputs(gateway)) == 1
    report = _lines(capsys.readouterr().out)
    assert report["burst 429"] == "FAIL standard: 429 on call 5 but no Retry-After header"


def test_missing_token_headers_fail_on_both_surfaces(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.token_headers = set()
    assert _run(tmp_path, _outputs(gateway)) == 1
    report = _lines(capsys.readouterr().out)
    missing = "token headers are wrong: x-gateway-tokens-consumed missing; x-gateway-remaining-tokens missing"
    assert report["chat completion"] == f"FAIL gpt-4o via standard: answered, but {missing}"
    assert report["v1 response"] == f"FAIL gpt-4o via standard: answered, but {missing}"


def test_missing_token_headers_on_v1_alone_fail_the_v1_response(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.token_headers = {"deployments"}
    assert _run(tmp_path, _outputs(gateway)) == 1
    report = _lines(capsys.readouterr().out)
    assert report["v1 response"].startswith("FAIL gpt-4o via standard: answered, but token headers are wrong")
    assert {name: line for name, line in report.items() if line.startswith("FAIL")} == {
        "v1 response": report["v1 response"]
    }


def test_header_names_are_parameters(gateway: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(tmp_path, _outputs(gateway), "--tokens-consumed-header", "x-other-consumed")
    assert code == 1
    report = _lines(capsys.readouterr().out)
    assert "x-other-consumed missing" in report["chat completion"]
    assert "x-other-consumed missing" in report["v1 response"]


# One failing variant per v1 check: the gateway answers, but not what a client needs.
@pytest.mark.parametrize(
    ("flag", "check", "expected"),
    [
        (
            "response_text",
            "v1 response",
            "FAIL gpt-4o via standard: HTTP 200, status incomplete (max_output_tokens) but no output text; "
            "raise --v1-max-tokens (reasoning models spend output tokens thinking)",
        ),
        (
            "response_usage",
            "v1 response",
            "FAIL gpt-4o via standard: answered 'pong' but the response carries no usage",
        ),
        (
            "stream_deltas",
            "v1 response stream",
            "FAIL gpt-4o via standard: 5 events but no response.output_text.delta (last event response.completed)",
        ),
        (
            "stream_completed",
            "v1 response stream",
            "FAIL gpt-4o via standard: 2 text deltas but no response.completed (last event response.output_text.done)",
        ),
        (
            "chat_stream_deltas",
            "v1 chat stream",
            "FAIL gpt-4o via standard: 4 chunks but no content delta (finish_reason length)",
        ),
    ],
)
def test_a_v1_answer_a_client_cannot_use_fails_its_check(
    flag: str,
    check: str,
    expected: str,
    gateway: str,
    behaviour: Behaviour,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setattr(behaviour, flag, False)
    assert _run(tmp_path, _outputs(gateway)) == 1
    out = capsys.readouterr().out
    report = _lines(out)
    assert report[check] == expected
    assert [name for name, line in report.items() if line.startswith("FAIL")] == [check]
    assert out.rstrip().endswith("1 of 9 checks failed")


def test_a_v1_route_the_gateway_does_not_serve_fails(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.v1_routes.discard("embeddings")
    assert _run(tmp_path, _outputs(gateway)) == 1
    report = _lines(capsys.readouterr().out)
    assert report["v1 embedding"] == "FAIL HTTP 404: Resource not found"
    assert report["embedding"] == PASSING["embedding"]


def test_burst_is_bounded_when_the_gateway_never_limits(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.limits = {}
    assert _run(tmp_path, _outputs(gateway)) == 1
    assert _lines(capsys.readouterr().out)["burst 429"] == "FAIL standard: no 429 after 15 calls (limit 10 per 60 s)"
    # the checks before the burst + (limit 10 + margin 5) burst calls, not one more
    assert behaviour.calls[KEYS["standard"]] == CALLS_BEFORE_BURST + REQUEST_LIMIT + smoke_test.BURST_MARGIN


def test_burst_refuses_a_limit_above_the_call_cap(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, _outputs(gateway), "--max-burst-calls", "7") == 1
    assert "--max-burst-calls 7" in _lines(capsys.readouterr().out)["burst 429"]
    assert behaviour.calls[KEYS["standard"]] == CALLS_BEFORE_BURST


def test_unreachable_gateway_fails_every_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with GatewayServer(Behaviour()) as closed:
        url = f"http://127.0.0.1:{closed.server_address[1]}"
    assert _run(tmp_path, _outputs(url)) == 1
    report = _lines(capsys.readouterr().out)
    assert list(report) == CHECK_NAMES
    assert all(line.startswith("FAIL APIConnectionError") for line in report.values())


# Written out rather than taken from smoke_test.REQUIRED_OUTPUTS: a key dropped there must fail here. One case
# names a single missing output, the other shows every output the program exports is required.
@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (["chatDeployment"], "chatDeployment"),
        (["v1Path"], "v1Path"),
        (
            [
                "gatewayUrl",
                "apiPath",
                "v1Path",
                "apiVersion",
                "subscriptionKeys",
                "chatDeployment",
                "embeddingDeployment",
                "productLimits",
            ],
            "gatewayUrl, apiPath, v1Path, apiVersion, subscriptionKeys, chatDeployment, embeddingDeployment, "
            "productLimits",
        ),
    ],
    ids=["one", "v1Path", "all"],
)
def test_missing_output_is_a_one_line_error(
    missing: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = _outputs("https://apim.example.net")
    for key in missing:
        del outputs[key]
    assert _run(tmp_path, outputs) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("error: ")
    assert f"missing stack output(s) {named};" in captured.err


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"gatewayUrl": "http://apim.example.net"}, "must be an https:// base URL"),
        ({"apiVersion": ""}, "apiVersion must be a non-empty string"),
        ({"apiPath": ""}, "apiPath must be a non-empty string"),
        ({"v1Path": "/openai/v1/"}, "v1Path must be the API's path under gatewayUrl"),
        ({"v1Path": "openai/v1?api-version=v1"}, "got 'openai/v1?api-version=v1'"),
        ({"subscriptionKeys": {"standard": None}}, "subscriptionKeys.standard"),
        ({"productLimits": {"standard": {"requestsPerPeriod": 3}}}, "is missing renewalPeriod"),
        (
            {
                "productLimits": {
                    p: {"requestsPerPeriod": 2.5, "renewalPeriodSeconds": 60, "tokensPerMinute": 1} for p in KEYS
                }
            },
            "requestsPerPeriod must be a whole number",
        ),
        (
            {
                "productLimits": {
                    "standard": {
                        "requestsPerPeriod": 3,
                        "renewalPeriodSeconds": None,
                        "tokensPerMinute": None,
                    }
                }
            },
            "must both be set or both be null",
        ),
    ],
)
def test_malformed_outputs_are_named(
    change: dict[str, object], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {**_outputs("https://apim.example.net"), **change}
    assert _run(tmp_path, outputs) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1
    assert KEYS["standard"] not in err


PLAN_HINT = "get real ones with `pulumi stack output --json --show-secrets > outputs.json`"


# As build/<stack>/outputs.json has them: secrets as "[secret]", values known only after deployment as "[unknown]".
@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"subscriptionKeys": "[secret]"}, "subscriptionKeys holds '[secret]'"),
        (
            {"gatewayUrl": "[unknown]", "subscriptionKeys": {"standard": "[secret]", "unlimited": "b" * 32}},
            "gatewayUrl holds '[unknown]', subscriptionKeys holds '[secret]'",
        ),
    ],
    ids=["secret", "nested-and-unknown"],
)
def test_the_offline_plans_outputs_are_refused_with_how_to_get_real_ones(
    change: dict[str, object], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The plan's file predates v1Path: the placeholder is what the user must fix, not the missing output.
    outputs = {**_outputs("https://apim.example.net"), **change}
    del outputs["v1Path"]
    assert _run(tmp_path, outputs) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: {tmp_path / 'outputs.json'}: {named}: these are the offline plan's placeholders, "
        f"not a deployed stack's values; {PLAN_HINT}\n"
    )


def test_v1_output_cap_below_the_responses_minimum_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _run(tmp_path, _outputs("https://apim.example.net"), "--v1-max-tokens", "15")
    assert exited.value.code == 2
    assert "expected at least 16 (the Responses API's minimum max_output_tokens), got '15'" in capsys.readouterr().err


def test_unknown_product_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, _outputs("https://apim.example.net"), "--product", "gold") == 2
    assert "--product 'gold' is not in the stack's subscriptionKeys" in capsys.readouterr().err


def test_default_products_prefer_token_limit_and_smallest_request_limit() -> None:
    outputs = smoke_test.parse_outputs(
        {
            **_outputs("https://apim.example.net"),
            "subscriptionKeys": {"a-free": "k1", "b-paid": "k2", "c-bulk": "k3"},
            "productLimits": {
                "a-free": {
                    "requestsPerPeriod": None,
                    "renewalPeriodSeconds": None,
                    "tokensPerMinute": None,
                },
                "b-paid": {
                    "requestsPerPeriod": 50,
                    "renewalPeriodSeconds": 60,
                    "tokensPerMinute": 10000.0,
                },
                "c-bulk": {
                    "requestsPerPeriod": 10,
                    "renewalPeriodSeconds": 60,
                    "tokensPerMinute": None,
                },
            },
        },
        "test",
    )
    assert outputs.product_limits["b-paid"].tokens_per_minute == 10000
    assert smoke_test.choose_products(outputs, None, None) == ("b-paid", "c-bulk")


def test_outputs_come_from_the_pulumi_cli(
    gateway: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "outputs.json").write_text(json.dumps(_outputs(gateway)), encoding="utf-8")
    _fake_pulumi(tmp_path, 'echo "$@" > "$HERE/args.txt"\ncat "$HERE/outputs.json"\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert smoke_test.main(["--stack", "dev", "--timeout", "5"]) == 0
    args = (tmp_path / "args.txt").read_text(encoding="utf-8").split()
    assert args == ["stack", "output", "--json", "--show-secrets", "--stack", "dev"]
    assert capsys.readouterr().out.startswith("smoke test of stack dev:")


def test_pulumi_cli_failure_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_pulumi(tmp_path, 'echo "warning: noise" >&2\necho "error: no stack named \'dev\'" >&2\nexit 255\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert smoke_test.main(["--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "failed: error: no stack named 'dev'" in err


def _fake_pulumi(directory: Path, body: str) -> None:
    script = directory / "pulumi"
    script.write_text(f'#!/bin/sh\nHERE="{directory}"\n{body}', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
