"""Per-workspace, per-scope request throttling (sliding window), shared by all tokens of a workspace and by
both dialects (each names its own scopes).

Counters live in memory, or in Redis when ``SAUTI_REDIS_URL`` is set so several API processes share them.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from sauti.models import Workspace


class Throttled(Exception):
    """Over the rate: ``wait`` whole seconds until a request is allowed again. Each dialect renders it."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


class Throttle:
    def __init__(self, default_rates: dict[str, str], redis_url: str | None = None) -> None:
        self.default_rates = dict(default_rates)
        storage: object = storage_from_string(f"async+{redis_url}") if redis_url else MemoryStorage()
        assert isinstance(storage, Storage)
        self.limiter = MovingWindowRateLimiter(storage)
        self._parsed: dict[str, RateLimitItem] = {}

    def rate_for(self, workspace: Workspace, scope: str) -> RateLimitItem | None:
        """The workspace's own rate for the scope, else the configured one; a scope nobody named (``v2.x``)
        counts under its dialect's base scope (``v2``), so no endpoint is ever left unlimited by omission."""
        overrides = workspace.api_rates or {}
        base = scope.split(".", 1)[0]
        text = (
            overrides.get(scope) or self.default_rates.get(scope) or overrides.get(base) or self.default_rates.get(base)
        )
        if not text:
            return None
        item = self._parsed.get(text)
        if item is None:
            item = self._parsed[text] = parse(text)
        return item

    async def check(self, workspace: Workspace, scope: str) -> None:
        """Count one request; raise :class:`Throttled` when the workspace is over its rate for the scope."""
        item = self.rate_for(workspace, scope)
        if item is None:
            return
        key = f"{scope}:{workspace.id}"
        if await self.limiter.hit(item, "sauti", key):
            return
        stats = await self.limiter.get_window_stats(item, "sauti", key)
        raise Throttled(max(1, math.ceil(stats.reset_time - time.time())))

    async def reset(self) -> None:
        await self.limiter.storage.reset()
