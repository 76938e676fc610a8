"""The public edge: Application Gateway WAF_v2 with its WAF policy, public IP and Key Vault certificate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.managedidentity as managedidentity
import pulumi_azure_native.network as network

from components import shared
from components.apim.policies import SUBSCRIPTION_KEY_HEADER, SUBSCRIPTION_KEY_QUERY
from components.naming import Namer
from components.settings.models import EdgeSettings
from components.waf import PROMPT_FIELDS

# APIM's built-in health endpoint: 200 when the gateway is up, no subscription key needed.
APIM_STATUS_PATH = "/status-0123456789abcdef"
# TLS 1.2+ with only strong (ECDHE, GCM) cipher suites.
SSL_POLICY = "AppGwSslPolicy20220101S"
ZONES = ["1", "2", "3"]

# Names of the gateway's own children, referenced by id from its other children.
_FRONTEND_IP = "public-frontend"
_PORT_HTTPS = "port-443"
_PORT_HTTP = "port-80"
_CERTIFICATE = "listener-certificate"
_LISTENER_HTTPS = "https-listener"
_LISTENER_HTTP = "http-listener"
_REDIRECT = "http-to-https"
_POOL = "apim"
_SETTINGS = "apim-https"
_PROBE = "apim-status"


@dataclass
class EdgeArgs:
    placement: shared.Placement
    settings: EdgeSettings
    namer: Namer
    subnet_id: pulumi.Input[str]
    apim_gateway_host: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    zone_redundant: bool
    workspace_id: pulumi.Input[str]
    role_propagation_seconds: int = 0


def prompt_exclusions(rule_type: str, version: str, groups: Sequence[str]) -> list[network.OwaspCrsExclusionEntryArgs]:
    """The prompt-carrying JSON fields, excluded from the given rule groups only (every other rule inspects them).
    RequestArgValues: the WAF still reads the field's name, it skips the prose in its value."""
    return [
        network.OwaspCrsExclusionEntryArgs(
            match_variable="RequestArgValues",
            selector_match_operator="EndsWith",
            selector=field,
            exclusion_managed_rule_sets=[
                network.ExclusionManagedRuleSetArgs(
                    rule_set_type=rule_type,
                    rule_set_version=version,
                    rule_groups=[network.ExclusionManagedRuleGroupArgs(rule_group_name=group) for group in groups],
                )
            ],
        )
        for field in PROMPT_FIELDS
    ]


