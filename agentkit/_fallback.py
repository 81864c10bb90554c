"""Fallback models: when the agent's model fails after its retries, the next one answers the request.

``Agent(model=..., fallback_models=["deepseek-v4-pro", Fallback("qwen-max", client=other_server)])``.
Each request starts with the agent's own model; only an error that retrying could have cured (429, 500,
503, a dropped or stalled connection, a timeout: the client's retries are spent by then) moves it to the
next model. A 400, 401, 402 or 422 says the request, the key or the account needs fixing, which a
fallback would only hide, so it is raised at once. Each model has its own request plan, so the request a
fallback receives follows *its* profile: its reasoning-replay rule, thinking switch and parameters.
``RunResult.models`` says which model answered each request, and its cost is counted at that model's price.

Every attempt is one model request through the run's hooks (a trace shows each). When a streamed attempt
fails after it began, a ``ResponseRestarted`` event tells the reader to discard what it streamed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from ._client import DeepSeekClient
from ._errors import APIError
from ._events import ResponseRestarted, model_response
from ._hooks import ModelRequestInfo, ResponseItem, RunInfo, chain_request, closing
from ._profiles import Profile, get_profile
from ._request import RequestPlan
from ._retry import is_retryable
from ._settings import ModelSettings, merge_settings
from ._wire import ChatCompletion

if TYPE_CHECKING:
    from ._agent import Agent
    from ._pricing import Pricing
    from ._runtools import RunTools
    from ._wire import Message

logger = logging.getLogger("agentkit")


@dataclass(frozen=True)
class Fallback:
    """A model to ask when the ones before it fail: its name, its profile (default: chosen from the
    name) and a ``DeepSeekClient`` for another server (default: the agent's connection)."""

    model: str
    profile: str | Profile | None = None
    client: DeepSeekClient | None = None

    @classmethod
    def of(cls, item: str | Fallback) -> Fallback:
        return item if isinstance(item, Fallback) else cls(item)


@dataclass(frozen=True)
class Target:
    """One model a run may ask, ready to send to."""

    model: str
    plan: RequestPlan
    client: DeepSeekClient
    profile: Profile
    pricing: Pricing | None


class Models:
    """The models one run asks, in order: the agent's own, then its fallbacks."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self.targets = tuple(targets)
        self.answered = self.targets[0]
        """The model that answered the last request."""
        self.request: ModelRequestInfo | None = None
        """The last request as hooks saw it (``None`` without hooks): a replayed one says when it was
        made (``completed_at``)."""

    @classmethod
    def build(
        cls, agent: Agent[Any, Any], tools: RunTools, client: DeepSeekClient, settings: ModelSettings | None
    ) -> Models:
        """The agent's model (its plan cached by ``tools``), then its fallbacks, for one run."""
        plan = tools.plan(agent.model, agent.profile, agent.settings, settings)
        targets = [Target(agent.model, plan, client, agent.profile, agent.profile.pricing_for(agent.model))]
        merged = merge_settings(agent.settings, settings) if agent.fallback_models else {}
        for fallback in agent.fallback_models:
            profile = get_profile(fallback.profile if fallback.profile is not None else fallback.model)
            json_mode = not agent.output.is_text and not tools.toolset and profile.json_mode
            definitions = tools.definitions
            plan = RequestPlan.build(fallback.model, profile, merged, definitions, json_mode=json_mode)
            pricing = profile.pricing_for(fallback.model)
            targets.append(Target(fallback.model, plan, fallback.client or client, profile, pricing))
        return cls(targets)

    def respond(
        self,
        history: list[Message],
        overrides: dict[str, Any] | None,
        info: RunInfo,
        number: int,
    ) -> AsyncIterator[ResponseItem]:
        """One response, from the first model that gives one: its events when streamed, then the
        ``ChatCompletion``; ``answered`` is then the model that gave it."""
        if len(self.targets) == 1:
            return self._ask(self.targets[0], history, overrides, info, number)
        return self._fall_through(history, overrides, info, number)

    async def _fall_through(
        self,
        history: list[Message],
        overrides: dict[str, Any] | None,
        info: RunInfo,
        number: int,
    ) -> AsyncGenerator[ResponseItem, None]:
        for position, target in enumerate(self.targets):
            streamed = False
            try:
                async with closing(self._ask(target, history, overrides, info, number)) as items:
                    async for item in items:
                        if isinstance(item, ChatCompletion):
                            self.answered = target
                        else:
                            streamed = True
                        yield item
                return
            except APIError as error:
                if position == len(self.targets) - 1 or not is_retryable(error):
                    raise
                following = self.targets[position + 1].model
                logger.warning("%s failed (%s); asking %s instead", target.model, error, following)
                if streamed:
                    yield ResponseRestarted(position + 1, error)

    def _ask(
        self,
        target: Target,
        history: list[Message],
        overrides: dict[str, Any] | None,
        info: RunInfo,
        number: int,
    ) -> AsyncIterator[ResponseItem]:
        """One request to one model, through the run's hooks."""
        request = target.plan.request(history, overrides=overrides)
        proceed = partial(model_response, target.client, request, stream=info.stream)
        if not info.hooks:
            return proceed()
        self.request = ModelRequestInfo(info, request, number, profile=target.profile)
        return chain_request(info.hooks, self.request, proceed)

