"""Builds resources in the offline plan's resources.json shape, for the policy tests."""


def plan_resource(token, name, inputs, depends_on=()):
    return {
        "urn": f"urn:pulumi:prod::aoai-gateway::{token}::{name}",
        "type": token,
        "name": name,
        "parent": None,
        "dependsOn": list(depends_on),
        "inputs": inputs,
    }
