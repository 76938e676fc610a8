"""Rules for what the network lets in: NSGs, subnets, public IPs, private DNS, App Gateway and its WAF."""

from __future__ import annotations

import ipaddress

from ._model import ADVISORY, CRITICAL, HIGH, LOW, MEDIUM, Concern
from ._props import dig, items, leaf, lower, names, text

VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"
PUBLIC_IP = "azure-native:network:PublicIPAddress"
APP_GATEWAY = "azure-native:network:ApplicationGateway"
WAF_POLICY = "azure-native:network:WebApplicationFirewallPolicy"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
DNS_ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
VNET_LINK = "azure-native:privatedns:VirtualNetworkLink"
RECORD_SET = "azure-native:privatedns:PrivateRecordSet"
CONCERN = Concern("network-exposure")

_INTERNET = frozenset({"*", "internet", "any", "0.0.0.0", "0.0.0.0/0", "::/0"})
_GATEWAY_SUBNETS = ["AzureFirewallManagementSubnet", "AzureFirewallSubnet", "GatewaySubnet", "RouteServerSubnet"]
_MODERN_TLS = frozenset({"tlsv1_2", "tlsv1_3"})


def _inbound_internet_allows(props):
    """(rule name, rule) for each inbound Allow rule whose source includes the internet."""
    for index, rule in enumerate(items(dig(props, "securityRules"))):
        if lower(dig(rule, "direction")) != "inbound" or lower(dig(rule, "access")) != "allow":
            continue
        sources = [dig(rule, "sourceAddressPrefix"), *items(dig(rule, "sourceAddressPrefixes"))]
        if any(lower(source) in _INTERNET for source in sources):
            yield text(dig(rule, "name")) or f"securityRules[{index}]", rule


def _port_ranges(rule):
    """Inclusive (low, high) port ranges a security rule opens."""
    for entry in [dig(rule, "destinationPortRange"), *items(dig(rule, "destinationPortRanges"))]:
        value = text(str(entry) if isinstance(entry, (int, float)) else entry)
        if not value:
            continue
        if value == "*":
            yield 0, 65535
            continue
        low, _, high = value.partition("-")
        try:
            yield int(float(low)), int(float(high or low))
        except ValueError:
            continue


@CONCERN.rule(
    "nsg-no-internet-management-ports",
    summary="NSGs allow no inbound traffic from the internet to management ports (pack config managementPorts).",
    resource_types=(NSG,),
    severity=CRITICAL,
    remediation="Restrict the rule's source to a bastion/VPN prefix or remove it.",
    sources=(
        "Checkov CKV_AZURE_9",
        "Checkov CKV_AZURE_10",
        "Azure Policy e372f825-a257-4fb8-9175-797a8a8627d6",
        "Azure Policy 2c89a2e5-7285-40fe-afe0-ae8654b92fab",
    ),
    config_schema={
        "managementPorts": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 65535},
            "default": [22, 3389, 5985, 5986],
        },
    },
)
def _management_ports_closed(args, config):
    ports = sorted({int(port) for port in config["managementPorts"]})
    for name, rule in _inbound_internet_allows(args.props):
        exposed = [port for port in ports if any(low <= port <= high for low, high in _port_ranges(rule))]
        if exposed:
            yield (
                f"security rule {name!r} allows {names(exposed)} from the internet; management ports must "
                "only be reachable from a bastion or VPN range. Narrow the source or deny the rule."
            )


@CONCERN.rule(
    "nsg-no-internet-udp",
    summary="NSGs allow no inbound UDP (or any-protocol) traffic from the internet.",
    resource_types=(NSG,),
    severity=HIGH,
    remediation="Set protocol='Tcp' on internet-facing allow rules.",
    sources=("Checkov CKV_AZURE_77",),
)
def _no_internet_udp(args, config):
    for name, rule in _inbound_internet_allows(args.props):
        if lower(dig(rule, "protocol")) in ("udp", "*"):
            yield (
                f"security rule {name!r} allows {dig(rule, 'protocol')!r} traffic from the internet; "
                "set protocol 'Tcp' for the HTTPS listener and drop UDP."
            )


@CONCERN.rule(
    "nsg-no-internet-all-ports",
    summary="NSGs never open every port to the internet.",
    resource_types=(NSG,),
    severity=CRITICAL,
    remediation="List the destination ports explicitly (443, and 80 only for redirects).",
)
def _no_internet_wildcard_ports(args, config):
    for name, rule in _inbound_internet_allows(args.props):
        if any(low == 0 and high == 65535 for low, high in _port_ranges(rule)):
            yield f"security rule {name!r} allows every port from the internet; open only 443 (and 80 for redirects)."


