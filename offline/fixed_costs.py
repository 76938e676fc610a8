"""What a stack costs a month before anyone calls it: the planned resources priced with components/list_prices.py
(or the stack's `infrastructurePrices`). Read from the plan, not the settings, so it prices what is declared."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from components.list_prices import LIST_PRICES, PRICES_AS_OF, USAGE_ONLY
from policies.rules.typed_view import typed_props, typed_type

_PREFIX = "azure-native:"
# Log alert price by evaluation frequency: a rule is billed at the tier of the next longer frequency Azure prices.
_LOG_ALERT_TIERS = ((1, "alert.logEvery1m"), (5, "alert.logEvery5m"), (10, "alert.logEvery10m"))
_ISO_MINUTES = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")
# Types priced per resource: type -> price key.
_PER_RESOURCE = {
    "network:PublicIPAddress": "publicIp.Standard",
    "network:PrivateEndpoint": "privateEndpoint",
    "privatedns:PrivateZone": "privateDnsZone",
}


@dataclass(frozen=True)
class CostLine:
    what: str
    price_key: str
    quantity: float

    def monthly(self, prices: Mapping[str, float]) -> float:
        return self.quantity * prices[self.price_key]


def _apim_lines(service: Mapping[str, Any]) -> Iterable[CostLine]:
    sku = service.get("sku") or {}
    name, units = sku.get("name", ""), int(sku.get("capacity", 1))
    yield CostLine(f"API Management {name}, {units} unit(s)", f"apim.{name}", units)
    for location in service.get("additionalLocations") or []:
        extra = int((location.get("sku") or {}).get("capacity", 1))
        yield CostLine(f"API Management {name}, {extra} unit(s) in {location.get('location')}", f"apim.{name}", extra)


def _log_alert_price(frequency: str) -> str:
    match = _ISO_MINUTES.match(frequency)
    if match is None:
        return "alert.logEvery15mOrMore"
    days, hours, minutes = (int(part or 0) for part in match.groups())
    every = days * 1440 + hours * 60 + minutes
    return next((key for limit, key in _LOG_ALERT_TIERS if every <= limit), "alert.logEvery15mOrMore")


def _metric_series(inputs: Mapping[str, Any]) -> int:
    """Time series a metric alert watches: one per combination of the dimension values it names."""
    criteria = (inputs.get("criteria") or {}).get("allOf", [])
    series = sum(math.prod(len(d.get("values", [])) or 1 for d in c.get("dimensions") or []) for c in criteria)
    return max(series, 1)


def cost_lines(resources: Iterable[Mapping[str, Any]]) -> list[CostLine]:
    lines: list[CostLine] = []
    counts: Counter[str] = Counter()
    for resource in resources:
        # A service declared at a newer API version (generic resource) is priced like the typed one it is.
        kind = typed_type(resource["type"], resource["inputs"]).removeprefix(_PREFIX)
        inputs = typed_props(resource["type"], resource["inputs"])
        if kind == "apimanagement:ApiManagementService":
            lines += _apim_lines(inputs)
        elif kind == "network:ApplicationGateway":
            lines.append(CostLine("Application Gateway WAF_v2", "appGateway.WAF_v2", 1))
            # The edge always autoscales (edge.minCapacity..maxCapacity), and autoscale reserves its minimum.
            reserved = int(inputs["autoscaleConfiguration"]["minCapacity"])
            if reserved:
                what = f"  {reserved} reserved instance(s) (autoscale minimum)"
                lines.append(CostLine(what, "appGateway.reservedInstance", reserved))
        elif kind == "cognitiveservices:Deployment":
            sku = inputs.get("sku") or {}
            key = f"ptu.{sku.get('name')}"
            if key in LIST_PRICES:
                capacity = int(sku.get("capacity", 0))
                what = f"{capacity} PTU {inputs.get('deploymentName')} on {inputs.get('accountName')}"
                lines.append(CostLine(what, key, capacity))
        elif kind == "monitor:MetricAlert":
            counts["alert.metricSeries"] += _metric_series(inputs)
        elif kind == "monitor:ScheduledQueryRule":
            counts[_log_alert_price(str(inputs.get("evaluationFrequency", "")))] += 1
        elif kind in _PER_RESOURCE:
            counts[_PER_RESOURCE[kind]] += 1
    for key, count in sorted(counts.items()):
        lines.append(CostLine(f"{count} x {LIST_PRICES[key].per}", key, count))
    return lines


def fixed_cost_markdown(resources: Iterable[Mapping[str, Any]], overrides: Mapping[str, float]) -> str:
    """The cost sheet's fixed-cost section: one row per priced item, the total, and what costs only when used."""
    prices = {key: price.monthly_usd for key, price in LIST_PRICES.items()} | dict(overrides)
    lines = cost_lines(resources)
    rows = [
        "## Fixed monthly cost of the infrastructure",
        "",
        f"List prices in USD per month (730 hours), pay-as-you-go, as of {PRICES_AS_OF} "
        "(components/list_prices.py names each source; `infrastructurePrices` in the stack file overrides any of "
        "them). Region meters differ; check the Azure pricing calculator before committing a budget.",
        "",
        "| Item | Price key | Quantity | USD per month |",
        "|---|---|---|---|",
    ]
    for line in lines:
        marker = " (override)" if line.price_key in overrides else ""
        rows.append(f"| {line.what} | `{line.price_key}`{marker} | {line.quantity:g} | {line.monthly(prices):,.2f} |")
    total = sum(line.monthly(prices) for line in lines)
    rows += [
        f"| **Total** | | | **{total:,.2f}** |",
        "",
        "Billed only when used: " + "; ".join(USAGE_ONLY) + ".",
    ]
    return "\n".join(rows) + "\n"
