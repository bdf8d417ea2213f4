"""Request rate limits of the reports module (per client: credential, else address)."""

from __future__ import annotations

from smartcity.core.ratelimit import RateLimit

#: New reports per client and minute: a person reports a few; a burst is a script.
REPORTS_PER_MINUTE = 20

create_limit = RateLimit("reports.create", limit=REPORTS_PER_MINUTE, period_seconds=60)
