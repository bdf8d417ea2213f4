"""Per-client request rate limits (token buckets), answered with 429 + Retry-After.

In-process buckets serve one worker; behind several workers the same interface can be
backed by Redis.  Clients are told apart by credential when they have one, else by IP.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import Request

from smartcity.core.errors import TooManyRequests
from smartcity.core.i18n import N_

_MAX_TRACKED_CLIENTS = 100_000
#: Every limit made in this process (tests start each case with fresh buckets).
_all: list[RateLimit] = []


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimit:
    """``limit`` requests per ``period_seconds`` per client, with bursts up to ``limit``."""

    def __init__(self, name: str, *, limit: int, period_seconds: float) -> None:
        self.name = name
        self.limit = limit
        self.rate = limit / period_seconds
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()
        _all.append(self)

    def hit(self, client: str, *, now: float | None = None) -> float:
        """Take one token; returns 0 when allowed, else the seconds to wait."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.pop(client, None) or _Bucket(float(self.limit), moment)
            bucket.tokens = min(self.limit, bucket.tokens + (moment - bucket.updated) * self.rate)
            bucket.updated = moment
            self._buckets[client] = bucket
            while len(self._buckets) > _MAX_TRACKED_CLIENTS:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

    async def __call__(self, request: Request) -> None:
        """FastAPI dependency: ``dependencies=[Depends(reports_per_minute)]``."""
        wait = self.hit(client_key(request))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise TooManyRequests(
                N_("Bạn gửi quá nhiều yêu cầu; hãy thử lại sau {seconds} giây."),
                seconds=seconds,
                headers={"Retry-After": str(seconds)},
            )


def reset_all() -> None:
    for limit in _all:
        limit.reset()


def client_key(request: Request) -> str:
    credential = request.headers.get("authorization") or request.headers.get("x-api-key")
    if credential:
        return "cred:" + credential[-24:]
    return "ip:" + (request.client.host if request.client else "unknown")
