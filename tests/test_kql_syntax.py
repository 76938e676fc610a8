"""Every KQL query the program generates parses: the alerts' scheduled queries, the saved chargeback functions and
the workbook's query items of both stacks, checked offline by Microsoft's Kusto language service (npm
@kusto/language-service-next, pinned in package-lock.json, run by tools/kql_check.mjs; `make venv` installs it).

Syntax diagnostics come from the parser alone (KustoCode.Parse, no schema): any of them fails. Semantic ones
(unknown tables or columns, type errors) come from a second pass against the workspace tables declared in
tools/kql_check.mjs, and fail their own test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from tests.conftest import plan_for

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "kql_check.mjs"
PACKAGE = ROOT / "node_modules" / "@kusto" / "language-service-next"
STACKS = ("dev", "prod")
KINDS = ("alert", "saved-search", "workbook")

# Workbook parameters the workbook substitutes before it runs a query: a value of the same shape stands in.
WORKBOOK_PARAMETERS = {"{TimeRange:grain}": "1h"}
# A workbook parameter reference left in a query: {Name} or {Name:format}.
_PARAMETER = re.compile(r"\{[A-Za-z_]\w*(?::\w+)?\}")
_WORKBOOK_QUERY_ITEM = 3
_WORKBOOK_GROUP = 12

# Fed to the same run: the check must be able to fail, and must keep syntax apart from semantics.
BROKEN = "negative/broken-syntax"
UNKNOWN_COLUMN = "negative/unknown-column"
NEGATIVES = {BROKEN: "AppMetrics | where (", UNKNOWN_COLUMN: "AppMetrics | where NoSuchColumn == 1"}


@dataclass(frozen=True)
class Query:
    name: str
    kind: Literal["alert", "saved-search", "workbook"]
    text: str


def _workbook_items(items: Sequence[Mapping[str, Any]], path: str) -> Iterator[tuple[str, str]]:
    for index, item in enumerate(items):
        name = f"{path}/{item.get('name') or index}"
        content = item.get("content") or {}
        if item.get("type") == _WORKBOOK_QUERY_ITEM:
            yield name, content["query"]
        elif item.get("type") == _WORKBOOK_GROUP:
            yield from _workbook_items(content.get("items") or [], name)


def _as_workbook_runs_it(text: str) -> str:
    for token, value in WORKBOOK_PARAMETERS.items():
        text = text.replace(token, value)
    return text


def _as_function(inputs: Mapping[str, Any]) -> str:
    """A saved search with a function alias is a stored function: `let alias = (parameters) { query };`."""
    alias = inputs.get("functionAlias")
    if not alias:
        return str(inputs["query"])
    parameters = inputs.get("functionParameters") or ""
    return f"let {alias} = ({parameters}) {{\n{inputs['query']}\n}};\n{alias}()"


def collect_queries(stack: str) -> list[Query]:
    queries: list[Query] = []
    for resource in plan_for(stack).resources():
        kind, inputs, name = resource["type"], resource["inputs"], f"{stack}/{resource['name']}"
        if kind.endswith("monitor:ScheduledQueryRule"):
            criteria = inputs["criteria"]["allOf"]
            for index, criterion in enumerate(criteria):
                suffix = f"[{index}]" if len(criteria) > 1 else ""
                queries.append(Query(f"{name}{suffix}", "alert", criterion["query"]))
        elif kind.endswith("operationalinsights:SavedSearch"):
            queries.append(Query(name, "saved-search", _as_function(inputs)))
        elif kind.endswith("applicationinsights:Workbook"):
            items = json.loads(inputs["serializedData"])["items"]
            for item, text in _workbook_items(items, name):
                queries.append(Query(item, "workbook", _as_workbook_runs_it(text)))
    return queries


@dataclass(frozen=True)
class Report:
    package: str
    results: dict[str, dict[str, list[dict[str, Any]]]]
    seconds: float


def run_kql_check(queries: Mapping[str, str]) -> Report:
    """One node run over every query; fails the calling test with one line when the tooling is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found on PATH: install Node.js 20+, then run `make venv` (npm ci)", pytrace=False)
    if not (PACKAGE / "package.json").is_file():
        pytest.fail(
            "node_modules/@kusto/language-service-next is missing: run `make venv` (or `npm ci`)", pytrace=False
        )
    payload = json.dumps([{"name": name, "query": text} for name, text in queries.items()])
    started = time.perf_counter()
    done = subprocess.run(
        [node, str(SCRIPT)], input=payload, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, f"tools/kql_check.mjs failed ({done.returncode}): {done.stderr.strip()}"
    output = json.loads(done.stdout)
    results = {result["name"]: result for result in output["results"]}
    assert list(results) == list(queries), "tools/kql_check.mjs must answer every query, in order"
    return Report(output["package"], results, seconds)


def _describe(name: str, diagnostics: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    for d in diagnostics:
        caret = " " * (d["column"] - 1) + "^"
        yield (
            f"{name}: {d['code']} {d['message']} (line {d['line']}, column {d['column']})\n"
            f"    {d['snippet'].rstrip()}\n    {caret}"
        )


@pytest.fixture(scope="module")
def queries() -> dict[str, list[Query]]:
    return {stack: collect_queries(stack) for stack in STACKS}


@pytest.fixture(scope="module")
def report(queries: dict[str, list[Query]]) -> Report:
    texts = {query.name: query.text for stack in STACKS for query in queries[stack]}
    assert not set(texts) & set(NEGATIVES)
    return run_kql_check({**texts, **NEGATIVES})


def test_every_source_of_kql_is_collected(queries: dict[str, list[Query]]) -> None:
    for stack in STACKS:
        resources = plan_for(stack).resources()
        kinds = Counter(query.kind for query in queries[stack])
        assert set(kinds) == set(KINDS), f"{stack}: queries of {sorted(kinds)} only"
        rules = sum(1 for r in resources if r["type"].endswith("monitor:ScheduledQueryRule"))
        searches = sum(1 for r in resources if r["type"].endswith("operationalinsights:SavedSearch"))
        assert kinds["alert"] >= rules > 0
        assert kinds["saved-search"] == searches > 0
        names = [query.name for query in queries[stack]]
        assert len(names) == len(set(names)), f"{stack}: duplicate query names"
        for query in queries[stack]:
            assert query.text.strip(), f"{query.name}: empty query"
            # A workbook parameter without a stand-in would reach the parser as a syntax error of the test's making.
            left = _PARAMETER.findall(query.text) if query.kind == "workbook" else []
            assert not left, f"{query.name}: workbook parameters {left} have no stand-in in WORKBOOK_PARAMETERS"


def test_generated_kql_has_no_syntax_errors(report: Report) -> None:
    problems = [
        line
        for name, result in report.results.items()
        if name not in NEGATIVES
        for line in _describe(name, result["syntax"])
    ]
    assert not problems, f"{report.package} finds syntax errors in the generated KQL:\n" + "\n".join(problems)


def test_generated_kql_binds_to_the_workspace_schema(report: Report) -> None:
    problems = [
        line
        for name, result in report.results.items()
        if name not in NEGATIVES
        for line in _describe(name, [d for d in result["semantic"] if d["severity"] == "Error"])
    ]
    assert not problems, (
        f"{report.package} finds semantic errors (against the schema in tools/kql_check.mjs: a column the queries "
        "now need goes there, with its type from Azure Monitor's table reference):\n" + "\n".join(problems)
    )


def test_a_broken_query_is_reported_as_a_syntax_error(report: Report) -> None:
    broken = report.results[BROKEN]
    assert broken["syntax"], f"{NEGATIVES[BROKEN]!r} passed the syntax check: the check cannot fail"
    assert {d["message"] for d in broken["syntax"]} >= {"Expected: )"}
    assert all(d["line"] == 1 and d["snippet"] == NEGATIVES[BROKEN] for d in broken["syntax"])


def test_an_unknown_column_is_semantic_not_syntax(report: Report) -> None:
    unknown = report.results[UNKNOWN_COLUMN]
    assert unknown["syntax"] == []
    assert [d["code"] for d in unknown["semantic"]] == ["KS142"]
    assert "NoSuchColumn" in unknown["semantic"][0]["message"]


def test_the_check_names_its_package_and_stays_quick(report: Report) -> None:
    assert report.package.startswith("@kusto/language-service-next@")
    # Node start-up, loading the service (~0.4 s) and parsing every query twice measure ~4-5 s here.
    assert report.seconds < 60, f"tools/kql_check.mjs took {report.seconds:.1f} s"
