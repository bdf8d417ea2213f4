"""Signed electronic results: a PDF with a QR code to ``/verify/{code}``, signed with the
platform's Ed25519 key.

The key lives under ``var/keys`` (path configurable) and is generated on first use.  The
signature covers the exact PDF bytes, so any change to the file — one byte — makes
:func:`verify` fail; the verify record keeps the signature, the key id and the public key.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fpdf import FPDF

from smartcity.config import get_settings
from smartcity.core import keyfile
from smartcity.core.clock import to_local

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    key_id: str
    public_b64: str


@lru_cache(maxsize=4)
def _signing_key(path: Path) -> SigningKey:
    private = keyfile.load_or_create(path, Ed25519PrivateKey.generate, Ed25519PrivateKey)
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return SigningKey(
        private=private,
        key_id=hashlib.sha256(raw).hexdigest()[:16],
        public_b64=base64.b64encode(raw).decode(),
    )


def signing_key() -> SigningKey:
    return _signing_key(get_settings().signing_key_path)


def sign(data: bytes) -> str:
    return base64.b64encode(signing_key().private.sign(data)).decode()


def verify(data: bytes, signature_b64: str, public_b64: str) -> bool:
    """True iff ``signature_b64`` is the signature of exactly ``data`` by that key."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        public.verify(base64.b64decode(signature_b64), data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class ResultDocument:
    dossier_code: str
    verify_code: str
    verify_url: str
    procedure_name: str
    result_type: str
    unit_name: str
    applicant_name: str
    details: list[tuple[str, str]]
    issued_at: datetime


def render_pdf(document: ResultDocument) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creator("HCMC Smart City Platform")
    pdf.set_title(f"{document.result_type} - {document.dossier_code}")
    # A fixed creation date keeps the bytes a function of the content.
    pdf.set_creation_date(document.issued_at)
    pdf.add_font("DejaVu", "", str(_FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, document.unit_name, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, document.result_type.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    rows = [
        ("Thủ tục", document.procedure_name),
        ("Mã hồ sơ", document.dossier_code),
        ("Người nộp", document.applicant_name),
        *document.details,
        ("Ngày cấp", to_local(document.issued_at).strftime("%d/%m/%Y %H:%M")),
    ]
    for label, value in rows:
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(55, 7, f"{label}:")
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    qr = segno.make(document.verify_url, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=6, border=2)
    png.seek(0)
    y = pdf.get_y()
    pdf.image(png, x=pdf.l_margin, y=y, w=40, h=40)
    pdf.set_xy(pdf.l_margin + 45, y + 4)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        "Kết quả điện tử được ký số bởi Nền tảng thành phố thông minh TP.HCM.\n"
        f"Quét mã QR hoặc mở {document.verify_url} để kiểm tra tính xác thực.\n"
        f"Mã kiểm tra: {document.verify_code}",
    )
    return bytes(pdf.output())
