"""Reports through the real app: intake, routing, duplicates, officer scope, bad input."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartcity.core.db import Database
from smartcity.core.models import AuditEntry, Role, User
from smartcity.reports.models import OutboxMessage, Report, ReportEvent, WardStats

from .conftest import BEN_THANH, NEAR_BEN_THANH, THU_DUC, jpeg_bytes


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _report(client: TestClient, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "category": "roads",
        "lon": BEN_THANH[0],
        "lat": BEN_THANH[1],
        "description": "Ổ gà lớn trước chợ Bến Thành",
        "contact_email": "lan@example.vn",
    }
    body.update(overrides)
    response = client.post("/api/v1/reports", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestCreate:
    def test_routes_to_ward_and_agency_with_deadline(
        self, client: TestClient, wards: dict[str, int], database: Database
    ) -> None:
        created = _report(client)
        assert created["ward_code"] == wards["ben_thanh"]
        assert created["agency_code"] == "SXD"  # roads → Department of Construction
        assert created["status"] == "received"
        assert created["reporter_key"]
        noise = _report(client, category="noise", description="Karaoke sau 22 giờ")
        assert noise["agency_code"] == f"UBND-{wards['ben_thanh']}"
        assert [e["kind"] for e in created["timeline"]] == ["received"]  # type: ignore[index]
        with database.session() as session:
            received = session.scalar(
                select(func.sum(WardStats.received)).where(
                    WardStats.ward_code == wards["ben_thanh"]
                )
            )
        assert (received or 0) >= 2

    def test_multipart_with_photos_and_flood_fields(
        self, client: TestClient, wards: dict[str, int]
    ) -> None:
        response = client.post(
            "/api/v1/reports",
            data={
                "category": "flooding",
                "lon": str(BEN_THANH[0]),
                "lat": str(BEN_THANH[1]),
                "description": "Nước ngập tới đầu gối",
                "water_depth_level": "knee",
            },
            files=[("photos", ("a.jpg", jpeg_bytes(), "image/jpeg"))],
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["agency_code"] == "CTTN"
        assert body["fields"] == {"water_depth_cm": 45, "water_depth_level": "knee"}
        assert len(body["photos"]) == 1
        assert client.get(f"/files/{body['photos'][0]}").status_code == 200

    def test_events_published_after_commit(self, client: TestClient, wards: dict[str, int]) -> None:
        from smartcity.core.events import DomainEvent, get_bus

        seen: list[DomainEvent] = []
        unsubscribe = get_bus().subscribe("report.created", seen.append)
        try:
            created = _report(
                client,
                category="traffic",
                fields={"jam_severity": "standstill", "blocked_lanes": 2},
            )
        finally:
            unsubscribe()
        assert seen[-1].payload["report_id"] == created["id"]
        assert seen[-1].payload["fields"] == {"jam_severity": "standstill", "blocked_lanes": 2}
        assert seen[-1].payload["ward_code"] == wards["ben_thanh"]


class TestBadInput:
    def test_empty_description_outside_city_and_unknown_category(
        self, client: TestClient, wards: dict[str, int], database: Database
    ) -> None:
        before = _count(database, Report)
        base = {"category": "roads", "lon": BEN_THANH[0], "lat": BEN_THANH[1]}
        assert (
            client.post("/api/v1/reports", json={**base, "description": "   "}).status_code == 422
        )
        outside = client.post(
            "/api/v1/reports", json={**base, "lon": 105.0, "lat": 21.0, "description": "Hà Nội"}
        )
        assert outside.status_code == 422
        assert outside.json()["code"] == "outside_city"
        abroad = client.post(
            "/api/v1/reports", json={**base, "lon": 2.35, "lat": 48.85, "description": "x"}
        )
        assert abroad.status_code == 422
        unknown = client.post(
            "/api/v1/reports", json={**base, "category": "ufo", "description": "x"}
        )
        assert unknown.status_code == 422
        assert unknown.json()["code"] == "category_not_found"
        assert _count(database, Report) == before

    def test_big_photo_and_pdf_renamed_jpg_save_nothing(
        self, client: TestClient, wards: dict[str, int], database: Database
    ) -> None:
        before = (_count(database, Report), _count(database, ReportEvent))
        form = {
            "category": "roads",
            "lon": str(BEN_THANH[0]),
            "lat": str(BEN_THANH[1]),
            "description": "Ổ gà",
        }
        huge = client.post(
            "/api/v1/reports",
            data=form,
            files=[
                ("photos", ("big.jpg", b"\xff\xd8\xff" + b"\0" * (30 * 1024 * 1024), "image/jpeg"))
            ],
        )
        assert huge.status_code == 413
        pdf = client.post(
            "/api/v1/reports",
            data=form,
            files=[
                ("photos", ("ok.jpg", jpeg_bytes(), "image/jpeg")),
                ("photos", ("fake.jpg", b"%PDF-1.7\n1 0 obj<<>>endobj\n", "image/jpeg")),
            ],
        )
        assert pdf.status_code == 415, pdf.text
        assert pdf.headers["content-type"].startswith("application/problem+json")
        assert (_count(database, Report), _count(database, ReportEvent)) == before

    def test_script_tags_are_stored_and_shown_escaped(
        self, client: TestClient, wards: dict[str, int]
    ) -> None:
        text = '<script>alert("x")</script> ổ gà'
        created = _report(client, description=text)
        assert client.get(f"/api/v1/reports/{created['id']}").json()["description"] == text
        page = client.get(f"/reports/{created['id']}")
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert" in page.text

    def test_hundred_reports_a_minute_are_rate_limited(
        self, client: TestClient, wards: dict[str, int], database: Database
    ) -> None:
        before = _count(database, Report)
        statuses = []
        for n in range(100):
            response = client.post(
                "/api/v1/reports",
                json={
                    "category": "rubbish",
                    "lon": BEN_THANH[0],
                    "lat": BEN_THANH[1],
                    "description": f"Rác {n}",
                },
            )
            statuses.append(response.status_code)
        assert statuses[:20] == [201] * 20
        assert set(statuses[20:]) == {429}
        last = response
        assert int(last.headers["Retry-After"]) >= 1
        assert last.json()["code"] == "too_many_requests"
        assert _count(database, Report) == before + 20

    def test_replayed_idempotency_key_creates_nothing_new(
        self, client: TestClient, wards: dict[str, int], database: Database
    ) -> None:
        body = {
            "category": "lighting",
            "lon": BEN_THANH[0],
            "lat": BEN_THANH[1],
            "description": "Đèn tắt",
        }
        headers = {"Idempotency-Key": "report-lighting-1"}
        first = client.post("/api/v1/reports", json=body, headers=headers)
        count = _count(database, Report)
        again = client.post("/api/v1/reports", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert _count(database, Report) == count
        other = client.post(
            "/api/v1/reports", json={**body, "description": "khác"}, headers=headers
        )
        assert other.status_code == 409


class TestDuplicates:
    def test_nearby_open_report_is_offered_and_support_subscribes(
        self,
        client: TestClient,
        wards: dict[str, int],
        make_user: Callable[..., User],
        bearer: Callable[[User], dict[str, str]],
    ) -> None:
        created = _report(client, category="trees", description="Cây ngã chắn đường")
        found = client.get(
            "/api/v1/reports/nearby",
            params={"category": "trees", "lon": NEAR_BEN_THANH[0], "lat": NEAR_BEN_THANH[1]},
        ).json()
        assert created["id"] in [r["id"] for r in found]
        assert 0 < next(r for r in found if r["id"] == created["id"])["distance_m"] < 150
        far = client.get(
            "/api/v1/reports/nearby",
            params={"category": "trees", "lon": THU_DUC[0], "lat": THU_DUC[1]},
        ).json()
        assert created["id"] not in [r["id"] for r in far]
        citizen = make_user()
        headers = bearer(citizen)
        joined = client.post(f"/api/v1/reports/{created['id']}/support", headers=headers)
        assert joined.json()["supporters"] == 1
        again = client.post(f"/api/v1/reports/{created['id']}/support", headers=headers)
        assert again.json()["supporters"] == 1  # supporting twice changes nothing


class TestOfficers:
    def test_officer_sees_and_acts_only_on_own_ward_and_agency(
        self,
        client: TestClient,
        wards: dict[str, int],
        make_user: Callable[..., User],
        bearer: Callable[[User], dict[str, str]],
        database: Database,
    ) -> None:
        mine = _report(client, category="noise", description="Karaoke")
        theirs = _report(client, category="noise", lon=THU_DUC[0], lat=THU_DUC[1], description="Ồn")
        officer = make_user(
            Role.officer, agency_code=f"UBND-{wards['ben_thanh']}", ward_codes=[wards["ben_thanh"]]
        )
        headers = bearer(officer)
        queue = [r["id"] for r in client.get("/api/v1/reports/queue", headers=headers).json()]
        assert mine["id"] in queue
        assert theirs["id"] not in queue
        audit_before = _count(database, AuditEntry)
        refused = client.post(
            f"/api/v1/reports/{theirs['id']}/actions", json={"action": "accept"}, headers=headers
        )
        assert refused.status_code == 403
        assert refused.json()["code"] == "outside_officer_scope"
        bulk = client.post(
            "/api/v1/reports/actions/bulk",
            json={"report_ids": [mine["id"], theirs["id"]], "action": "accept"},
            headers=headers,
        )
        assert bulk.status_code == 403
        assert client.get(f"/api/v1/reports/{mine['id']}").json()["status"] == "received"
        assert _count(database, AuditEntry) == audit_before
        # A city agency officer (roads → SXD) cannot act on the ward's noise report either.
        sxd = make_user(Role.officer, agency_code="SXD", ward_codes=[wards["ben_thanh"]])
        assert (
            client.post(
                f"/api/v1/reports/{mine['id']}/actions",
                json={"action": "accept"},
                headers=bearer(sxd),
            ).status_code
            == 403
        )

    def test_workflow_is_audited_notifies_and_counts(
        self,
        client: TestClient,
        wards: dict[str, int],
        make_user: Callable[..., User],
        bearer: Callable[[User], dict[str, str]],
        database: Database,
    ) -> None:
        citizen = make_user()
        mine = client.post(
            "/api/v1/reports",
            json={
                "category": "encroachment",
                "lon": BEN_THANH[0],
                "lat": BEN_THANH[1],
                "description": "Quán lấn chiếm vỉa hè",
                "contact_email": "x@example.vn",
            },
            headers=bearer(citizen),
        ).json()
        officer = make_user(
            Role.officer, agency_code=f"UBND-{wards['ben_thanh']}", ward_codes=[wards["ben_thanh"]]
        )
        headers = bearer(officer)
        outbox_before = _count(database, OutboxMessage)
        for action in (
            {"action": "accept"},
            {"action": "start"},
            {"action": "resolve", "note": "Đã lập biên bản, dọn dẹp vỉa hè."},
        ):
            response = client.post(
                f"/api/v1/reports/{mine['id']}/actions", json=action, headers=headers
            )
            assert response.status_code == 200, response.text
        done = client.get(f"/api/v1/reports/{mine['id']}").json()
        assert done["status"] == "resolved"
        assert done["answer"] == "Đã lập biên bản, dọn dẹp vỉa hè."
        assert [e["kind"] for e in done["timeline"]] == [
            "received",
            "assigned",
            "in_progress",
            "resolved",
        ]
        assert _count(database, OutboxMessage) == outbox_before + 3
        with database.session() as session:
            actions = session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.entity_type == "report", AuditEntry.entity_id == str(mine["id"])
                )
            ).all()
        assert {"report.created", "report.accept", "report.start", "report.resolve"} <= set(actions)
        again = client.post(
            f"/api/v1/reports/{mine['id']}/actions",
            json={"action": "reject", "note": "x"},
            headers=headers,
        )
        assert again.status_code == 409
        # The reporter rates the answer; someone else cannot.
        other = make_user()
        assert (
            client.post(
                f"/api/v1/reports/{mine['id']}/rating", json={"rating": 1}, headers=bearer(other)
            ).status_code
            == 403
        )
        rated = client.post(
            f"/api/v1/reports/{mine['id']}/rating",
            json={"rating": 4, "comment": "Nhanh"},
            headers=bearer(citizen),
        )
        assert rated.json()["rating"] == 4
        stats = client.get("/api/v1/reports/stats", params={"ward": wards["ben_thanh"]}).json()
        assert stats[0]["closed"] >= 1
        assert stats[0]["rated"] >= 1
        # The stream replays the reporter's notifications.
        with client.stream(
            "GET",
            "/api/v1/reports/notifications/stream",
            params={"seconds": 1},
            headers=bearer(citizen),
        ) as stream:
            body = "".join(stream.iter_text())
        assert f"Phản ánh #{mine['id']} đã được xử lý" in body
        # Reopen once, not twice.
        reopened = client.post(
            f"/api/v1/reports/{mine['id']}/reopen",
            json={"reason": "Quán lại bày ra"},
            headers=bearer(citizen),
        )
        assert reopened.json()["status"] == "in_progress"
        client.post(
            f"/api/v1/reports/{mine['id']}/actions",
            json={"action": "resolve", "note": "Đã xử lý lại."},
            headers=headers,
        )
        twice = client.post(
            f"/api/v1/reports/{mine['id']}/reopen", json={"reason": "x"}, headers=bearer(citizen)
        )
        assert twice.status_code == 409