@CONCERN.rule(
    "subnet-has-nsg",
    summary="Every subnet has an NSG, except the Azure gateway subnets that forbid one (pack config "
    "exemptSubnetNames).",
    resource_types=(SUBNET,),
    severity=HIGH,
    remediation="Pass networkSecurityGroup={'id': nsg.id} on the Subnet resource.",
    sources=("Checkov CKV2_AZURE_31", "Azure Policy e71308d3-144b-4262-b144-efdc3cc90517"),
    config_schema={
        "exemptSubnetNames": {"type": "array", "items": {"type": "string"}, "default": _GATEWAY_SUBNETS},
    },
)
def _subnet_has_nsg(args, config):
    exempt = {lower(name) for name in config["exemptSubnetNames"]}
    name = text(dig(args.props, "subnetName")) or text(dig(args.props, "name")) or args.name
    if name.lower() in exempt:
        return
    if not text(dig(args.props, "networkSecurityGroup", "id")):
        yield f"subnet {name!r} has no networkSecurityGroup; associate the tier's NSG (networkSecurityGroup.id)."


@CONCERN.rule(
    "vnet-no-inline-subnets",
    summary="Virtual networks declare no inline subnets (subnets are separate resources).",
    resource_types=(VNET,),
    severity=MEDIUM,
    remediation="Remove subnets=[...] from the VirtualNetwork; keep one Subnet resource per subnet.",
)
def _vnet_without_inline_subnets(args, config):
    if items(dig(args.props, "subnets")):
        yield (
            "subnets are declared inline on the VirtualNetwork while the program also manages Subnet "
            "resources; the two fight on every update. Remove the inline subnets."
        )


@CONCERN.rule(
    "public-ip-standard-static",
    summary="Public IPs are Standard SKU with static allocation.",
    resource_types=(PUBLIC_IP,),
    severity=MEDIUM,
    remediation="Set sku={'name': 'Standard'} and publicIPAllocationMethod='Static'.",
)
def _public_ip_standard_static(args, config):
    sku = text(dig(args.props, "sku", "name"))
    allocation = text(dig(args.props, "publicIPAllocationMethod"))
    if sku.lower() != "standard":
        yield f"sku.name is {sku or None!r}; use 'Standard' (Basic public IPs are retired and lack zone support)."
    if allocation.lower() != "static":
        yield f"publicIPAllocationMethod is {allocation or None!r}; use 'Static' so DNS records stay valid."


@CONCERN.rule(
    "private-endpoint-dns-zone-group",
    summary="Every private endpoint has a private DNS zone group.",
    resource_types=(PRIVATE_ENDPOINT, DNS_ZONE_GROUP),
    severity=MEDIUM,
    remediation="Add a PrivateDnsZoneGroup (child of the endpoint) pointing at the service's privatelink zone.",
    stack_rule=True,
)
def _endpoints_have_dns_zone_group(resources, config):
    groups = [r for r in resources if r.resource_type == DNS_ZONE_GROUP]
    for endpoint in (r for r in resources if r.resource_type == PRIVATE_ENDPOINT):
        if any(endpoint in group.dependencies or endpoint is group.parent for group in groups):
            continue
        wanted = leaf(dig(endpoint.props, "privateEndpointName"))
        if wanted and any(leaf(dig(group.props, "privateEndpointName")) == wanted for group in groups):
            continue
        yield (
            endpoint.urn,
            "the private endpoint has no PrivateDnsZoneGroup, so its service name still resolves to the "
            "public address; add a zone group pointing at the privatelink zone.",
        )


@CONCERN.rule(
    "private-dns-link-no-autoregistration",
    summary="Private DNS zone links do not auto-register VM records.",
    resource_types=(VNET_LINK,),
    severity=LOW,
    remediation="Set registrationEnabled=False.",
)
def _link_without_autoregistration(args, config):
    if dig(args.props, "registrationEnabled") is True:
        yield "registrationEnabled is true; privatelink zones hold endpoint records only. Set it to false."


@CONCERN.rule(
    "private-dns-records-private",
    summary="Private DNS A records point at private addresses.",
    resource_types=(RECORD_SET,),
    severity=MEDIUM,
    remediation="Use the private endpoint's private IP in aRecords.",
)
def _records_are_private(args, config):
    for record in items(dig(args.props, "aRecords")):
        address = text(dig(record, "ipv4Address"))
        try:
            private = ipaddress.ip_address(address).is_private
        except ValueError:
            private = False
        if not private:
            yield (
                f"A record {address or None!r} is not a private address; privatelink records point at "
                "private endpoints."
            )


