"""The NSG rules of each subnet as data: what may reach it and what it may reach, with why.

Sources and destinations are service tags, or a subnet's prefix written `{apim}`, `{app_gateway}` or
`{private_endpoints}` (filled in from network.subnets). Ports are comma-separated; `only_if` limits a row
to one APIM VNet mode.
"""

from __future__ import annotations

from typing import NamedTuple


class NsgRule(NamedTuple):
    name: str
    priority: int
    direction: str
    access: str
    protocol: str
    source: str
    destination: str
    ports: str
    description: str
    only_if: str | None = None


DENY_ALL_INBOUND = NsgRule(
    "DenyAllInbound", 4096, "Inbound", "Deny", "*", "*", "*", "*",
    "Anything not allowed above; replaces the default rule that admits the whole VNet.",
)  # fmt: skip

# Application Gateway v2: client ports from the internet, its infrastructure ports (required by v2: the
# platform manages the instances there, certificate-protected), and nothing else. Outbound stays on the
# defaults: Application Gateway v2 refuses to run with internet egress denied.
APP_GATEWAY = (
    NsgRule("AllowHttpsFromInternet", 100, "Inbound", "Allow", "Tcp", "Internet", "*", "443",
            "Clients reach the HTTPS listener."),
    NsgRule("AllowHttpFromInternet", 110, "Inbound", "Allow", "Tcp", "Internet", "*", "80",
            "Only to redirect clients to HTTPS."),
    NsgRule("AllowGatewayManager", 120, "Inbound", "Allow", "Tcp", "GatewayManager", "*", "65200-65535",
            "Application Gateway v2 infrastructure communication."),
    NsgRule("AllowAzureLoadBalancer", 130, "Inbound", "Allow", "*", "AzureLoadBalancer", "*", "*",
            "Azure load balancer health probes."),
    DENY_ALL_INBOUND,
)  # fmt: skip

# Classic APIM injected in a VNet (stv2): the ports of Microsoft's VNet configuration reference. Between
# APIM's own units: cache and rate-limit counter sync (needed once scaled out). Egress to the internet stays
# open (certificate revocation lists, DNS, NTP, Windows updates); lock it down with a firewall and routes.
APIM = (
    NsgRule("AllowApimManagement", 100, "Inbound", "Allow", "Tcp", "ApiManagement", "VirtualNetwork", "3443",
            "Management endpoint for the Azure portal and ARM (ApiManagement service tag)."),
    NsgRule("AllowAzureLoadBalancer", 110, "Inbound", "Allow", "Tcp", "AzureLoadBalancer", "VirtualNetwork", "6390",
            "Azure infrastructure load balancer."),
    NsgRule("AllowHttpsFromAppGateway", 120, "Inbound", "Allow", "Tcp", "{app_gateway}", "VirtualNetwork", "443",
            "API calls and health probes forwarded by the Application Gateway."),
    NsgRule("AllowApimCacheSync", 130, "Inbound", "Allow", "Tcp", "{apim}", "{apim}", "6381-6383",
            "Cache between APIM units."),
    NsgRule("AllowApimRateLimitSync", 140, "Inbound", "Allow", "Udp", "{apim}", "{apim}", "4290",
            "Rate-limit counter sync between APIM units."),
    NsgRule("AllowHttpsFromInternet", 150, "Inbound", "Allow", "Tcp", "Internet", "VirtualNetwork", "443",
            "External mode: clients call the gateway's public endpoint.", only_if="External"),
    DENY_ALL_INBOUND,
    NsgRule("AllowStorage", 100, "Outbound", "Allow", "Tcp", "VirtualNetwork", "Storage", "443",
            "Azure Storage (configuration, developer portal)."),
    NsgRule("AllowSql", 110, "Outbound", "Allow", "Tcp", "VirtualNetwork", "Sql", "1433",
            "Azure SQL (service configuration)."),
    NsgRule("AllowKeyVault", 120, "Outbound", "Allow", "Tcp", "VirtualNetwork", "AzureKeyVault", "443",
            "Key Vault named values and certificates."),
    NsgRule("AllowAzureMonitor", 130, "Outbound", "Allow", "Tcp", "VirtualNetwork", "AzureMonitor", "1886,443",
            "Diagnostics logs, metrics and Application Insights."),
    NsgRule("AllowEntraId", 140, "Outbound", "Allow", "Tcp", "VirtualNetwork", "AzureActiveDirectory", "443",
            "Managed identity tokens for OpenAI and Key Vault."),
)  # fmt: skip

# Premium v2 injected in the VNet ("Inject ... Premium v2 tier", NSG rules include, 2025-06): outbound HTTPS to
# Azure Storage is the one rule Microsoft requires; the others let APIM reach what it uses (Key Vault named
# values, Azure Monitor, managed identity tokens). No management port: v2 is managed from outside the VNet.
APIM_V2 = (
    NsgRule("AllowHttpsFromAppGateway", 120, "Inbound", "Allow", "Tcp", "{app_gateway}", "VirtualNetwork", "443",
            "API calls and health probes forwarded by the Application Gateway."),
    NsgRule("AllowAzureLoadBalancer", 130, "Inbound", "Allow", "*", "AzureLoadBalancer", "*", "*",
            "Health probes of the internal load balancer in front of the units."),
    DENY_ALL_INBOUND,
    NsgRule("AllowStorage", 100, "Outbound", "Allow", "Tcp", "VirtualNetwork", "Storage", "443",
            "Azure Storage: required by Premium v2 injection."),
    NsgRule("AllowKeyVault", 120, "Outbound", "Allow", "Tcp", "VirtualNetwork", "AzureKeyVault", "443",
            "Key Vault named values and certificates."),
    NsgRule("AllowAzureMonitor", 130, "Outbound", "Allow", "Tcp", "VirtualNetwork", "AzureMonitor", "443",
            "Diagnostics logs, metrics and Application Insights."),
    NsgRule("AllowEntraId", 140, "Outbound", "Allow", "Tcp", "VirtualNetwork", "AzureActiveDirectory", "443",
            "Managed identity tokens for OpenAI and Key Vault."),
)  # fmt: skip

# Private endpoints only serve HTTPS to the VNet (OpenAI and Key Vault both listen on 443).
PRIVATE_ENDPOINTS = (
    NsgRule("AllowHttpsFromVirtualNetwork", 100, "Inbound", "Allow", "Tcp", "VirtualNetwork", "{private_endpoints}",
            "443", "OpenAI and Key Vault over their private endpoints."),
    DENY_ALL_INBOUND,
)  # fmt: skip
