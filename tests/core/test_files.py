"""Uploads: type by magic bytes, size limit, EXIF removed, content addressed."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (10.0, 46.0, 30.0)}  # GPS latitude: where the citizen stood
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_stored_without_exif(client: TestClient) -> None:
    original = _jpeg_with_exif()
    assert b"SecretCam" in original
    response = client.post("/api/v1/files", files={"file": ("street.jpg", original, "image/jpeg")})
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["content_type"] == "image/jpeg"
    download = client.get(stored["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/jpeg"
    assert b"SecretCam" not in download.content
    assert not Image.open(io.BytesIO(download.content)).getexif()


def test_same_content_is_stored_once(client: TestClient) -> None:
    image = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(image, "PNG")
    first = client.post("/api/v1/files", files={"file": ("a.png", image.getvalue(), "image/png")})
    second = client.post("/api/v1/files", files={"file": ("b.png", image.getvalue(), "image/png")})
    assert first.json()["sha256"] == second.json()["sha256"]


def test_text_renamed_to_jpg_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/files", files={"file": ("photo.jpg", b"#!/bin/sh\nrm -rf /\n", "image/jpeg")}
    )
    assert response.status_code == 415
    problem = response.json()
    assert problem["code"] == "unsupported_media_type"
    assert "jpg" in problem["detail"]


def test_truncated_image_is_refused(client: TestClient) -> None:
    broken = _jpeg_with_exif()[:200]
    response = client.post("/api/v1/files", files={"file": ("x.jpg", broken, "image/jpeg")})
    assert response.status_code == 415


def test_pdf_is_accepted_as_document(client: TestClient) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = client.post("/api/v1/files", files={"file": ("giay-to.pdf", pdf, "application/pdf")})
    assert response.status_code == 201
    assert response.json()["content_type"] == "application/pdf"


def test_oversized_body_is_refused_with_413(client: TestClient) -> None:
    big = b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024)
    response = client.post("/api/v1/files", files={"file": ("big.jpg", big, "image/jpeg")})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_file_is_404(client: TestClient) -> None:
    assert client.get("/files/" + "0" * 64).status_code == 404
    assert client.get("/files/not-a-hash").status_code == 422
