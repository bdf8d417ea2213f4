"""Site-wide notices shown in a banner on every page (e.g. "this map is a synthetic city").

Modules register a provider at start-up; each returns a Vietnamese msgid (translated in the
template) or None.  Providers read through the request's own session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

NoticeProvider = Callable[[Session], str | None]
_providers: dict[str, NoticeProvider] = {}


def register_notice(name: str, provider: NoticeProvider) -> None:
    _providers[name] = provider


def current_notices(session: Session | None) -> list[str]:
    if session is None:
        return []
    notices = []
    for name, provider in _providers.items():
        try:
            message = provider(session)
        except Exception:  # a broken provider must not break every page
            log.exception("notice provider %s failed", name)
            continue
        if message:
            notices.append(message)
    return notices
