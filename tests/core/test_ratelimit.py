from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from smartcity.core.error_handlers import install_error_handlers
from smartcity.core.ratelimit import RateLimit


def test_bucket_refills_over_time() -> None:
    limit = RateLimit("t", limit=2, period_seconds=60)
    assert limit.hit("a", now=0) == 0
    assert limit.hit("a", now=0) == 0
    wait = limit.hit("a", now=0)
    assert 29 < wait <= 30
    assert limit.hit("b", now=0) == 0  # other clients are unaffected
    assert limit.hit("a", now=31) == 0


def test_over_the_limit_is_429_with_retry_after() -> None:
    per_minute = RateLimit("reports", limit=3, period_seconds=60)
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/v1/things", dependencies=[Depends(per_minute)])
    def create() -> dict[str, bool]:
        return {"ok": True}

    client = TestClient(app)
    codes = [client.post("/api/v1/things").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    refused = client.post("/api/v1/things")
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["code"] == "too_many_requests"
