"""Every verify code the platform issues opens its page (codes may contain '_' and '-')."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_verify_page_accepts_every_issuable_code_shape(client: TestClient) -> None:
    # secrets.token_urlsafe draws from A–Z a–z 0–9 '_' '-': an unknown code is a 404, not a 422.
    for code in ("Db_Ds0F39fU3", "ab-CD_ef-123", "ZZZZZZZZZZZZ"):
        page = client.get(f"/verify/{code}", headers={"Accept": "text/html"})
        assert page.status_code == 404, (code, page.status_code)
        api = client.get(f"/api/v1/verify/{code}")
        assert api.status_code == 404, (code, api.status_code)
