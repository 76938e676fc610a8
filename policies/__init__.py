"""Policy-as-code for aoai-gateway: the rule catalogue, its offline runner and its README table."""
