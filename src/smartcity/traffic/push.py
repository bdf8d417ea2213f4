"""Web Push for traffic alerts: browsers opt in; an alert that hits an owner's saved places
and routes goes to each of the owner's browsers, and so does its clearing.

``traffic.alert_changed`` (published after commit) → :meth:`PushService.on_alert_changed`
writes one :class:`PushDelivery` per (browser, alert, status) in its own transaction, a unique
key making a repeated event harmless → ``push_worker`` sends the due deliveries *outside*
any transaction (a slow push service must not hold the database), retries 429/5xx and network
errors with backoff, and forgets browsers whose subscription is gone (404/410).  Notifications
of one alert share a tag and a topic, so "cleared" replaces "active" on the phone.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from smartcity.config import get_settings
from smartcity.core import webpush
from smartcity.core.clock import to_local, utcnow
from smartcity.core.db import Database
from smartcity.core.i18n import N_, gettext
from smartcity.core.periodic import Periodic
from smartcity.traffic import repository
from smartcity.traffic.alerts import Owner, alerts
from smartcity.traffic.errors import (
    PushNotConfigured,
    PushSubscriptionNotFound,
    PushSubscriptionRejected,
)
from smartcity.traffic.models import PushDelivery, PushSubscription
from smartcity.traffic.schemas import (
    AlertOut,
    PushConfigOut,
    PushSubscriptionCreate,
    SubscriptionOut,
)
from smartcity.traffic.service import traffic as traffic_service

log = logging.getLogger(__name__)

#: Give up on a delivery after this many failed attempts.
MAX_ATTEMPTS = 6
#: First retry after this long; doubles each attempt.
RETRY_BASE_S = 15.0
#: A worker holds the deliveries it is sending for this long.
LEASE_S = 120.0
SEND_TIMEOUT_S = 10.0
ALERTS_URL = "/traffic#alerts"

TITLES = {
    "jam": N_("Kẹt xe"),
    "incident": N_("Sự cố"),
    "closure": N_("Cấm đường"),
    "flood": N_("Ngập nước"),
}
CLEARED_TITLES = {
    "jam": N_("Hết kẹt xe"),
    "incident": N_("Sự cố đã được xử lý"),
    "closure": N_("Đường đã thông"),
    "flood": N_("Hết ngập"),
}
ON_PLACES = N_("Trên {places} · từ {time}")
SPEED = N_("{speed} km/h")
UNNAMED_ROAD = N_("đường không tên")


@lru_cache(maxsize=4)
def _vapid_key(path: Path) -> webpush.VapidKey:
    return webpush.VapidKey.load_or_create(path)


def vapid_key() -> webpush.VapidKey:
    return _vapid_key(get_settings().vapid_key_path)


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    return any(host == entry or host.endswith("." + entry) for entry in allowed)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str) -> None:
    """Refuse endpoints that are not one of the configured push services (so a client
    cannot make the server post to an address of its choosing)."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password or not host:
        raise PushSubscriptionRejected(N_("Địa chỉ dịch vụ đẩy không hợp lệ."))
    if not _host_allowed(host, get_settings().webpush_endpoint_hosts):
        raise PushSubscriptionRejected(
            N_("Máy chủ không gửi thông báo qua dịch vụ đẩy {host}."), host=host
        )
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(host)):
        raise PushSubscriptionRejected(N_("Dịch vụ đẩy phải dùng https."))


def message(alert: AlertOut, places: list[str], language: str) -> dict[str, Any]:
    """The notification for one browser: title, body, where a tap leads, and a tag that
    makes later news of the same alert replace it."""
    road = alert.road_name or gettext(UNNAMED_ROAD, language)
    if alert.status == "active":
        title = f"{gettext(TITLES[alert.kind], language)}: {road}"
        since = to_local(alert.started_at).strftime("%H:%M")
        body = gettext(ON_PLACES, language, places=", ".join(places), time=since)
        if alert.speed_kmh is not None:
            body += " · " + gettext(SPEED, language, speed=round(alert.speed_kmh))
    else:
        title = f"{gettext(CLEARED_TITLES[alert.kind], language)}: {road}"
        body = ", ".join(places)
    return {
        "title": title,
        "body": body,
        "url": ALERTS_URL,
        "tag": f"traffic-alert-{alert.id}",
        "alert_id": alert.id,
        "status": alert.status,
        "lang": language,
    }


