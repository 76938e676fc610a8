"""The NSG rules of each subnet as data: what may reach it and what it may reach, with why.

Sources and destinations are service tags, or a subnet's prefix written `{apim}`, `{app_gateway}` or
`{private_endpoints}` (filled in from network.subnets). `only_if` limits a rule to one APIM VNet mode.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NsgRule:
    name: str
    priority: int
    source: str
    ports: tuple[str, ...]
    description: str
    destination: str = "*"
    protocol: str = "Tcp"
    direction: str = "Inbound"
    access: str = "Allow"
    only_if: str | None = None


# Anything not allowed above it; replaces the default rule that admits the whole VNet.
DENY_ALL_INBOUND = NsgRule(
    "DenyAllInbound",
    4096,
    source="*",
    ports=("*",),
    protocol="*",
    access="Deny",
    description="Anything not allowed above; replaces the default rule that admits the whole VNet.",
)

# Application Gateway v2: client ports from the internet, its infrastructure ports, and nothing else.
# Outbound stays on the defaults: Application Gateway v2 refuses to run with internet egress denied.
APP_GATEWAY = (
    NsgRule("AllowHttpsFromInternet", 100, "Internet", ("443",), "Clients reach the HTTPS listener."),
    NsgRule("AllowHttpFromInternet", 110, "Internet", ("80",), "Only to redirect clients to HTTPS."),
    # Required by v2: the platform manages the instances on these ports (certificate-protected).
    NsgRule(
        "AllowGatewayManager",
        120,
        "GatewayManager",
        ("65200-65535",),
        "Application Gateway v2 infrastructure communication.",
    ),
    NsgRule(
        "AllowAzureLoadBalancer", 130, "AzureLoadBalancer", ("*",), "Azure load balancer health probes.", protocol="*"
    ),
    DENY_ALL_INBOUND,
)

# Classic APIM injected in a VNet (stv2): the ports of Microsoft's VNet configuration reference. Egress to
# the internet stays open (certificate revocation lists, DNS, NTP, Windows updates); lock it down with a
# firewall and user-defined routes instead.
APIM = (
    NsgRule(
        "AllowApimManagement",
        100,
        "ApiManagement",
        ("3443",),
        "Management endpoint for the Azure portal and ARM (ApiManagement service tag).",
        destination="VirtualNetwork",
    ),
    NsgRule(
        "AllowAzureLoadBalancer",
        110,
        "AzureLoadBalancer",
        ("6390",),
        "Azure infrastructure load balancer.",
        destination="VirtualNetwork",
    ),
    NsgRule(
        "AllowHttpsFromAppGateway",
        120,
        "{app_gateway}",
        ("443",),
        "API calls and health probes forwarded by the Application Gateway.",
        destination="VirtualNetwork",
    ),
    # Between APIM's own units: internal cache and rate-limit counter sync (needed once scaled out).
    NsgRule("AllowApimCacheSync", 130, "{apim}", ("6381-6383",), "Cache between APIM units.", destination="{apim}"),
    NsgRule(
        "AllowApimRateLimitSync",
        140,
        "{apim}",
        ("4290",),
        "Rate-limit counter sync between APIM units.",
        destination="{apim}",
        protocol="Udp",
    ),
    NsgRule(
        "AllowHttpsFromInternet",
        150,
        "Internet",
        ("443",),
        "External mode: clients call the gateway's public endpoint.",
        destination="VirtualNetwork",
        only_if="External",
    ),
    DENY_ALL_INBOUND,
    NsgRule(
        "AllowStorage",
        100,
        "VirtualNetwork",
        ("443",),
        "Azure Storage (configuration, developer portal).",
        destination="Storage",
        direction="Outbound",
    ),
    NsgRule(
        "AllowSql",
        110,
        "VirtualNetwork",
        ("1433",),
        "Azure SQL (service configuration).",
        destination="Sql",
        direction="Outbound",
    ),
    NsgRule(
        "AllowKeyVault",
        120,
        "VirtualNetwork",
        ("443",),
        "Key Vault named values and certificates.",
        destination="AzureKeyVault",
        direction="Outbound",
    ),
    NsgRule(
        "AllowAzureMonitor",
        130,
        "VirtualNetwork",
        ("1886", "443"),
        "Diagnostics logs, metrics and Application Insights.",
        destination="AzureMonitor",
        direction="Outbound",
    ),
    NsgRule(
        "AllowEntraId",
        140,
        "VirtualNetwork",
        ("443",),
        "Managed identity tokens for OpenAI and Key Vault.",
        destination="AzureActiveDirectory",
        direction="Outbound",
    ),
)

# Private endpoints only serve HTTPS to the VNet (OpenAI and Key Vault both listen on 443).
PRIVATE_ENDPOINTS = (
    NsgRule(
        "AllowHttpsFromVirtualNetwork",
        100,
        "VirtualNetwork",
        ("443",),
        "OpenAI and Key Vault over their private endpoints.",
        destination="{private_endpoints}",
    ),
    DENY_ALL_INBOUND,
)
