"""Entry point the pulumi CLI runs for `--policy-pack policies`: it only builds the PolicyPack."""

from pulumi_policy import EnforcementLevel, PolicyPack

# The CLI runs this file with policies/ first on sys.path, so the rule package imports as `rules`.
from rules.catalogue import build_policies  # type: ignore[import-not-found]

PolicyPack(
    name="aoai-gateway",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=build_policies(),
)
