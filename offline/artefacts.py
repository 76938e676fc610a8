"""Writes build/<stack>/: resources.json, outputs, the APIOps layout of APIM artefacts, the diagram and summary."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from components.text import clip, one_line
from offline.deploy_time import critical_path, is_component
from policies.offline import resource_name
from policies.rules.typed_view import typed_props, typed_type

APIM = "azure-native:apimanagement:"
# The outputs a person checks first; outputs.json holds them all.
SUMMARY_OUTPUTS = ("gatewayUrl", "apiVersion", "chatDeployment", "embeddingDeployment", "subscriptionKeys")
# The summary names every mandatory violation but only this many advisory ones and resource types, so that a
# clean plan fits on one screen; policy-report.json and resources.json hold them all.
ADVISORIES_SHOWN = 3
TYPES_SHOWN = 12
SEVERITIES = ("critical", "high", "medium", "low")
# Where the APIOps extractor files an artefact, from its ids: its policy, or its inputs as the information file.
POLICY_FILES = {"ApiPolicy": "apis/{apiId}/policy.xml", "ProductPolicy": "products/{productId}/policy.xml"}
INFORMATION_FILES = {
    "Product": "products/{productId}/productInformation.json",
    "Backend": "backends/{backendId}/backendInformation.json",
    "NamedValue": "named values/{namedValueId}/namedValueInformation.json",
    "Logger": "loggers/{loggerId}/loggerInformation.json",
    "Diagnostic": "diagnostics/{diagnosticId}/diagnosticInformation.json",
    "ApiDiagnostic": "apis/{apiId}/diagnostics/{diagnosticId}/diagnosticInformation.json",
}


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def reset_dir(out: Path) -> None:
    """A plan replaces the previous one whole, so nothing stale survives a rerun."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)


def _last_segment(value: Any) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1]