def _owner(user_id: int | None, token_hash: str | None) -> Owner:
    return Owner(user_id=user_id) if user_id is not None else Owner(token_hash=token_hash)


def _owner_keys(owners: Iterable[Owner]) -> tuple[list[int], list[str]]:
    """The user ids and the anonymous token hashes of these owners."""
    users = [o.user_id for o in owners if o.user_id is not None]
    tokens = [o.token_hash for o in owners if o.user_id is None and o.token_hash is not None]
    return users, tokens


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    payload: dict[str, Any]


class PushService:
    # --- configuration and subscriptions -------------------------------------------------

    def config(self) -> PushConfigOut:
        if not get_settings().webpush_enabled:
            return PushConfigOut(enabled=False)
        return PushConfigOut(
            enabled=True, application_server_key=vapid_key().application_server_key
        )

    def subscribe(
        self, session: Session, *, owner: Owner, data: PushSubscriptionCreate
    ) -> tuple[PushSubscription, bool]:
        """Store a browser's subscription (again: keys and owner are updated); returns it
        and whether it is new."""
        if not get_settings().webpush_enabled:
            raise PushNotConfigured(N_("Máy chủ này không gửi thông báo đẩy."))
        check_endpoint(data.endpoint)
        try:
            webpush.check_keys(data.keys.p256dh, data.keys.auth)
        except webpush.InvalidSubscriptionKey as exc:
            raise PushSubscriptionRejected(
                N_("Khoá của trình duyệt không hợp lệ: {reason}"), reason=str(exc)
            ) from exc
        found = repository.push_subscription_by_endpoint(session, data.endpoint)
        created = found is None
        subscription = found or PushSubscription(endpoint=data.endpoint)
        subscription.user_id = owner.user_id
        subscription.owner_token_hash = owner.token_hash if owner.user_id is None else None
        subscription.p256dh = data.keys.p256dh
        subscription.auth = data.keys.auth
        subscription.language = data.language
        if created:
            session.add(subscription)
        session.flush()
        return subscription, created

    def subscriptions(self, session: Session, owner: Owner) -> list[PushSubscription]:
        return list(repository.push_subscriptions_of(session, *_owner_keys([owner])))

    def unsubscribe(self, session: Session, *, owner: Owner, subscription_id: int) -> None:
        found = next(
            (s for s in self.subscriptions(session, owner) if s.id == subscription_id), None
        )
        if found is None:
            raise PushSubscriptionNotFound(
                N_("Không có đăng ký nhận thông báo số {subscription_id}."),
                subscription_id=subscription_id,
            )
        session.delete(found)
        session.flush()

    # --- alerts → deliveries -------------------------------------------------------------

    def on_alert_changed(self, session: Session, payload: dict[str, Any]) -> int:
        """Queue this alert for every browser whose owner's places and routes it hits;
        a clearing goes where the alert went.  Returns how many deliveries were queued."""
        if not get_settings().webpush_enabled:
            return 0
        alert = AlertOut.model_validate(payload)
        if alert.status == "active":
            targets = self._hit(session, alert)
        else:
            announced = repository.push_deliveries_of_alert(session, alert.id, "active")
            targets = {d.subscription_id: d.payload.get("places", []) for d in announced}
        queued = 0
        for subscription_id, places in targets.items():
            if repository.push_delivery_exists(session, subscription_id, alert.id, alert.status):
                continue
            subscription = session.get(PushSubscription, subscription_id)
            if subscription is None:
                continue
            session.add(
                PushDelivery(
                    subscription_id=subscription_id,
                    alert_id=alert.id,
                    alert_status=alert.status,
                    payload={**message(alert, places, subscription.language), "places": places},
                )
            )
            queued += 1
        session.flush()
        return queued

    def _hit(self, session: Session, alert: AlertOut) -> dict[int, list[str]]:
        """Push subscription id → names of the owner's places and routes the alert hits
        (two queries, whatever the number of owners; only places near the alert are read)."""
        index = traffic_service.state(session).index
        saved: dict[Owner, list[SubscriptionOut]] = {}
        box = (alert.min_lon, alert.min_lat, alert.max_lon, alert.max_lat)
        for place in repository.saved_places_of_push_owners(session, box):
            owner = _owner(place.user_id, place.owner_token_hash)
            saved.setdefault(owner, []).append(SubscriptionOut.model_validate(place))
        hit_places: dict[Owner, list[str]] = {}
        for owner, places in saved.items():
            hits = set(alerts.matching(index, places, alert))
            if hits:
                hit_places[owner] = [p.name for p in places if p.id in hits]
        targets: dict[int, list[str]] = {}
        for browser in repository.push_subscriptions_of(session, *_owner_keys(hit_places)):
            owner = _owner(browser.user_id, browser.owner_token_hash)
            if owner in hit_places:
                targets[browser.id] = hit_places[owner]
        return targets

    # --- sending -------------------------------------------------------------------------

    def deliver_due(self, database: Database, *, limit: int = 100) -> int:
        """Send the due deliveries; returns how many push services accepted."""
        now = utcnow()
        with database.session() as session:
            claims = []
            for delivery, browser in repository.due_push_deliveries(session, now, limit):
                delivery.due_at = now + timedelta(seconds=LEASE_S)
                claims.append(
                    _Claim(
                        delivery.id,
                        browser.id,
                        browser.endpoint,
                        browser.p256dh,
                        browser.auth,
                        delivery.payload,
                    )
                )
        if not claims:
            return 0
        settings = get_settings()
        key = vapid_key()
        results = []
        with httpx.Client(timeout=SEND_TIMEOUT_S) as client:
            for claim in claims:
                body = {k: v for k, v in claim.payload.items() if k != "places"}
                result = webpush.send(
                    client,
                    endpoint=claim.endpoint,
                    p256dh=claim.p256dh,
                    auth=claim.auth,
                    payload=json.dumps(body, ensure_ascii=False).encode(),
                    key=key,
                    subject=settings.webpush_subject,
                    ttl_s=settings.webpush_ttl_s,
                    urgency="high" if body.get("status") == "active" else "normal",
                    topic=f"alert{body.get('alert_id', '')}",
                )
                results.append((claim, result))
        delivered = 0
        with database.session() as session:
            for claim, result in results:
                delivered += self._record(session, claim, result, now)
        return delivered

    def _record(
        self, session: Session, claim: _Claim, result: webpush.PushResult, now: datetime
    ) -> int:
        delivery = session.get(PushDelivery, claim.delivery_id)
        browser = session.get(PushSubscription, claim.subscription_id)
        if delivery is None or browser is None:  # unsubscribed meanwhile
            return 0
        delivery.attempts += 1
        if result.outcome is webpush.Outcome.delivered:
            delivery.state, delivery.sent_at = "sent", now
            browser.last_sent_at = now
            return 1
        if result.outcome is webpush.Outcome.gone:
            log.info("push subscription %s is gone (%s): forgotten", browser.id, result.status)
            session.delete(browser)  # its deliveries go with it (ON DELETE CASCADE)
            return 0
        delivery.last_error = f"{result.status or '-'} {result.detail}"[:300]
        if result.outcome is webpush.Outcome.retry and delivery.attempts < MAX_ATTEMPTS:
            delivery.due_at = now + timedelta(seconds=RETRY_BASE_S * 2 ** (delivery.attempts - 1))
        else:
            delivery.state = "failed"
            log.warning("push delivery %s failed: %s", delivery.id, delivery.last_error)
        return 0


push = PushService()


#: Sends due deliveries: woken when new ones are queued, and every few seconds for retries.
push_worker = Periodic("traffic-push", push.deliver_due, interval_s=10.0)
