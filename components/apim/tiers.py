"""What each API Management tier can do, owned here: the settings refuse what Azure refuses, components follow.

Sources: Microsoft Learn "API Management v2 tiers overview", "Inject an Azure API Management instance in a
private virtual network - Premium v2 tier" (inject-vnet-v2, 2025-10-08), "Deploy to multiple Azure regions",
"API Management region availability" (2025-11-11) and the v2 service limits (2024-09-12).
"""

from __future__ import annotations

import typing
from typing import Literal

ApimSku = Literal["Developer", "Basic", "Standard", "Premium", "BasicV2", "StandardV2", "PremiumV2"]
CLASSIC_TIERS = frozenset({"Developer", "Basic", "Standard", "Premium"})
V2_TIERS = frozenset(typing.get_args(ApimSku)) - CLASSIC_TIERS

# Scale units each tier allows (v2 service limits: Basic v2 and Standard v2 10, Premium v2 30).
CAPACITY: dict[str, tuple[int, int]] = {
    "Developer": (1, 1),
    "Basic": (1, 2),
    "Standard": (1, 4),
    "Premium": (1, 12),
    "BasicV2": (1, 10),
    "StandardV2": (1, 10),
    "PremiumV2": (1, 30),
}
# Which VNet modes each tier can be injected with. Classic injection (Developer, Premium) is External or
# Internal; Premium v2 injection is Internal only (inbound and outbound private, a subnet delegated to
# Microsoft.Web/hostingEnvironments, chosen at creation). Standard v2's outbound-only integration is not modelled.
VNET_MODES: dict[str, frozenset[str]] = {
    "Developer": frozenset({"External", "Internal"}),
    "Premium": frozenset({"External", "Internal"}),
    "PremiumV2": frozenset({"Internal"}),
}
# Gateway units in more regions (additionalLocations) exist on classic Premium only.
MULTI_REGION_TIERS = frozenset({"Premium"})
# Regions that offer Premium v2 per "API Management region availability" (2025-11-11), with the regions later
# snapshots of the page add. Azure also pauses new instances in a region at times: the page says when.
PREMIUM_V2_REGIONS = frozenset(
    {
        "australiaeast",
        "canadacentral",
        "centralus",
        "eastasia",
        "eastus2",
        "francecentral",
        "germanywestcentral",
        "japaneast",
        "koreacentral",
        "northcentralus",
        "northeurope",
        "norwayeast",
        "uksouth",
    }
)
# The Microsoft.Web delegation Premium v2 injection needs on its subnet.
V2_INJECTION_DELEGATION = "Microsoft.Web/hostingEnvironments"

# The management API version for what 2024-05-01 (pulumi-azure-native 3.29.0's default) cannot express:
# the PremiumV2 SKU and zoneRedundant (first in 2025-03-01-preview) and the API diagnostics' largeLanguageModel
# settings (first in 2024-06-01-preview). Shapes checked against azure-rest-api-specs
# specification/apimanagement/resource-manager/Microsoft.ApiManagement/ApiManagement/preview/2025-03-01-preview.
PREVIEW_API_VERSION = "2025-03-01-preview"


def is_v2(sku: str) -> bool:
    return sku in V2_TIERS