def apiops_files(resources: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The rendered APIM artefacts in the APIOps extractor's layout, so reviewers read what will run."""
    files: dict[str, str] = {}
    product_apis: dict[str, list[str]] = defaultdict(list)
    for res in resources:
        # Generic resources (newer API versions) are filed as the typed ones they are; their ARM inputs are the
        # artefact, the typed view gives their ids.
        typed = typed_type(res["type"], res["inputs"])
        kind = typed.removeprefix(APIM) if typed.startswith(APIM) else None
        inputs, ids = res["inputs"], typed_props(res["type"], res["inputs"])
        if kind == "Api":
            api = inputs["apiId"]
            info = {k: v for k, v in inputs.items() if k != "value"}
            files[f"apis/{api}/apiInformation.json"] = dump_json(info)
            # Every API imports its spec inline, as openapi+json.
            files[f"apis/{api}/specification.json"] = dump_json(json.loads(inputs["value"]))
        elif kind == "ProductApiLink":
            product_apis[inputs["productId"]].append(_last_segment(inputs["apiId"]))
        elif kind in POLICY_FILES:
            files[POLICY_FILES[kind].format_map(ids)] = inputs["value"]
        elif kind in INFORMATION_FILES:
            files[INFORMATION_FILES[kind].format_map(ids)] = dump_json(inputs)
    for product, apis in product_apis.items():
        files[f"products/{product}/apis.json"] = dump_json(sorted(apis))
    return files


def _short_type(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def _component_of(res: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The nearest ancestor that is one of our components."""
    parent: str | None = res.get("parent")
    while parent and parent in by_urn:
        if is_component(by_urn[parent]):
            return parent
        parent = by_urn[parent].get("parent")
    return None


def architecture_markdown(stack: str, resources: Sequence[Mapping[str, Any]]) -> str:
    """Mermaid diagram: one node per component with what it holds, arrows for cross-component dependencies."""
    by_urn = {r["urn"]: r for r in resources}
    components = sorted(filter(is_component, resources), key=lambda r: r["name"])
    owner = {r["urn"]: _component_of(r, by_urn) for r in resources}
    contents: dict[str, Counter[str]] = defaultdict(Counter)
    edges: set[tuple[str, str]] = set()
    for res in resources:
        home = owner.get(res["urn"])
        if home is None or is_component(res):
            continue
        contents[home][_short_type(res["type"])] += 1
        for dep in res["dependsOn"]:
            target = dep if is_component(by_urn.get(dep, {})) else owner.get(dep)
            if target and target != home:
                edges.add((home, target))
    ids = {c["urn"]: f"c{i}" for i, c in enumerate(components)}
    lines = [
        f"# Architecture of stack `{stack}`",
        "",
        "Drawn by the offline plan from the declared resources.",
        "",
        "## How a request flows",
        "",
        "```mermaid",
        *request_flow_mermaid(resources),
        "```",
        "",
        '## Components and their dependencies (an arrow means "depends on")',
        "",
        "```mermaid",
        "flowchart LR",
    ]
    for comp in components:
        held = [f"{t} ×{n}" for t, n in sorted(contents[comp["urn"]].items())]  # noqa: RUF001
        label = "<br/>".join([f"<b>{_short_type(comp['type'])}</b>", *held])
        lines.append(f'  {ids[comp["urn"]]}["{label}"]')
    for source, target in sorted(edges, key=lambda e: (ids[e[0]], ids[e[1]])):
        lines.append(f"  {ids[source]} --> {ids[target]}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def request_flow_mermaid(resources: Sequence[Mapping[str, Any]]) -> list[str]:
    """Mermaid lines: how a request travels, client to edge to APIM, each API to its pool, each pool member to
    its account (priority and weight on the arrow), and the Content Safety check. Drawn from the resources."""
    of = defaultdict(list)
    for res in resources:
        # Generic resources (newer API versions) are drawn as the typed ones they are.
        typed = typed_type(res["type"], res["inputs"])
        of[typed.removeprefix("azure-native:")].append({**res, "inputs": typed_props(res["type"], res["inputs"])})
    lines = ["flowchart LR", '  client(["Client<br/>OpenAI SDK"])']
    gateways = of["network:ApplicationGateway"]
    entry = "client"
    if gateways:
        # The edge always declares its WAF policy beside the gateway.
        mode = of["network:WebApplicationFirewallPolicy"][0]["inputs"]["policySettings"]["mode"]
        lines += [
            f'  edge["Application Gateway {gateways[0]["inputs"]["sku"]["name"]}<br/>WAF {mode}"]',
            "  client --> edge",
        ]
        entry = "edge"
    sku = of["apimanagement:ApiManagementService"][0]["inputs"]["sku"]
    lines += [f'  apim["API Management {sku["name"]} x{sku["capacity"]}"]', f"  {entry} --> apim"]
    accounts = {a["inputs"]["accountName"]: a["inputs"] for a in of["cognitiveservices:Account"]}
    backends = {b["inputs"]["backendId"]: b["inputs"] for b in of["apimanagement:Backend"]}
    policies = of["apimanagement:ApiPolicy"]
    product_safety = any(
        "llm-content-safety" in p["inputs"].get("value", "") for p in of["apimanagement:ProductPolicy"]
    )
    for index, api in enumerate(sorted(of["apimanagement:Api"], key=lambda a: a["inputs"]["path"])):
        policy = next((p["inputs"].get("value", "") for p in policies if api["urn"] in p["dependsOn"]), "")
        api_node = f"api{index}"
        lines += [f'  {api_node}[/"/{api["inputs"]["path"]}"/]', f"  apim --> {api_node}"]
        if "validate-azure-ad-token" in policy:
            lines.append(f'  {api_node} -. "keyless: Entra ID token" .- entra{{{{"Entra ID"}}}}')
        if "<llm-content-safety" in policy or product_safety:
            lines.append(f"  {api_node} -. prompts .-> safety")
        pool_id = _routed_pool(policy)
        pool = backends.get(pool_id or "")
        if pool is None:
            continue
        pool_node = f"pool{index}"
        lines += [f'  {pool_node}[("{pool_id}")]', f"  {api_node} --> {pool_node}"]
        for member in pool.get("pool", {}).get("services", []):
            url = backends.get(_last_segment(member["id"]), {}).get("url", "")
            account = url.removeprefix("https://").split(".", 1)[0]
            node = "acct_" + account.replace("-", "_")
            where = accounts.get(account, {}).get("location", "")
            label = f"priority {member.get('priority', 1)}, weight {member.get('weight', 1)}"
            lines += [f'  {node}["Azure OpenAI {account}<br/>{where}"]', f'  {pool_node} -- "{label}" --> {node}']
    if any(a["inputs"].get("kind") == "ContentSafety" for a in of["cognitiveservices:Account"]):
        lines.append('  safety["Azure AI Content Safety"]')
    return list(dict.fromkeys(lines))


def _routed_pool(policy: str) -> str | None:
    """The backend the policy's inbound section routes to (its last literal set-backend-service)."""
    inbound = policy.split("<backend>", 1)[0]
    found = re.findall(r'<set-backend-service backend-id="([^"@]+)"', inbound)
    return found[-1] if found else None


def summary_text(
    stack: str,
    resources: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Any],
    report: Mapping[str, Any],
    files: Mapping[str, str],
) -> str:
    custom = [r for r in resources if not is_component(r)]
    types = sorted(Counter(_short_type(r["type"]) for r in custom).items(), key=lambda kv: (-kv[1], kv[0]))
    verdicts = report.get("summary", {})
    lines = [
        f"aoai-gateway offline plan · stack {stack} · Pulumi mock engine: nothing was deployed",
        f"resources: {len(custom)} Azure resources in {len(resources) - len(custom)} components",
        "  " + ", ".join(f"{t} {n}" for t, n in types[:TYPES_SHOWN]) + _and_more(len(types) - TYPES_SHOWN, "types"),
        critical_path(resources).line(),
        f"APIM artefacts: {sum(1 for f in files if f.endswith('policy.xml'))} policies, "
        f"{sum(1 for f in files if f.startswith('backends/'))} backends, "
        f"{sum(1 for f in files if f.startswith('named values/'))} named values",
        f"policy pack: {len(report.get('rules', []))} rules, config {report.get('config') or 'none (rule defaults)'} · "
        f"{verdicts.get('mandatoryViolations', 0)} mandatory violations · "
        f"{verdicts.get('advisoryViolations', 0)} advisory violations",
        *_mandatory_lines(stack, report),
        *_advisory_lines(stack, report),
        "outputs: "
        + ", ".join(f"{k}={_short_value(outputs[k])}" for k in SUMMARY_OUTPUTS if k in outputs)
        + f" (all {len(outputs)} in outputs.json)",
        f"written: build/{stack}/ (resources.json, outputs.json, architecture.md, costs.md, policy-report.json,"
        " apis/, products/, ...)",
    ]
    return "\n".join(lines) + "\n"


def _and_more(hidden: int, what: str) -> str:
    return f" and {hidden} more {what}" if hidden > 0 else ""


def _violated(report: Mapping[str, Any], level: str) -> list[Mapping[str, Any]]:
    """Rules of `level` with violations, most severe first."""
    rules = [r for r in report.get("rules", []) if r["enforcementLevel"] == level and r["violations"]]
    return sorted(rules, key=lambda r: (SEVERITIES.index(r["severity"]), r["name"]))


def _mandatory_lines(stack: str, report: Mapping[str, Any]) -> list[str]:
    """Every mandatory violation, by rule: where, what, the fix, and the pack config entry when its values decide."""
    rules = _violated(report, "mandatory")
    if not rules:
        return []
    lines = [
        f"mandatory violations (each fails the plan; Pulumi.{stack}.yaml shapes the resources, "
        "its keys are in docs/configuration.md):"
    ]
    for rule in rules:
        lines.append(f"  {rule['name']} ({rule['severity']})")
        lines += [f"    {resource_name(v['urn'])}: {one_line(v['message'])}" for v in rule["violations"]]
        lines.append(f"    fix: {one_line(rule['remediation'])}")
        if rule.get("properties"):
            where = report.get("config") or "the policy pack config"
            lines.append(f"    or edit {where} (rule {rule['name']}: {', '.join(sorted(rule['properties']))})")
    return lines


def _advisory_lines(stack: str, report: Mapping[str, Any]) -> list[str]:
    """The advisory count with the most severe few; they do not fail the plan."""
    found = [(rule, v) for rule in _violated(report, "advisory") for v in rule["violations"]]
    if not found:
        return []
    lines = [f"advisory violations ({len(found)}, they do not fail the plan; all in build/{stack}/policy-report.json):"]
    lines += [
        f"  {rule['name']} · {resource_name(v['urn'])}: {one_line(v['message'])}"
        for rule, v in found[:ADVISORIES_SHOWN]
    ]
    if len(found) > ADVISORIES_SHOWN:
        lines.append(f"  and {len(found) - ADVISORIES_SHOWN} more")
    return lines


def _short_value(value: Any) -> str:
    return clip(value if isinstance(value, str) else json.dumps(value, sort_keys=True), 60)
