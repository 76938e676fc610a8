"""What the Application Gateway WAF's managed rule sets are made of, and which of their rules misfire on prompts.

Rule group names per rule set, from Microsoft's "DRS and CRS rule groups and rules" reference
(learn.microsoft.com/azure/web-application-firewall/ag/application-gateway-crs-rulegroups-rules). ARM refuses
an exclusion that names a group the rule set does not have, so the settings check names against this table.
"""

from __future__ import annotations

_DRS_2_1 = (
    "General",
    "METHOD-ENFORCEMENT",
    "PROTOCOL-ENFORCEMENT",
    "PROTOCOL-ATTACK",
    "LFI",
    "RFI",
    "RCE",
    "PHP",
    "NodeJS",
    "XSS",
    "SQLI",
    "SESSION-FIXATION",
    "SESSION-JAVA",
    "MS-ThreatIntel-WebShells",
    "MS-ThreatIntel-AppSec",
    "MS-ThreatIntel-SQLI",
    "MS-ThreatIntel-CVEs",
)
RULE_GROUPS: dict[str, tuple[str, ...]] = {
    "Microsoft_DefaultRuleSet_2.1": _DRS_2_1,
    "Microsoft_DefaultRuleSet_2.2": (*_DRS_2_1, "MS-ThreatIntel-XSS"),
    "OWASP_3.2": (
        "General",
        "Known-CVEs",
        "REQUEST-911-METHOD-ENFORCEMENT",
        "REQUEST-913-SCANNER-DETECTION",
        "REQUEST-920-PROTOCOL-ENFORCEMENT",
        "REQUEST-921-PROTOCOL-ATTACK",
        "REQUEST-930-APPLICATION-ATTACK-LFI",
        "REQUEST-931-APPLICATION-ATTACK-RFI",
        "REQUEST-932-APPLICATION-ATTACK-RCE",
        "REQUEST-933-APPLICATION-ATTACK-PHP",
        "REQUEST-941-APPLICATION-ATTACK-XSS",
        "REQUEST-942-APPLICATION-ATTACK-SQLI",
        "REQUEST-943-APPLICATION-ATTACK-SESSION-FIXATION",
        "REQUEST-944-APPLICATION-ATTACK-JAVA",
    ),
}

# The groups whose rules match what prompts are full of: SQL (SQLI, and Microsoft's threat-intel SQLI rules),
# HTML and script (XSS), shell and PowerShell commands (RCE), file paths such as /etc/passwd (LFI), URLs
# (RFI) and ${VAR} or PHP snippets (PHP). Microsoft itself lists SQLI rule 942430 as false-positive prone.
# Protocol, method and CVE groups stay in force on the prompt fields too.
_DRS_PROMPT_PRONE = ("SQLI", "XSS", "RCE", "LFI", "RFI", "PHP", "MS-ThreatIntel-SQLI")
PROMPT_PRONE_GROUPS: dict[str, tuple[str, ...]] = {
    "Microsoft_DefaultRuleSet_2.1": _DRS_PROMPT_PRONE,
    "Microsoft_DefaultRuleSet_2.2": (*_DRS_PROMPT_PRONE, "MS-ThreatIntel-XSS"),
    "OWASP_3.2": (
        "REQUEST-942-APPLICATION-ATTACK-SQLI",
        "REQUEST-941-APPLICATION-ATTACK-XSS",
        "REQUEST-932-APPLICATION-ATTACK-RCE",
        "REQUEST-930-APPLICATION-ATTACK-LFI",
        "REQUEST-931-APPLICATION-ATTACK-RFI",
        "REQUEST-933-APPLICATION-ATTACK-PHP",
    ),
}

# JSON body fields that carry free text in the OpenAI APIs: chat messages[].content (a string, or parts
# with .text), completions' prompt, embeddings' and Responses' input, Responses' instructions, tool call
# arguments and tool outputs. The WAF names a nested JSON field by its path, which Microsoft does not
# document (an exclusion that Equals "content" was reported not to match messages[].content), so the
# exclusions match names that end with the field: "messages.0.content" and "content" alike.
PROMPT_FIELDS = ("content", "text", "prompt", "input", "instructions", "arguments", "output")
