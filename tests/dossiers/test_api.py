"""The public-services API through the real app: the whole lifecycle and every bad input."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from dossiers.conftest import CCCD, PHONE, WARD, birth_form, notify, upload
from smartcity.dossiers.payments import parse_payment_code


def test_catalogue_search_is_accent_insensitive_and_by_life_event(client: TestClient) -> None:
    found = client.get("/api/v1/procedures", params={"q": "khai sinh"}).json()
    codes = {p["code"] for p in found["items"]}
    assert "HCM.HT.01" in codes
    assert {
        p["code"] for p in client.get("/api/v1/procedures?q=KHAI SINH").json()["items"]
    } == codes
    births = client.get("/api/v1/procedures", params={"life_event": "birth"}).json()["items"]
    assert births
    assert all(p["life_event"] == "birth" for p in births)
    assert client.get("/api/v1/procedures?limit=100").json()["total"] >= 25


def test_full_lifecycle_with_payment_supplement_and_signed_result(
    client: TestClient,
    citizen: dict[str, str],
    officer: dict[str, str],
    file_birth: Callable[..., dict[str, Any]],
) -> None:
    dossier = file_birth()
    code = dossier["code"]
    assert code.startswith(f"{WARD}-")
    assert dossier["status"] == 1

    payment = client.get(f"/api/v1/dossiers/{code}/payment", headers=citizen).json()
    qr = parse_payment_code(payment["qr_payload"])
    assert qr.is_valid
    assert qr.amount == "8000"
    assert code in qr.additional_data.purpose

    paid = notify(client, reference=payment["purpose"], amount=8000)
    assert paid.status_code == 200
    assert paid.json()["outcome"] == "paid"

    def act(action: str, note: str | None = None) -> dict[str, Any]:
        response = client.post(
            f"/api/v1/dossiers/{code}/actions/{action}", json={"note": note}, headers=officer
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    accepted = act("accept")
    assert accepted["status"] == 2
    assert accepted["due_at"] is not None
    act("start")
    assert act("request-supplement", "Thiếu bản chụp CCCD của mẹ")["status"] == 5
    sha = upload(client, citizen, b"%PDF-1.4 cccd me\n%%EOF").json()["sha256"]
    answered = client.post(
        f"/api/v1/dossiers/{code}/supplement",
        json={"note": "Đã bổ sung", "attachments": [sha]},
        headers=citizen,
    )
    assert answered.status_code == 200
    assert answered.json()["status"] == 4
    done = act("approve")
    assert done["status"] == 9
    assert done["result_verify_code"]
    assert act("return")["status"] == 10

    pdf = client.get(f"/api/v1/dossiers/{code}/result.pdf", headers=citizen)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    verify_code = done["result_verify_code"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert code in text
    assert verify_code in text

    ok = client.post(f"/api/v1/verify/{verify_code}", files={"file": ("r.pdf", pdf.content)})
    assert ok.json()["authentic"] is True
    tampered = bytearray(pdf.content)
    tampered[len(tampered) // 2] ^= 0x01
    bad = client.post(f"/api/v1/verify/{verify_code}", files={"file": ("r.pdf", bytes(tampered))})
    assert bad.json()["authentic"] is False

    timeline = client.get(f"/api/v1/dossiers/{code}", headers=citizen).json()["timeline"]
    assert [e["to_status"] for e in timeline] == [1, 1, 2, 4, 5, 4, 9, 10]
    rated = client.post(f"/api/v1/dossiers/{code}/rating", json={"score": 5}, headers=citizen)
    assert rated.status_code == 200

    status = client.get("/api/v1/dossiers/lookup", params={"code": code, "phone": "+84912345678"})
    assert status.status_code == 200
    assert status.json()["status"] == 10
    assert "applicant_name" not in status.json()
    wrong = client.get("/api/v1/dossiers/lookup", params={"code": code, "phone": "0987654321"})
    assert wrong.status_code == 404

    index = client.get("/api/v1/dossiers/quality", params={"unit": str(WARD)}).json()
    row = index["units"][0]
    assert row["unit_code"] == str(WARD)
    assert row["received"] >= 1
    assert row["on_time"] >= 1
    assert row["online_payment_rate"] is not None
    csv = client.get("/api/v1/dossiers/quality.csv")
    assert csv.status_code == 200
    assert csv.text.splitlines()[0].startswith("start,end,unit_code")


def test_malformed_id_number_and_schema_violation_are_422_and_create_nothing(
    client: TestClient, citizen: dict[str, str]
) -> None:
    sha = upload(client, citizen).json()["sha256"]
    base = {
        "procedure_code": "HCM.HT.01",
        "ward_code": WARD,
        "applicant_name": "Trần Thị Bình",
        "applicant_id_number": CCCD,
        "applicant_phone": PHONE,
        "form": birth_form(),
        "attachments": [sha],
    }
    before = client.get("/api/v1/dossiers/queue", headers=citizen)
    assert before.status_code == 403
    bad_id = client.post(
        "/api/v1/dossiers", json=base | {"applicant_id_number": "00312345678"}, headers=citizen
    )
    assert bad_id.status_code == 422
    assert bad_id.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"] == "applicant_id_number" for e in bad_id.json()["errors"])
    bad_form = client.post(
        "/api/v1/dossiers",
        json=base | {"form": birth_form(child_sex="X", child_birth_date="hôm qua", extra=1)},
        headers=citizen,
    )
    assert bad_form.status_code == 422
    fields = {e["field"] for e in bad_form.json()["errors"]}
    assert "form.child_sex" in fields
    assert "form.child_birth_date" in fields
    missing = client.post(
        "/api/v1/dossiers", json=base | {"form": {"child_name": "An"}}, headers=citizen
    )
    assert missing.status_code == 422


def test_executable_renamed_pdf_is_refused(client: TestClient, citizen: dict[str, str]) -> None:
    response = upload(client, citizen, b"MZ\x90\x00\x03" + b"\x00" * 200, "giay-to.pdf")
    assert response.status_code == 415
    elf = upload(client, citizen, b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "scan.pdf")
    assert elf.status_code == 415


def test_webhook_wrong_signature_stale_replay_mismatch_and_double_payment(
    client: TestClient,
    citizen: dict[str, str],
    officer: dict[str, str],
    file_birth: Callable[..., dict[str, Any]],
) -> None:
    code = file_birth()["code"]
    reference = f"HS {code}"
    forged = notify(client, reference=reference, amount=8000, secret="not-the-bank-secret-x")
    assert forged.status_code == 401
    assert forged.json()["code"] == "webhook_rejected"
    stale = notify(client, reference=reference, amount=8000, timestamp=1_000_000_000)
    assert stale.status_code == 401

    short = notify(client, reference=reference, amount=5000, transaction_id="FT-SHORT-1")
    assert short.status_code == 200
    assert short.json()["outcome"] == "flagged_amount"
    payment = client.get(f"/api/v1/dossiers/{code}/payment", headers=citizen).json()
    assert payment["paid"] is False

    first = notify(client, reference=reference, amount=8000, transaction_id="FT-OK-1")
    assert first.json()["outcome"] == "paid"
    replay = notify(client, reference=reference, amount=8000, transaction_id="FT-OK-1")
    assert replay.status_code == 409
    assert replay.json()["code"] == "webhook_replayed"
    double = notify(client, reference=reference, amount=8000, transaction_id="FT-OK-2")
    assert double.status_code == 409
    assert double.json()["code"] == "already_paid"
    # The flagged duplicate was kept (to refund) even though the request failed.
    again = notify(client, reference=reference, amount=8000, transaction_id="FT-OK-2")
    assert again.status_code == 409
    assert again.json()["outcome"] == "flagged_duplicate"


def test_officer_outside_unit_and_illegal_transition(
    client: TestClient,
    officer: dict[str, str],
    other_officer: dict[str, str],
    citizen: dict[str, str],
    file_birth: Callable[..., dict[str, Any]],
) -> None:
    code = file_birth()["code"]
    outside = client.post(f"/api/v1/dossiers/{code}/actions/accept", headers=other_officer)
    assert outside.status_code == 403
    assert outside.json()["code"] == "not_your_unit"
    assert client.get(f"/api/v1/dossiers/{code}", headers=other_officer).status_code == 403
    queue = client.get("/api/v1/dossiers/queue", headers=other_officer).json()
    assert code not in {d["code"] for d in queue}
    assert code in {d["code"] for d in client.get("/api/v1/dossiers/queue", headers=officer).json()}

    jump = client.post(f"/api/v1/dossiers/{code}/actions/approve", headers=officer)
    assert jump.status_code == 409
    assert jump.headers["content-type"].startswith("application/problem+json")
    assert jump.json()["code"] == "illegal_transition"
    by_citizen = client.post(f"/api/v1/dossiers/{code}/actions/accept", headers=citizen)
    assert by_citizen.status_code == 403
    assert client.get(f"/api/v1/dossiers/{code}", headers=citizen).json()["status"] == 1


def test_transfer_routes_to_another_ward_and_apology_keeps_original_due(
    client: TestClient,
    officer: dict[str, str],
    other_officer: dict[str, str],
    file_birth: Callable[..., dict[str, Any]],
) -> None:
    code = file_birth()["code"]
    moved = client.post(
        f"/api/v1/dossiers/{code}/transfer",
        json={"unit_code": "26743", "note": "Người nộp cư trú tại phường khác"},
        headers=officer,
    )
    assert moved.status_code == 200
    assert moved.json()["unit_code"] == "26743"
    accepted = client.post(f"/api/v1/dossiers/{code}/actions/accept", headers=other_officer).json()
    later = client.post(
        f"/api/v1/dossiers/{code}/apology",
        json={"new_due_date": "2099-01-05", "reason": "Cần xác minh thêm với bệnh viện"},
        headers=other_officer,
    ).json()
    assert later["due_at"] == accepted["due_at"]
    assert later["rescheduled_due_at"].startswith("2099")


def test_catalogue_edit_is_versioned_and_dossier_keeps_its_version(
    client: TestClient,
    make_user: Callable[..., Any],
    bearer: Callable[..., dict[str, str]],
    citizen: dict[str, str],
    file_birth: Callable[..., dict[str, Any]],
) -> None:
    from smartcity.core.models import Role

    admin = bearer(make_user(Role.admin).email)
    code = file_birth()["code"]
    current = client.get("/api/v1/procedures/HCM.HT.01").json()
    fields = {
        k: current[k]
        for k in (
            "name",
            "name_en",
            "national_code",
            "field",
            "life_event",
            "level",
            "agency_code",
            "online_level",
            "legacy_level",
            "duration",
            "duration_unit",
            "cutoff",
            "fee_vnd",
            "documents",
            "form_schema",
            "result_type",
        )
    }
    saved = client.put(
        "/api/v1/procedures/HCM.HT.01", json=fields | {"fee_vnd": 9000}, headers=admin
    )
    assert saved.status_code == 200
    assert saved.json()["version"] == current["version"] + 1
    assert (
        client.put("/api/v1/procedures/HCM.HT.01", json=fields, headers=citizen).status_code == 403
    )
    broken = client.put(
        "/api/v1/procedures/HCM.HT.01",
        json=fields | {"form_schema": {"type": "nope"}},
        headers=admin,
    )
    assert broken.status_code == 422
    mine = client.get(f"/api/v1/dossiers/{code}", headers=citizen).json()
    assert mine["procedure_version"] == current["version"]
    assert mine["fee_vnd"] == 8000
    # Put the fee back so other tests see the seeded catalogue.
    client.put("/api/v1/procedures/HCM.HT.01", json=fields, headers=admin)


def test_idempotent_filing_creates_one_dossier(client: TestClient, citizen: dict[str, str]) -> None:
    sha = upload(client, citizen).json()["sha256"]
    body = {
        "procedure_code": "HCM.HT.01",
        "ward_code": WARD,
        "applicant_name": "Lê Văn Cường",
        "applicant_id_number": CCCD,
        "applicant_phone": PHONE,
        "form": birth_form(),
        "attachments": [sha],
    }
    headers = citizen | {"Idempotency-Key": "khai-sinh-1"}
    first = client.post("/api/v1/dossiers", json=body, headers=headers)
    second = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] == second.json()["code"]
