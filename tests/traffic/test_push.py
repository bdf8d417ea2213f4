"""Web Push: the message encryption and VAPID signature checked by independent
implementations (http_ece, PyJWT), the subscription API and its refusals, and a jam on a saved
route travelling to a local push service — encrypted for the browser's keys, decrypted here
as the browser would — then its clearing, retries and a subscription the service says is gone.

The push service is a real HTTP server on 127.0.0.1 speaking RFC 8030's side of the protocol
(answer 201, 410, 503); browsers' own push services (FCM, Mozilla) cannot be reached here."""

from __future__ import annotations

import base64
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.config import get_settings
from smartcity.core import webpush
from smartcity.core.db import Database
from smartcity.traffic import push as push_module
from smartcity.traffic import repository
from smartcity.traffic.alerts import alerts
from smartcity.traffic.limits import SUBSCRIPTIONS_PER_MINUTE
from smartcity.traffic.models import PushDelivery
from smartcity.traffic.push import push
from smartcity.traffic.schemas import AlertOut
from smartcity.traffic.service import traffic
from smartcity.traffic.tasks import background
from support.traffic import api_key, crawl, segments_of, stretch
from support.webpush import Browser, PushService


def _subscribe(
    client: TestClient, endpoint: str, browser: Browser, headers: dict[str, str]
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/traffic/push/subscriptions",
        json={"endpoint": endpoint, "expirationTime": None, "keys": browser.keys},
        headers=headers,
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


class TestProtocol:
    def test_encryption_and_vapid_are_what_browsers_and_push_services_expect(
        self, tmp_path: Path
    ) -> None:
        browser = Browser()
        payload = json.dumps({"title": "Kẹt xe: Điện Biên Phủ"}, ensure_ascii=False).encode()
        body = webpush.encrypt(payload, browser.keys["p256dh"], browser.keys["auth"])
        assert browser.read(body) == {"title": "Kẹt xe: Điện Biên Phủ"}
        # every message has its own salt and ephemeral key
        again = webpush.encrypt(payload, browser.keys["p256dh"], browser.keys["auth"])
        assert again[:16] != body[:16]

        key = webpush.VapidKey.load_or_create(tmp_path / "vapid.pem")
        stored = webpush.VapidKey.load_or_create(tmp_path / "vapid.pem")  # read back, not new
        assert stored.application_server_key == key.application_server_key
        assert (tmp_path / "vapid.pem").stat().st_mode & 0o777 == 0o600
        header = key.authorization("https://fcm.googleapis.com/fcm/send/abc", "mailto:ops@x.vn")
        token = header.split("t=")[1].split(",")[0]
        public = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), webpush.b64url_decode(key.application_server_key)
        )
        claims = jwt.decode(
            token, public, algorithms=["ES256"], audience="https://fcm.googleapis.com"
        )
        assert claims["sub"] == "mailto:ops@x.vn"
        assert 0 < claims["exp"] - time.time() <= 24 * 3600
        assert header.endswith("k=" + key.application_server_key)

    def test_keys_that_cannot_be_encrypted_to_are_refused(self) -> None:
        good = Browser().keys
        not_on_curve = webpush.b64url_encode(b"\x04" + bytes(64))
        for p256dh, auth in (
            (not_on_curve, good["auth"]),
            (good["p256dh"], webpush.b64url_encode(bytes(8))),
            (webpush.b64url_encode(b"\x02" + bytes(32)), good["auth"]),
        ):
            with pytest.raises(webpush.InvalidSubscriptionKey):
                webpush.check_keys(p256dh, auth)


