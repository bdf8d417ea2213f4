"""Request rate limits of the traffic module (per client: credential, else address)."""

from __future__ import annotations

from smartcity.core.ratelimit import RateLimit

#: Saved places and push subscriptions per client and minute: a person saves a few; more
#: is a script filling the database (and, for push, making us post to push services).
SUBSCRIPTIONS_PER_MINUTE = 20

subscribe_limit = RateLimit("traffic.subscribe", limit=SUBSCRIPTIONS_PER_MINUTE, period_seconds=60)
