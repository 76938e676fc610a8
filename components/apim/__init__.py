"""API Management: the service, backends and pool, the API and its spec, products, logging, policy templates."""
