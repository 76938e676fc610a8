"""The two API surfaces the gateway serves, as data: the deployment-path API (api-version, deployment in the URL)
that today's clients use, and the v1 API (model in the body) of the plain OpenAI SDKs and the Responses API.
Each has its own APIM API, spec, backends and pool; products, subscriptions and limits cover both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SurfaceName = Literal["deployments", "v1"]


@dataclass(frozen=True)
class Surface:
    name: SurfaceName
    api_id: str
    # The API's path under the gateway URL: clients call <gateway>/<path>/...
    path: str
    display_name: str
    description: str
    # Appended to an account's endpoint to form the backend URL.
    backend_path: str
    # Backend ids: <prefix><backend name>, and the pool's. "_" never occurs in backend names, so the two
    # surfaces' ids cannot collide.
    backend_prefix: str
    pool_id: str
    # Resource-name infix, so the deployment-path API keeps the names (and URNs) it always had.
    infix: str

    def backend_id(self, backend_name: str) -> str:
        return f"{self.backend_prefix}{backend_name}"

    def backend_url(self, endpoint: str) -> str:
        """The URL this surface reaches an account at, from the account's endpoint."""
        return endpoint.rstrip("/") + self.backend_path


DEPLOYMENTS = Surface(
    name="deployments",
    api_id="azure-openai",
    path="openai",
    display_name="Azure OpenAI",
    description="Azure OpenAI inference API behind the gateway.",
    backend_path="/openai",
    backend_prefix="openai-",
    pool_id="openai-pool",
    infix="",
)
V1 = Surface(
    name="v1",
    api_id="azure-openai-v1",
    path="openai/v1",
    display_name="Azure OpenAI v1",
    description="Azure OpenAI v1 API (the model named in the body): Responses, chat completions, embeddings, models.",
    backend_path="/openai/v1",
    backend_prefix="openai-v1_",
    pool_id="openai-v1_pool",
    infix="-v1",
)
SURFACES = (DEPLOYMENTS, V1)
