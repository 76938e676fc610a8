"""What APIM's limit policies accept, owned here: the settings refuse other values and the linter checks the XML."""

from __future__ import annotations

import typing
from typing import Literal

# rate-limit(-by-key): the counter window is at most five minutes; longer periods are quota-by-key's (a fixed
# window of at least 300 s, classic tiers only: the v2 tiers do not offer it).
RATE_LIMIT_MAX_RENEWAL_SECONDS = 300
REQUEST_QUOTA_MAX_SECONDS = 366 * 24 * 3600
# llm-token-limit / azure-openai-token-limit token-quota-period.
TokenQuotaPeriod = Literal["Hourly", "Daily", "Weekly", "Monthly", "Yearly"]
TOKEN_QUOTA_PERIODS = frozenset(typing.get_args(TokenQuotaPeriod))
