"""APIM policy documents: a template per scope, the renderer that fills it, the linter."""

from components.apim.policies.render import render_policy

# Headers the product policy adds to answers; the diagnostics log them and the smoke test reads them.
CLIENT_HEADERS = {
    "remaining_requests": "x-gateway-remaining-requests",
    "remaining_tokens": "x-gateway-remaining-tokens",
    "remaining_quota_tokens": "x-gateway-remaining-quota-tokens",
    "tokens_consumed": "x-gateway-tokens-consumed",
    # The team a call was counted for; the diagnostics log it with the response.
    "team": "x-gateway-team",
}
# Where callers may put their subscription key; the API policy keeps it from reaching Azure OpenAI.
SUBSCRIPTION_KEY_HEADER = "api-key"
SUBSCRIPTION_KEY_QUERY = "subscription-key"
# A team's subscription id is this prefix and the team's name; the API policy tells a team's key from a
# product's by it, so no product may be named with it.
TEAM_SUBSCRIPTION_PREFIX = "team-"

__all__ = [
    "CLIENT_HEADERS",
    "SUBSCRIPTION_KEY_HEADER",
    "SUBSCRIPTION_KEY_QUERY",
    "TEAM_SUBSCRIPTION_PREFIX",
    "render_policy",
]
