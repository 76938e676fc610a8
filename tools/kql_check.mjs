#!/usr/bin/env node
// Checks KQL offline with Microsoft's Kusto language service (npm @kusto/language-service-next, pinned in
// package-lock.json; `make venv` installs it).
//
// stdin:  JSON list of {"name": str, "query": str}
// stdout: JSON {"package": "<name>@<version>", "timings": {...}, "results": [{"name", "syntax": [...], "semantic": [...]}]}
//         in input order; each diagnostic is {code, severity, message, start, length, line, column, snippet}
//         (start/length in UTF-16 code units of the query, line/column 1-based, snippet = the offending line).
//
// "syntax" comes from KustoCode.Parse (no binding) + GetSyntaxDiagnostics(): the parser's own errors, free of
// any schema. "semantic" comes from KustoCode.ParseAndAnalyze against SCHEMA below (the workspace tables the
// queries read) minus the syntax ones: unknown names, type errors. Diagnostics are data, not a failure: the
// exit status is non-zero only when this script itself cannot run (bad input, the package missing).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const PACKAGE = "@kusto/language-service-next";

// The Log Analytics tables the generated queries read, with the columns they use (types as in Azure Monitor's
// table reference). Only for the semantic pass; the syntax pass needs no schema.
const SCHEMA = {
  AppMetrics: "(TimeGenerated: datetime, _ResourceId: string, Name: string, Properties: dynamic, Sum: real, Min: real, Max: real, ItemCount: int, AppRoleName: string, AppRoleInstance: string)",
  ApiManagementGatewayLogs:
    "(TimeGenerated: datetime, _ResourceId: string, CorrelationId: string, ApiId: string, OperationId: string, ProductId: string, ApimSubscriptionId: string, UserId: string, Method: string, Url: string, ResponseCode: int, ResponseHeaders: dynamic, RequestHeaders: dynamic, BackendId: string, BackendUrl: string, BackendResponseCode: int, BackendTime: long, TotalTime: long, IsRequestSuccess: bool, LastErrorReason: string, LastErrorSource: string, LastErrorMessage: string, LastErrorScope: string, LastErrorSection: string, Errors: dynamic, Region: string)",
  ApiManagementGatewayLlmLog:
    "(TimeGenerated: datetime, _ResourceId: string, CorrelationId: string, ApiId: string, OperationId: string, DeploymentName: string, ModelName: string, PromptTokens: int, CompletionTokens: int, TotalTokens: int, IsStreamCompletion: bool, SequenceNumber: int, Region: string)",
};

function fail(message) {
  process.stderr.write(`kql_check: ${message}\n`);
  process.exit(2);
}

function loadKusto() {
  const require = createRequire(import.meta.url);
  let version;
  try {
    version = require(`${PACKAGE}/package.json`).version;
    // Bridge.NET output: the runtime, then the compiled Kusto.Language; both define globals.
    require(`${PACKAGE}/bridge.min.js`);
    require(`${PACKAGE}/Kusto.Language.Bridge.min.js`);
  } catch (error) {
    fail(`cannot load ${PACKAGE} (${error.code ?? error.message}): run \`make venv\` (or \`npm ci\`) first`);
  }
  const Kusto = globalThis.Kusto;
  if (!Kusto?.Language?.KustoCode) fail(`${PACKAGE}@${version} did not define Kusto.Language.KustoCode`);
  return { Kusto, version };
}

function readInput() {
  let items;
  try {
    items = JSON.parse(readFileSync(0, "utf8"));
  } catch (error) {
    fail(`stdin is not JSON: ${error.message}`);
  }
  const valid = Array.isArray(items) && items.every((i) => i && typeof i.name === "string" && typeof i.query === "string");
  if (!valid) fail('stdin must be a JSON list of {"name": string, "query": string}');
  return items;
}

function globalsWithSchema(Kusto) {
  const { TableSymbol, DatabaseSymbol } = Kusto.Language.Symbols;
  const tables = Object.entries(SCHEMA).map(([name, schema]) => new TableSymbol.$ctor7(name, schema, null));
  return Kusto.Language.GlobalState.Default.WithDatabase(new DatabaseSymbol.ctor("workspace", tables));
}

function toArray(list) {
  const out = [];
  for (let i = 0; i < (list?.Count ?? 0); i++) out.push(list.getItem(i));
  return out;
}

function describe(query, d) {
  const before = query.slice(0, d.Start);
  const line = before.split("\n").length;
  const lineStart = before.lastIndexOf("\n") + 1;
  const lineEnd = query.indexOf("\n", d.Start);
  return {
    code: d.Code,
    severity: d.Severity,
    message: d.Message,
    start: d.Start,
    length: d.Length,
    line,
    column: d.Start - lineStart + 1,
    snippet: query.slice(lineStart, lineEnd === -1 ? undefined : lineEnd),
  };
}

const key = (d) => `${d.Code}@${d.Start}:${d.Length}:${d.Message}`;

function check(Kusto, globals, query) {
  const syntax = toArray(Kusto.Language.KustoCode.Parse(query).GetSyntaxDiagnostics());
  let semantic;
  try {
    const seen = new Set(syntax.map(key));
    const all = toArray(Kusto.Language.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics());
    semantic = all.filter((d) => !seen.has(key(d))).map((d) => describe(query, d));
  } catch (error) {
    // The binder failing on a query is no syntax verdict: said in the semantic list, the run goes on.
    semantic = [{ code: "kql_check", severity: "Error", message: `semantic analysis failed: ${error}`, start: 0, length: 0, line: 1, column: 1, snippet: "" }];
  }
  return { syntax: syntax.map((d) => describe(query, d)), semantic };
}

const started = performance.now();
const { Kusto, version } = loadKusto();
const loaded = performance.now();
const items = readInput();
const globals = globalsWithSchema(Kusto);
const byText = new Map(); // the same text (dev and prod alerts, a team's 80 and 100 % rules) is checked once
const results = items.map(({ name, query }) => {
  if (!byText.has(query)) byText.set(query, check(Kusto, globals, query));
  return { name, ...byText.get(query) };
});
const timings = { load_ms: Math.round(loaded - started), check_ms: Math.round(performance.now() - loaded), distinct: byText.size };
process.stdout.write(JSON.stringify({ package: `${PACKAGE}@${version}`, timings, results }) + "\n");
