"""Plain stack outputs derived from settings: what clients and the smoke test need besides resource outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from components.capacity import dearest_price_per_1k, monthly_spend_cap
from components.settings import Settings
from components.settings.models import ModelPrice, OpenAiBackendSettings, ProductSettings

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
    for name, model in deployment_models(backends).items():
        if kind == "embedding" and "embedding" in model:
            return name
        if kind == "chat" and not any(word in model for word in _NOT_CHAT):
            return name
    return ""


def deployment_names(backends: Mapping[str, OpenAiBackendSettings]) -> tuple[str, ...]:
    """Every deployment name the pools serve (settings guarantee each member serves the same ones)."""
    return tuple(sorted({name for backend in backends.values() for name in backend.deployments}))


def deployment_models(backends: Mapping[str, OpenAiBackendSettings]) -> dict[str, str]:
    """The model each deployment name serves (settings guarantee one model per name across a pool)."""
    return {name: d.model for backend in backends.values() for name, d in sorted(backend.deployments.items())}


def deployment_prices(
    backends: Mapping[str, OpenAiBackendSettings], pricing: Mapping[str, ModelPrice]
) -> dict[str, tuple[float, float]]:
    """(input, output) price per 1,000 tokens for each deployment name, from its model's price. The token metrics
    know the deployment, not the account: settings guarantee one model per name across a pool and a price for
    every deployed model."""
    return {
        name: (pricing[model].input_per_1k, pricing[model].output_per_1k)
        for name, model in deployment_models(backends).items()
    }


def cost_sheet(stack: str, settings: Settings) -> str:
    """What tokens cost, in the stack's currency: the price table, and what each product can spend at its limits."""
    currency = settings.currency
    lines = [
        f"# Cost sheet of stack `{stack}`",
        "",
        f"Prices per 1,000 tokens ({currency}) from `pricing` in the stack file; the workbook and the spend",
        "alerts use the same table. Worst cases assume every token is billed at the dearest price.",
        "",
        "| Deployment | Model | Input | Output |",
        "|---|---|---|---|",
    ]
    for name, model in deployment_models(settings.openai_backends).items():
        price = settings.pricing[model]
        lines.append(f"| `{name}` | {model} | {_rate(price.input_per_1k)} | {_rate(price.output_per_1k)} |")
    dearest = dearest_price_per_1k(settings.openai_backends, settings.pricing)
    lines += [
        "",
        "| Product | Tokens per minute | Token quota | Monthly budget | Worst case per subscription |",
        "|---|---|---|---|---|",
    ]
    for name, product in sorted(settings.products.items()):
        worst = []
        if product.tokens_per_minute:
            worst.append(f"{product.tokens_per_minute * 60 / 1000 * dearest:,.2f} {currency}/hour")
        if product.token_quota:
            worst.append(f"{product.token_quota.tokens / 1000 * dearest:,.2f} {currency}/{product.token_quota.period}")
        quota = f"{product.token_quota.tokens:,} {product.token_quota.period}" if product.token_quota else "none"
        lines.append(
            f"| `{name}` | {f'{product.tokens_per_minute:,}' if product.tokens_per_minute else 'none'} | {quota} | "
            f"{_money(product.monthly_budget, currency)} | {'; '.join(worst) or 'unbounded'} |"
        )
    if settings.teams:
        lines += _team_rows(settings, dearest)
    return "\n".join(lines) + "\n"


def _team_rows(settings: Settings, dearest: float) -> list[str]:
    """Each team's worst month: its own limits (or its product's) spent in full at the dearest price."""
    currency = settings.currency
    rows = [
        "",
        "| Team | Contact | Calls with | Limits | Monthly budget | Worst case per month |",
        "|---|---|---|---|---|---|",
    ]
    for name, team in sorted(settings.teams.items()):
        limits = team.effective_limits(settings.products)
        cap = monthly_spend_cap(limits, dearest)
        how = " and ".join(
            way for way, used in (("key", team.subscription_key), ("Entra ID", team.entra is not None)) if used
        )
        whose = "own" if team.limited else f"product {team.product}"
        budget = _money(team.monthly_budget, currency)
        worst = _money(cap, currency, absent="unbounded (no token limit)")
        rows.append(f"| `{name}` | {team.contact} | {how} | {whose}: {limits.describe()} | {budget} | {worst} |")
    return rows


def _money(amount: float | None, currency: str, absent: str = "none") -> str:
    return f"{amount:,.2f} {currency}" if amount is not None else absent


def _rate(price: float) -> str:
    """A price per 1,000 tokens in plain decimals (0.00002, not 2e-05)."""
    return f"{price:.6f}".rstrip("0").rstrip(".") or "0"