class Edge(pulumi.ComponentResource):
    """Internet-facing Application Gateway: HTTPS only (HTTP redirects), WAF in front of API Management."""

    public_ip_address: pulumi.Output[str]
    public_fqdn: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    application_gateway_id: pulumi.Output[str]
    # The identity that reads the certificate: the stack's own, or the pre-granted one from the settings.
    identity_id: pulumi.Output[str]

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("aoai-gateway:edge:Edge", name, None, opts)
        namer, settings = args.namer, args.settings
        zones = ZONES if args.zone_redundant else None

        if settings.certificate_reader_identity_id:
            # Pre-granted: the vault's owners gave this identity the role; the stack assigns nothing there.
            identity_id: pulumi.Input[str] = settings.certificate_reader_identity_id
            granted: list[pulumi.Resource] = []
        else:
            identity = managedidentity.UserAssignedIdentity(
                f"{name}-identity",
                resource_name_=namer.name("user_identity", "agw"),
                resource_group_name=args.placement.resource_group_name,
                location=args.placement.location,
                tags=args.placement.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            secrets_user = shared.role_assignment(
                f"{name}-kv-secrets-user",
                role="Key Vault Secrets User",
                # The certificate only: the identity needs nothing else in that vault.
                scope=f"{settings.certificate_key_vault_id}/secrets/{settings.certificate_secret_name}",
                principal_id=identity.principal_id,
                subscription_id=args.subscription_id,
                parent=self,
                description="Application Gateway reads its listener certificate from Key Vault.",
            )
            identity_id = identity.id
            # The gateway fetches its certificate while it is created: the grant must have applied by then.
            granted = shared.after_grants(
                f"{name}-kv-secrets-user-applied", [secrets_user], seconds=args.role_propagation_seconds, parent=self
            )

        pip_name = namer.name("public_ip", "agw")
        public_ip = network.PublicIPAddress(
            f"{name}-pip",
            public_ip_address_name=pip_name,
            resource_group_name=args.placement.resource_group_name,
            location=args.placement.location,
            sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
            public_ip_allocation_method="Static",
            public_ip_address_version="IPv4",
            # The frontend idle timeout: a non-streamed answer keeps the connection silent until it arrives, so it
            # must outlast the request. Azure allows 4 to 30 minutes; the settings cap a request at 30 (1800 s).
            idle_timeout_in_minutes=max(4, math.ceil(settings.request_timeout_seconds / 60)),
            zones=zones,
            # Clients' DNS points settings.host_name at this label (CNAME) or at the address.
            dns_settings=network.PublicIPAddressDnsSettingsArgs(domain_name_label=f"{pip_name}-{namer.suffix}".lower()),
            tags=args.placement.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        # "OWASP_3.2", "Microsoft_DefaultRuleSet_2.1": the rule set's type, then its version.
        rule_type, rule_version = settings.rule_set.rsplit("_", 1)
        waf = network.WebApplicationFirewallPolicy(
            f"{name}-waf",
            policy_name=namer.name("waf_policy"),
            resource_group_name=args.placement.resource_group_name,
            location=args.placement.location,
            policy_settings=network.PolicySettingsArgs(
                state="Enabled",
                mode=settings.waf_mode,
                request_body_check=True,
                request_body_enforcement=True,
                # Bodies up to edge.maxRequestBodyKb (images as base64); the first edge.inspectBodyKb inspected.
                request_body_inspect_limit_in_kb=settings.inspect_body_kb,
                max_request_body_size_in_kb=settings.max_request_body_kb,
                file_upload_enforcement=True,
                file_upload_limit_in_mb=100,
                # WAF logs quote matched request parts: keep credentials out of Log Analytics.
                log_scrubbing=network.PolicySettingsLogScrubbingArgs(
                    state="Enabled",
                    scrubbing_rules=[
                        network.WebApplicationFirewallScrubbingRulesArgs(
                            match_variable=variable,
                            selector_match_operator="Equals",
                            selector=selector,
                            state="Enabled",
                        )
                        for variable, selector in (
                            ("RequestHeaderNames", SUBSCRIPTION_KEY_HEADER),
                            ("RequestHeaderNames", "Ocp-Apim-Subscription-Key"),
                            ("RequestHeaderNames", "Authorization"),
                            ("RequestArgNames", SUBSCRIPTION_KEY_QUERY),
                        )
                    ],
                ),
            ),
            managed_rules=network.ManagedRulesDefinitionArgs(
                managed_rule_sets=[
                    network.ManagedRuleSetArgs(rule_set_type=rule_type, rule_set_version=rule_version),
                    network.ManagedRuleSetArgs(rule_set_type="Microsoft_BotManagerRuleSet", rule_set_version="1.0"),
                ],
                # Prompts are full of code, SQL and shell: without these, Prevention blocks ordinary requests.
                exclusions=prompt_exclusions(rule_type, rule_version, settings.exclusion_groups),
            ),
            tags=args.placement.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        gateway_name = namer.name("app_gateway")
        gateway_prefix = pulumi.Output.concat(
            "/subscriptions/",
            args.subscription_id,
            "/resourceGroups/",
            args.placement.resource_group_name,
            "/providers/Microsoft.Network/applicationGateways/",
            gateway_name,
        )

        def child(collection: str, child_name: str) -> network.SubResourceArgs:
            # azure-native refers to a gateway's own children by full ARM id, built before the gateway exists.
            return network.SubResourceArgs(id=pulumi.Output.concat(gateway_prefix, f"/{collection}/{child_name}"))

        vault_name = settings.certificate_key_vault_id.rsplit("/", 1)[-1]
        # Versionless, so the gateway picks up a renewed certificate on its own.
        certificate_uri = f"https://{vault_name}.vault.azure.net/secrets/{settings.certificate_secret_name}"
        gateway = network.ApplicationGateway(
            f"{name}-agw",
            application_gateway_name=gateway_name,
            resource_group_name=args.placement.resource_group_name,
            location=args.placement.location,
            sku=network.ApplicationGatewaySkuArgs(name="WAF_v2", tier="WAF_v2"),
            autoscale_configuration=network.ApplicationGatewayAutoscaleConfigurationArgs(
                min_capacity=settings.min_capacity, max_capacity=settings.max_capacity
            ),
            zones=zones,
            identity=network.ManagedServiceIdentityArgs(
                type=network.ResourceIdentityType.USER_ASSIGNED, user_assigned_identities=[identity_id]
            ),
            # Streamed answers (server-sent events) must reach the client token by token, not once complete.
            # Request buffering stays on: the WAF SKU inspects whole requests and cannot turn it off.
            global_configuration=network.ApplicationGatewayGlobalConfigurationArgs(
                enable_request_buffering=True, enable_response_buffering=False
            ),
            # HTTP/2 frontends have a fixed 180 s idle timeout (App Gateway FAQ), shorter than a slow answer.
            enable_http2=False,
            firewall_policy=network.SubResourceArgs(id=waf.id),
            force_firewall_policy_association=True,
            ssl_policy=network.ApplicationGatewaySslPolicyArgs(policy_type="Predefined", policy_name=SSL_POLICY),
            gateway_ip_configurations=[
                network.ApplicationGatewayIPConfigurationArgs(
                    name="gateway-subnet", subnet=network.SubResourceArgs(id=args.subnet_id)
                )
            ],
            frontend_ip_configurations=[
                network.ApplicationGatewayFrontendIPConfigurationArgs(
                    name=_FRONTEND_IP, public_ip_address=network.SubResourceArgs(id=public_ip.id)
                )
            ],
            frontend_ports=[
                network.ApplicationGatewayFrontendPortArgs(name=_PORT_HTTPS, port=443),
                network.ApplicationGatewayFrontendPortArgs(name=_PORT_HTTP, port=80),
            ],
            ssl_certificates=[
                network.ApplicationGatewaySslCertificateArgs(name=_CERTIFICATE, key_vault_secret_id=certificate_uri)
            ],
            http_listeners=[
                network.ApplicationGatewayHttpListenerArgs(
                    name=_LISTENER_HTTPS,
                    protocol="Https",
                    host_name=settings.host_name,
                    require_server_name_indication=True,
                    frontend_ip_configuration=child("frontendIPConfigurations", _FRONTEND_IP),
                    frontend_port=child("frontendPorts", _PORT_HTTPS),
                    ssl_certificate=child("sslCertificates", _CERTIFICATE),
                ),
                network.ApplicationGatewayHttpListenerArgs(
                    name=_LISTENER_HTTP,
                    protocol="Http",
                    host_name=settings.host_name,
                    frontend_ip_configuration=child("frontendIPConfigurations", _FRONTEND_IP),
                    frontend_port=child("frontendPorts", _PORT_HTTP),
                ),
            ],
            redirect_configurations=[
                network.ApplicationGatewayRedirectConfigurationArgs(
                    name=_REDIRECT,
                    redirect_type="Permanent",
                    target_listener=child("httpListeners", _LISTENER_HTTPS),
                    include_path=True,
                    include_query_string=True,
                )
            ],
            backend_address_pools=[
                network.ApplicationGatewayBackendAddressPoolArgs(
                    name=_POOL,
                    backend_addresses=[network.ApplicationGatewayBackendAddressArgs(fqdn=args.apim_gateway_host)],
                )
            ],
            backend_http_settings_collection=[
                network.ApplicationGatewayBackendHttpSettingsArgs(
                    name=_SETTINGS,
                    port=443,
                    protocol="Https",
                    # APIM routes and presents its certificate by host name: send the backend's own name.
                    pick_host_name_from_backend_address=True,
                    cookie_based_affinity="Disabled",
                    request_timeout=settings.request_timeout_seconds,
                    probe=child("probes", _PROBE),
                )
            ],
            probes=[
                network.ApplicationGatewayProbeArgs(
                    name=_PROBE,
                    protocol="Https",
                    path=APIM_STATUS_PATH,
                    pick_host_name_from_backend_http_settings=True,
                    interval=30,
                    timeout=30,
                    unhealthy_threshold=3,
                    match=network.ApplicationGatewayProbeHealthResponseMatchArgs(status_codes=["200-399"]),
                )
            ],
            request_routing_rules=[
                network.ApplicationGatewayRequestRoutingRuleArgs(
                    name="https-to-apim",
                    rule_type="Basic",
                    priority=100,
                    http_listener=child("httpListeners", _LISTENER_HTTPS),
                    backend_address_pool=child("backendAddressPools", _POOL),
                    backend_http_settings=child("backendHttpSettingsCollection", _SETTINGS),
                ),
                network.ApplicationGatewayRequestRoutingRuleArgs(
                    name="http-redirect",
                    rule_type="Basic",
                    priority=200,
                    http_listener=child("httpListeners", _LISTENER_HTTP),
                    redirect_configuration=child("redirectConfigurations", _REDIRECT),
                ),
            ],
            tags=args.placement.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=granted),
        )
        shared.diagnostic_setting(
            f"{name}-agw-diagnostics",
            target_id=gateway.id,
            workspace_id=args.workspace_id,
            parent=self,
            dedicated_tables=True,
        )

        self.public_ip_address = public_ip.ip_address.apply(lambda ip: ip or "")
        self.public_fqdn = public_ip.dns_settings.apply(lambda dns: (dns.fqdn if dns else None) or "")
        self.gateway_url = pulumi.Output.from_input(f"https://{settings.host_name}")
        self.application_gateway_id = gateway.id
        self.identity_id = pulumi.Output.from_input(identity_id)
        self.register_outputs(
            {
                "publicIpAddress": self.public_ip_address,
                "publicFqdn": self.public_fqdn,
                "gatewayUrl": self.gateway_url,
                "applicationGatewayId": self.application_gateway_id,
                "identityId": self.identity_id,
            }
        )