class TestSubscriptionApi:
    def test_subscribe_again_list_and_unsubscribe(
        self, database: Database, small_network: Path, client: TestClient, push_service: PushService
    ) -> None:
        config = client.get("/api/v1/traffic/push").json()
        assert config["enabled"] is True
        assert len(webpush.b64url_decode(config["application_server_key"])) == 65
        browser = Browser()
        endpoint = f"{push_service.url}/push/api-{time.time_ns()}"
        first = client.post(
            "/api/v1/traffic/push/subscriptions",
            json={"endpoint": endpoint, "keys": browser.keys, "language": "en"},
        )
        assert first.status_code == 201, first.text
        token = first.json()["subscriber_token"]
        assert token  # an anonymous browser became a subscriber
        mine = {"X-Subscriber-Token": token}
        again = _subscribe(client, endpoint, Browser(), mine)  # new keys, same browser
        assert again["id"] == first.json()["id"]
        assert again["subscriber_token"] is None
        listed = client.get("/api/v1/traffic/push/subscriptions", headers=mine).json()
        assert [(s["id"], s["language"]) for s in listed] == [(again["id"], "vi")]
        other = {"X-Subscriber-Token": "y" * 40}
        assert client.get("/api/v1/traffic/push/subscriptions", headers=other).json() == []
        url = f"/api/v1/traffic/push/subscriptions/{again['id']}"
        assert client.delete(url, headers=other).status_code == 404
        assert client.delete(url, headers=mine).status_code == 204
        assert client.get("/api/v1/traffic/push/subscriptions", headers=mine).json() == []

    def test_endpoints_keys_and_shapes_that_are_refused(
        self, database: Database, small_network: Path, client: TestClient, push_service: PushService
    ) -> None:
        keys = Browser().keys
        mine = {"X-Subscriber-Token": "z" * 40}
        cases = {
            "https://attacker.example/collect": "attacker.example",
            "http://fcm.googleapis.com/fcm/send/x": "https",
            "https://user:pw@fcm.googleapis.com/fcm/send/x": "",
            "https://fcm.googleapis.com.attacker.example/x": "attacker",
        }
        for endpoint, said in cases.items():
            response = client.post(
                "/api/v1/traffic/push/subscriptions",
                json={"endpoint": endpoint, "keys": keys},
                headers=mine,
            )
            assert response.status_code == 422, (endpoint, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert said in response.json()["detail"]
        endpoint = f"{push_service.url}/push/refused"
        bad_keys = [
            {**keys, "p256dh": webpush.b64url_encode(b"\x04" + bytes(64))},
            {**keys, "auth": "short"},
            {"p256dh": keys["p256dh"]},
        ]
        for bad in bad_keys:
            response = client.post(
                "/api/v1/traffic/push/subscriptions",
                json={"endpoint": endpoint, "keys": bad},
                headers=mine,
            )
            assert response.status_code == 422, (bad, response.text)
        unknown_field = client.post(
            "/api/v1/traffic/push/subscriptions",
            json={"endpoint": endpoint, "keys": keys, "admin": True},
            headers=mine,
        )
        assert unknown_field.status_code == 422
        assert client.get("/api/v1/traffic/push/subscriptions", headers=mine).json() == []

    def test_a_script_subscribing_in_bulk_is_slowed_down(
        self, database: Database, small_network: Path, client: TestClient, push_service: PushService
    ) -> None:
        mine = {"X-Subscriber-Token": "b" * 40}
        answers = [
            client.post(
                "/api/v1/traffic/push/subscriptions",
                json={"endpoint": f"{push_service.url}/push/bulk-{n}", "keys": Browser().keys},
                headers=mine,
            )
            for n in range(SUBSCRIPTIONS_PER_MINUTE + 1)
        ]
        assert [a.status_code for a in answers[:-1]] == [201] * SUBSCRIPTIONS_PER_MINUTE
        assert answers[-1].status_code == 429
        assert int(answers[-1].headers["retry-after"]) >= 1
        listed = client.get("/api/v1/traffic/push/subscriptions", headers=mine).json()
        assert len(listed) == SUBSCRIPTIONS_PER_MINUTE

    def test_a_server_without_push_says_so(
        self, client: TestClient, push_service: PushService, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "webpush_enabled", False)
        assert client.get("/api/v1/traffic/push").json() == {
            "enabled": False,
            "application_server_key": None,
        }
        response = client.post(
            "/api/v1/traffic/push/subscriptions",
            json={"endpoint": f"{push_service.url}/push/off", "keys": Browser().keys},
            headers={"X-Subscriber-Token": "w" * 40},
        )
        assert response.status_code == 409
        assert response.json()["code"] == "push_not_configured"


class TestDelivery:
    def test_a_jam_on_a_saved_route_reaches_the_browser_then_its_clearing(
        self,
        database: Database,
        small_network: Path,
        client: TestClient,
        push_service: PushService,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(push_module, "RETRY_BASE_S", 0.0)
        traffic.reset()
        arcs = stretch(database, 61)
        segments = segments_of(database, arcs)
        saved = client.post(
            "/api/v1/traffic/subscriptions",
            json={"name": "Nhà → cơ quan", "kind": "route", "segments": segments},
        )
        assert saved.status_code == 201, saved.text
        mine = {"X-Subscriber-Token": saved.json()["subscriber_token"]}
        browser, other = Browser(), Browser()
        path = f"/push/jam-{time.time_ns()}"
        _subscribe(client, push_service.url + path, browser, mine)
        # a browser of someone without saved places hears nothing
        _subscribe(client, f"{push_service.url}/push/other-{time.time_ns()}", other,
                   {"X-Subscriber-Token": "v" * 40})  # fmt: skip
        push_service.answers[path] = [503]  # the push service is busy at first

        monkeypatch.setattr(push_module.push_worker, "interval_s", 0.2)
        background.start(database)  # the real wiring: publisher → jam detector → push worker
        try:
            points = crawl(database, arcs, vehicle="push-crawl", seed=61)
            client.post("/api/v1/traffic/probes", json={"points": points},
                        headers={"X-API-Key": api_key(database, "traffic:ingest")})  # fmt: skip
            first, retried = push_service.wait_for(2)[:2]
            assert first.path == retried.path == path  # 503, then again: 201
            note = browser.read(retried.body)
            jam_id = note["alert_id"]
            assert note["title"].startswith("Kẹt xe")
            assert "Nhà → cơ quan" in note["body"]
            assert note["tag"] == f"traffic-alert-{jam_id}"
            assert note["url"] == "/traffic#alerts"
            assert note["status"] == "active"
            with pytest.raises(Exception):  # noqa: B017, PT011 (encrypted for another browser)
                other.read(retried.body)
            headers = {k.lower(): v for k, v in retried.headers.items()}
            assert headers["content-encoding"] == "aes128gcm"
            assert headers["urgency"] == "high"
            assert int(headers["ttl"]) == get_settings().webpush_ttl_s
            assert headers["topic"] == f"alert{jam_id}"
            token = headers["authorization"].split("t=")[1].split(",")[0]
            server_key = client.get("/api/v1/traffic/push").json()["application_server_key"]
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), webpush.b64url_decode(server_key)
            )
            jwt.decode(token, public, algorithms=["ES256"], audience=push_service.url)

            # an hour later the stretch is clear: the same notification says so
            traffic.stop_publisher()  # the detector runs here, on a clock an hour ahead
            with database.session() as session:
                alerts.detect_jams(session, now=time.time() + 3600)
            cleared = push_service.wait_for(3)[2]
            note = browser.read(cleared.body)
            assert note["status"] == "cleared"
            assert note["title"].startswith("Hết kẹt xe")
            assert note["tag"] == f"traffic-alert-{jam_id}"
            assert {r.path for r in push_service.received} == {path}
        finally:
            background.stop()
        with database.session() as session:
            states = {
                (d.alert_status, d.state, d.attempts)
                for d in session.scalars(
                    select(PushDelivery).where(PushDelivery.alert_id == jam_id)
                )
            }
        assert states == {("active", "sent", 2), ("cleared", "sent", 1)}

    def test_a_subscription_the_push_service_says_is_gone_is_forgotten(
        self, database: Database, small_network: Path, client: TestClient, push_service: PushService
    ) -> None:
        traffic.reset()
        arcs = stretch(database, 67)
        segments = segments_of(database, arcs)
        saved = client.post(
            "/api/v1/traffic/subscriptions",
            json={"name": "Trường của con", "kind": "route", "segments": segments},
        )
        mine = {"X-Subscriber-Token": saved.json()["subscriber_token"]}
        path = f"/push/gone-{time.time_ns()}"
        _subscribe(client, push_service.url + path, Browser(), mine)
        push_service.answers[path] = [410]
        points = crawl(database, arcs, vehicle="push-gone", seed=67)
        client.post("/api/v1/traffic/probes", json={"points": points},
                    headers={"X-API-Key": api_key(database, "traffic:ingest")})  # fmt: skip
        with database.session() as session:
            jam = next(a for a in alerts.detect_jams(session) if set(a.segments) & set(segments))
            payload = AlertOut.model_validate(jam).model_dump(mode="json")
        with database.session() as session:
            assert push.on_alert_changed(session, payload) == 1
            assert push.on_alert_changed(session, payload) == 0  # the same event again
        assert push.deliver_due(database) == 0
        assert push_service.wait_for(1)[0].path == path
        assert client.get("/api/v1/traffic/push/subscriptions", headers=mine).json() == []

    def test_an_alert_reads_only_the_saved_places_within_its_reach(
        self, database: Database, small_network: Path, client: TestClient, push_service: PushService
    ) -> None:
        traffic.reset()
        arcs = stretch(database, 71)
        mine = set(segments_of(database, arcs))
        points = crawl(database, arcs, vehicle="push-near", seed=71)
        client.post("/api/v1/traffic/probes", json={"points": points},
                    headers={"X-API-Key": api_key(database, "traffic:ingest")})  # fmt: skip
        with database.session() as session:
            jam = next(a for a in alerts.detect_jams(session) if set(a.segments) & mine)
            alert = AlertOut.model_validate(jam)
        # places with a 300 m radius beyond the jam's easternmost and northernmost points:
        # 270 m east and 298 m north (hit, their boxes only just overlapping the jam's), and
        # 3 km east (not)
        with database.session() as session:
            graph = traffic.state(session).index.graph
            vertices = [v for s in alert.segments for v in graph.segment_geometry(s).tolist()]
        east_lon, east_lat = max(vertices)
        north_lon, north_lat = max(vertices, key=lambda v: v[1])
        lon_m = 111_320 * math.cos(math.radians(10.78))  # the local metres matching uses
        lat_m = 110_574
        places = {
            "Gần": (east_lon + 270 / lon_m, east_lat),
            "Sát": (north_lon, north_lat + 298 / lat_m),
            "Xa": (east_lon + 3000 / lon_m, east_lat),
        }
        owners: dict[str, int] = {}
        for name, (lon, lat) in places.items():
            token = name.encode().hex().ljust(40, "0")
            headers = {"X-Subscriber-Token": token}
            saved = client.post(
                "/api/v1/traffic/subscriptions",
                json={"name": name, "kind": "place", "coordinates": [[lon, lat]],
                      "radius_m": 300},
                headers=headers,
            )  # fmt: skip
            assert saved.status_code == 201, saved.text
            _subscribe(client, f"{push_service.url}/push/{token}", Browser(), headers)
            owners[name] = saved.json()["id"]
        box = (alert.min_lon, alert.min_lat, alert.max_lon, alert.max_lat)
        with database.session() as session:
            read = {p.id for p in repository.saved_places_of_push_owners(session, box)}
            assert read & set(owners.values()) == {owners["Gần"], owners["Sát"]}
            queued = push.on_alert_changed(session, alert.model_dump(mode="json"))
            queued_for = select(PushDelivery).where(PushDelivery.alert_id == alert.id)
            names = [d.payload["places"] for d in session.scalars(queued_for)]
        assert queued == 2
        assert sorted(names) == [["Gần"], ["Sát"]]


def test_b64url_round_trip() -> None:
    data = os.urandom(33)
    assert webpush.b64url_decode(webpush.b64url_encode(data)) == data
    assert "=" not in webpush.b64url_encode(data)
    assert base64.urlsafe_b64decode(webpush.b64url_encode(data) + "=" * 2) == data
