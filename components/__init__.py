"""aoai-gateway: Pulumi components, stack settings and the offline plan."""