@CONCERN.rule(
    "appgw-waf-v2-with-policy",
    summary="Application Gateways run the WAF_v2 SKU with a WAF policy attached.",
    resource_types=(APP_GATEWAY,),
    severity=HIGH,
    remediation="Set sku name/tier 'WAF_v2' and firewallPolicy={'id': waf_policy.id}.",
    sources=("Checkov CKV_AZURE_120", "Azure Policy 564feb30-bf6a-4854-b4bb-0d2d2d1e6c66"),
)
def _waf_v2_with_policy(args, config):
    sku = dig(args.props, "sku")
    name, tier = text(dig(sku, "name")), text(dig(sku, "tier"))
    if name != "WAF_v2" or tier not in ("", "WAF_v2"):
        yield f"sku is {name or None!r}/{tier or None!r}; use name and tier 'WAF_v2'."
    if not text(dig(args.props, "firewallPolicy", "id")):
        yield "firewallPolicy.id is not set; attach the WebApplicationFirewallPolicy to the gateway."


@CONCERN.rule(
    "appgw-https-listeners",
    summary="Application Gateway listeners are HTTPS (HTTP only to redirect to HTTPS).",
    resource_types=(APP_GATEWAY,),
    severity=HIGH,
    remediation="Set protocol='Https' with an sslCertificate, or give the HTTP listener a redirect rule.",
    sources=("Checkov CKV_AZURE_217",),
)
def _https_listeners(args, config):
    redirected = {
        leaf(dig(rule, "httpListener", "id"))
        for rule in items(dig(args.props, "requestRoutingRules"))
        if text(dig(rule, "redirectConfiguration", "id"))
    }
    listeners = [*items(dig(args.props, "httpListeners")), *items(dig(args.props, "listeners"))]
    for listener in listeners:
        name = text(dig(listener, "name"))
        protocol = text(dig(listener, "protocol"))
        if protocol.lower() == "https" or (protocol.lower() == "http" and name.lower() in redirected):
            continue
        yield (
            f"listener {name!r} uses {protocol or None!r}; serve HTTPS only (an HTTP listener may exist solely "
            "to redirect to HTTPS through a redirectConfiguration)."
        )


def _tls_policy_ok(policy, allowed):
    kind = lower(dig(policy, "policyType"))
    if kind == "predefined":
        return lower(dig(policy, "policyName")) in allowed
    if kind == "customv2":
        return lower(dig(policy, "minProtocolVersion")) in _MODERN_TLS
    return False


@CONCERN.rule(
    "appgw-tls-policy-2022",
    summary="Application Gateway TLS policy is AppGwSslPolicy20220101 or stricter (pack config "
    "allowedPredefinedPolicies).",
    resource_types=(APP_GATEWAY,),
    severity=HIGH,
    remediation="Set sslPolicy={'policyType': 'Predefined', 'policyName': 'AppGwSslPolicy20220101S'}.",
    sources=("Checkov CKV_AZURE_218",),
    config_schema={
        "allowedPredefinedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["AppGwSslPolicy20220101", "AppGwSslPolicy20220101S"],
        },
    },
)
def _tls_policy_2022(args, config):
    predefined = config["allowedPredefinedPolicies"]
    allowed = {lower(name) for name in predefined}
    policies = [("sslPolicy", dig(args.props, "sslPolicy"))]
    policies += [
        (f"sslProfiles[{text(dig(profile, 'name'))}].sslPolicy", dig(profile, "sslPolicy"))
        for profile in items(dig(args.props, "sslProfiles"))
        if dig(profile, "sslPolicy") is not None
    ]
    for where, policy in policies:
        if not _tls_policy_ok(policy, allowed):
            shown = "not set"
            if policy is not None:
                shown = (
                    f"policyType {dig(policy, 'policyType')!r}, policyName {dig(policy, 'policyName')!r}, "
                    f"minProtocolVersion {dig(policy, 'minProtocolVersion')!r}"
                )
            yield (
                f"{where} is {shown}; use policyType 'Predefined' with one of "
                f"{names(predefined)}, or 'CustomV2' with minProtocolVersion "
                "'TLSv1_2' or later."
            )


