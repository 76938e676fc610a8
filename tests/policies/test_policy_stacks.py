"""Whole-stack checks: the deliberately weakened plan is caught, the hardened plan passes."""

from policies.offline import evaluate, has_mandatory_violation

# Everything tests/fixtures/weakened_resources.json gets wrong, and nothing else.
WEAKENED_VIOLATIONS = {
    # OpenAI: keys on, public, ACL Allow, no outbound restriction, in eastus, unapproved model.
    "openai-local-auth-disabled",
    "openai-public-network-disabled",
    "openai-network-acl-deny",
    "openai-outbound-restricted",
    "openai-model-allow-list",
    "openai-deployment-version-pinned",
    "locations-allowed",
    # Key Vault: access policies, no purge protection, 7-day retention, public, no firewall,
    # a 34-character name; a secret without content type or expiry; Contributor granted.
    "keyvault-rbac-authorization",
    "keyvault-purge-protection",
    "keyvault-soft-delete-retention",
    "keyvault-public-network-disabled",
    "keyvault-network-acl-deny",
    "keyvault-secret-content-type",
    "keyvault-secret-expiry",
    "naming-azure-constraints",
    "role-assignment-no-privileged-roles",
    # APIM: TLS 1.0 on, no VNet, API over http without key, policy without <base /> and with a
    # literal key, plain named value holding a key, secret named value not in Key Vault, http
    # backend without TLS validation or circuit breaker, open product, all-API subscription with
    # tracing, body logging, and no rate limit anywhere.
    "apim-tls-legacy-protocols-disabled",
    "apim-vnet-mode",
    "apim-public-network-access-disabled",
    "apim-api-https-only",
    "apim-api-subscription-required",
    "apim-api-rate-limited",
    "apim-policy-keeps-base",
    "apim-policy-no-literal-keys",
    "apim-named-value-key-vault",
    "apim-backend-https",
    "apim-backend-tls-validation",
    "apim-backend-circuit-breaker",
    "apim-product-subscription-required",
    "apim-subscription-not-all-apis",
    "apim-subscription-tracing-disabled",
    "apim-diagnostic-payload-limited",
    # Network: SSH and everything open to the internet, a subnet without NSG, inline subnets,
    # a private endpoint without DNS zone group.
    "nsg-no-internet-management-ports",
    "nsg-no-internet-all-ports",
    "nsg-no-internet-udp",
    "subnet-has-nsg",
    "vnet-no-inline-subnets",
    "private-endpoint-dns-zone-group",
    # Edge: Standard_v2 without WAF policy, HTTP listener, 2017 TLS policy, embedded certificate,
    # HTTP to APIM; WAF policy disabled, Detection, no body check, OWASP 3.0.
    "appgw-waf-v2-with-policy",
    "appgw-https-listeners",
    "appgw-tls-policy-2022",
    "appgw-key-vault-certificates",
    "appgw-backend-https",
    "waf-policy-enabled",
    "waf-prevention-mode",
    "waf-request-body-check",
    "waf-managed-rule-set",
    # Monitoring: no diagnostic settings for APIM/OpenAI/Key Vault, an incomplete one for the App
    # Gateway, classic App Insights, 30-day retention, an alert with no action group.
    "monitoring-diagnostic-settings-coverage",
    "monitoring-diagnostic-setting-complete",
    "monitoring-app-insights-workspace-based",
    "monitoring-workspace-retention",
    "monitoring-alerts-routed",
    # Tags: the resource group has no owner tag, and everything says environment=dev.
    "tags-required",
}
DEV_ADVISORY = {
    "openai-deployment-version-pinned",
    "openai-public-network-disabled",
    "openai-network-acl-deny",
    "keyvault-purge-protection",
    "keyvault-public-network-disabled",
    "keyvault-network-acl-deny",
    "apim-vnet-mode",
    "waf-prevention-mode",
    "waf-request-body-check",
}
ALWAYS_ADVISORY = {"apim-public-network-access-disabled", "keyvault-secret-expiry"}


def _violated(report, level=None):
    return {
        rule["name"]
        for rule in report["rules"]
        if rule["violations"] and (level is None or rule["enforcementLevel"] == level)
    }


def test_weakened_stack_is_caught_with_exactly_the_expected_violations(weakened_resources):
    report = evaluate(weakened_resources, stack="prod")
    assert _violated(report) == WEAKENED_VIOLATIONS
    assert _violated(report, "advisory") == ALWAYS_ADVISORY
    assert has_mandatory_violation(report)


def test_weakened_stack_on_dev_relaxes_only_the_prod_hardening(weakened_resources):
    report = evaluate(weakened_resources, stack="dev")
    assert _violated(report, "advisory") == DEV_ADVISORY | ALWAYS_ADVISORY
    # dev accepts 7 days of Key Vault retention, 30 days of logs and bounded body logging (8192 bytes);
    # everything else still fails.
    assert _violated(report) == WEAKENED_VIOLATIONS - {
        "keyvault-soft-delete-retention",
        "monitoring-workspace-retention",
        "apim-diagnostic-payload-limited",
    }
    assert has_mandatory_violation(report)


def test_hardened_stack_meets_every_mandatory_rule_in_prod(hardened_resources):
    report = evaluate(hardened_resources, stack="prod")
    assert not has_mandatory_violation(report)
    # The only finding: APIM public access, which cannot be disabled when the service is created.
    assert _violated(report) == {"apim-public-network-access-disabled"}
    assert report["summary"]["skipped"] == 0


def test_hardened_plan_under_dev_config_only_trips_on_its_environment_tag(hardened_resources):
    report = evaluate(hardened_resources, stack="dev")
    assert _violated(report, "mandatory") == {"tags-required"}
    assert {v["message"] for v in _entry(report, "tags-required")["violations"]} == {
        "tags['environment'] is 'prod'; this stack expects 'dev'."
    }


def _entry(report, name):
    return next(rule for rule in report["rules"] if rule["name"] == name)
