"""Plain stack outputs derived from settings: what clients and the smoke test need besides resource outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from components.config import OpenAiBackendSettings, ProductSettings

_NOT_CHAT = ("embedding", "dall-e", "whisper", "tts")


def product_limits(products: Mapping[str, ProductSettings]) -> dict[str, dict[str, int | None]]:
    """Each product's request and token limits, in the shape tools/smoke_test.py reads."""
    return {
        name: {
            "requestsPerPeriod": product.rate_limit.calls if product.rate_limit else None,
            "renewalPeriodSeconds": product.rate_limit.renewal_period if product.rate_limit else None,
            "tokensPerMinute": product.tokens_per_minute,
        }
        for name, product in sorted(products.items())
    }


def deployment_for(backends: Mapping[str, OpenAiBackendSettings], kind: Literal["chat", "embedding"]) -> str:
    """The first deployment of this kind (settings guarantee every pool member offers the same ones)."""
    first = backends[min(backends)]
    for name, deployment in sorted(first.deployments.items()):
        is_embedding = "embedding" in deployment.model
        if kind == "embedding" and is_embedding:
            return name
        if kind == "chat" and not is_embedding and not any(word in deployment.model for word in _NOT_CHAT):
            return name
    return ""
