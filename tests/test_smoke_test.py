"""tools.smoke_test against a local fake of the gateway (plain http on 127.0.0.1)."""

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
PATH = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/(?P<op>chat/completions|embeddings)$")


@dataclass
class Behaviour:
    """What the fake gateway enforces; each test flips one thing to break one check."""

    limits: dict[str, int] = field(default_factory=lambda: {KEYS["standard"]: 3})
    accept_any_key: bool = False
    retry_after: bool = True
    token_headers: bool = True
    calls: Counter[str] = field(default_factory=Counter)


class FakeGateway(BaseHTTPRequestHandler):
    server: GatewayServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        json.loads(self.rfile.read(length) or b"{}")
        url = urlsplit(self.path)
        match = PATH.match(url.path)
        if parse_qs(url.query).get("api-version") != [API_VERSION] or match is None:
            self._reply(404, {"statusCode": 404, "message": "Resource not found"})
            return
        behaviour = self.server.behaviour
        key = self.headers.get("api-key", "")
        if key not in KEYS.values() and not behaviour.accept_any_key:
            self._reply(
                401,
                {
                    "statusCode": 401,
                    "message": "Access denied due to invalid subscription key. Make sure to "
                    "provide a valid key for an active subscription.",
                },
            )
            return
        behaviour.calls[key] += 1
        limit = behaviour.limits.get(key)
        if limit is not None and behaviour.calls[key] > limit:
            headers = {"Retry-After": "42"} if behaviour.retry_after else {}
            self._reply(
                429,
                {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 42 seconds."},
                headers,
            )
            return
        deployment = match["deployment"]
        if deployment not in (CHAT, EMBEDDING):
            self._reply(404, {"error": {"code": "DeploymentNotFound", "message": deployment}})
            return
        tokens = {"x-gateway-tokens-consumed": "7", "x-gateway-remaining-tokens": "993"}
        headers = tokens if behaviour.token_headers else {}
        if match["op"] == "embeddings":
            self._reply(200, _embedding(deployment), headers)
        else:
            self._reply(200, _completion(deployment), headers)

    def _reply(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
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
        "apiVersion": API_VERSION,
        "subscriptionKeys": dict(KEYS),
        "chatDeployment": CHAT,
        "embeddingDeployment": EMBEDDING,
        "productLimits": {
            "standard": {
                "requestsPerPeriod": 3,
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


def test_all_checks_pass_against_a_conforming_gateway(
    gateway: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, _outputs(gateway)) == 0
    out = capsys.readouterr().out
    report = _lines(out)
    assert list(report) == ["chat completion", "embedding", "wrong key 401", "burst 429"]
    assert all(line.startswith("PASS") for line in report.values()), out
    assert "x-gateway-tokens-consumed=7" in report["chat completion"]
    assert "Retry-After 42" in report["burst 429"]
    assert out.rstrip().endswith("all 4 checks passed")
    assert KEYS["standard"] not in out


def test_gateway_accepting_a_wrong_key_fails(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.accept_any_key = True
    assert _run(tmp_path, _outputs(gateway)) == 1
    report = _lines(capsys.readouterr().out)
    assert report["wrong key 401"].startswith("FAIL")
    assert "accepted" in report["wrong key 401"]
    assert report["chat completion"].startswith("PASS")


def test_429_without_retry_after_fails(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.retry_after = False
    assert _run(tmp_path, _outputs(gateway)) == 1
    report = _lines(capsys.readouterr().out)
    assert report["burst 429"].startswith("FAIL")
    assert "no Retry-After" in report["burst 429"]


def test_missing_token_headers_fail(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.token_headers = False
    assert _run(tmp_path, _outputs(gateway)) == 1
    report = _lines(capsys.readouterr().out)
    assert report["chat completion"].startswith("FAIL")
    assert "x-gateway-tokens-consumed missing" in report["chat completion"]
    assert "x-gateway-remaining-tokens missing" in report["chat completion"]


def test_header_names_are_parameters(gateway: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(tmp_path, _outputs(gateway), "--tokens-consumed-header", "x-other-consumed")
    assert code == 1
    assert "x-other-consumed missing" in _lines(capsys.readouterr().out)["chat completion"]


def test_burst_is_bounded_when_the_gateway_never_limits(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour.limits = {}
    assert _run(tmp_path, _outputs(gateway)) == 1
    assert "no 429 after 8 calls" in _lines(capsys.readouterr().out)["burst 429"]
    # chat + embedding + (limit 3 + margin 5) burst calls, not one more
    assert behaviour.calls[KEYS["standard"]] == 2 + 3 + smoke_test.BURST_MARGIN


def test_burst_refuses_a_limit_above_the_call_cap(
    gateway: str, behaviour: Behaviour, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(tmp_path, _outputs(gateway), "--max-burst-calls", "7") == 1
    assert "--max-burst-calls 7" in _lines(capsys.readouterr().out)["burst 429"]
    assert behaviour.calls[KEYS["standard"]] == 2


def test_unreachable_gateway_fails_every_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with GatewayServer(Behaviour()) as closed:
        url = f"http://127.0.0.1:{closed.server_address[1]}"
    assert _run(tmp_path, _outputs(url)) == 1
    report = _lines(capsys.readouterr().out)
    assert len(report) == 4
    assert all("APIConnectionError" in line for line in report.values())


# Written out rather than taken from smoke_test.REQUIRED_OUTPUTS: a key dropped there must fail here. One case
# names a single missing output, the other shows every output the program exports is required.
@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (["chatDeployment"], "chatDeployment"),
        (
            ["gatewayUrl", "apiVersion", "subscriptionKeys", "chatDeployment", "embeddingDeployment", "productLimits"],
            "gatewayUrl, apiVersion, subscriptionKeys, chatDeployment, embeddingDeployment, productLimits",
        ),
    ],
    ids=["one", "all"],
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