@CONCERN.rule(
    "appgw-key-vault-certificates",
    summary="Application Gateway certificates come from Key Vault, never embedded.",
    resource_types=(APP_GATEWAY,),
    severity=HIGH,
    remediation="Use sslCertificates=[{'name': ..., 'keyVaultSecretId': ...}] with a user-assigned "
    "identity that holds 'Key Vault Secrets User'.",
)
def _certificates_from_key_vault(args, config):
    for certificate in items(dig(args.props, "sslCertificates")):
        name = text(dig(certificate, "name"))
        if not text(dig(certificate, "keyVaultSecretId")) or dig(certificate, "data") is not None:
            yield (
                f"certificate {name!r} is embedded in the gateway; reference it from Key Vault with "
                "keyVaultSecretId (and no data/password) through the gateway's user-assigned identity."
            )


@CONCERN.rule(
    "appgw-backend-https",
    summary="Application Gateway reaches APIM over HTTPS.",
    resource_types=(APP_GATEWAY,),
    severity=MEDIUM,
    remediation="Set protocol='Https' (port 443) on every backendHttpSettingsCollection entry.",
)
def _backend_https(args, config):
    for settings in items(dig(args.props, "backendHttpSettingsCollection")):
        if lower(dig(settings, "protocol")) != "https":
            yield (
                f"backend settings {text(dig(settings, 'name'))!r} use {dig(settings, 'protocol')!r}; "
                "use 'Https' so traffic to APIM stays encrypted end to end."
            )


@CONCERN.rule(
    "waf-policy-enabled",
    summary="WAF policies are enabled.",
    resource_types=(WAF_POLICY,),
    severity=HIGH,
    remediation="Set policySettings.state='Enabled'.",
)
def _waf_enabled(args, config):
    state = text(dig(args.props, "policySettings", "state"))
    if state.lower() != "enabled":
        yield f"policySettings.state is {state or None!r}; set it to 'Enabled'."


@CONCERN.rule(
    "waf-prevention-mode",
    summary="WAF policies run in Prevention mode (prod; advisory in dev).",
    resource_types=(WAF_POLICY,),
    severity=HIGH,
    remediation="Set edge.wafMode: Prevention in Pulumi.<stack>.yaml once false positives are tuned out in dev.",
    sources=("Checkov CKV_AZURE_122", "Azure Policy 12430be1-6cc8-4527-a9a8-e3d38f250096"),
    stack_enforcement={"dev": ADVISORY},
)
def _waf_prevention(args, config):
    mode = text(dig(args.props, "policySettings", "mode"))
    if mode.lower() != "prevention":
        yield f"policySettings.mode is {mode or None!r}; set it to 'Prevention' so detected attacks are blocked."


@CONCERN.rule(
    "waf-request-body-check",
    summary="WAF policies inspect request bodies (prod; advisory in dev).",
    resource_types=(WAF_POLICY,),
    severity=MEDIUM,
    remediation="Set policySettings.requestBodyCheck=True.",
    sources=("Azure Policy ca85ef9a-741d-461d-8b7a-18c2da82c666",),
    stack_enforcement={"dev": ADVISORY},
)
def _waf_request_body_check(args, config):
    if dig(args.props, "policySettings", "requestBodyCheck") is not True:
        yield "policySettings.requestBodyCheck is not true; enable it so prompt bodies are inspected."


def _version(value):
    try:
        return tuple(int(part) for part in text(value).split("."))
    except ValueError:
        return ()


@CONCERN.rule(
    "waf-managed-rule-set",
    summary="WAF policies apply the OWASP CRS or Microsoft Default Rule Set at a current version "
    "(pack config minimumOwaspVersion, minimumDrsVersion).",
    resource_types=(WAF_POLICY,),
    severity=HIGH,
    remediation="Add managedRules.managedRuleSets=[{'ruleSetType': 'Microsoft_DefaultRuleSet', "
    "'ruleSetVersion': '2.1'}] (or OWASP 3.2).",
    sources=("Checkov CKV_AZURE_135",),
    config_schema={
        "minimumOwaspVersion": {"type": "string", "default": "3.2"},
        "minimumDrsVersion": {"type": "string", "default": "2.1"},
    },
)
def _managed_rule_set(args, config):
    owasp, drs = config["minimumOwaspVersion"], config["minimumDrsVersion"]
    minimums = {"owasp": _version(owasp), "microsoft_defaultruleset": _version(drs)}
    sets = items(dig(args.props, "managedRules", "managedRuleSets"))
    found = [(lower(dig(s, "ruleSetType")), _version(dig(s, "ruleSetVersion"))) for s in sets]
    if not any(kind in minimums and version >= minimums[kind] for kind, version in found):
        shown = [f"{dig(s, 'ruleSetType')} {dig(s, 'ruleSetVersion')}" for s in sets]
        yield (
            f"managedRules.managedRuleSets is [{names(shown)}]; include OWASP {owasp}+ or "
            f"Microsoft_DefaultRuleSet {drs}+."
        )
