"""Fee payment: the VietQR (EMVCo) code carrying the dossier code, and the bank's signed
notification.

A notification is ``POST /api/v1/payments/webhook`` with the JSON body
``{"transaction_id", "amount", "reference", "paid_at"}``, a header ``X-Timestamp`` (Unix
seconds) and ``X-Signature: sha256=<hex>`` = HMAC-SHA256(secret, ``"<timestamp>.<raw body>"``).
A timestamp outside the tolerance window is refused, so a captured request cannot be
replayed later; inside the window the bank's transaction id makes a repeat a no-op.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from vietnam_qr_pay import QRPay

from smartcity.config import get_settings

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
#: The dossier code is carried after this prefix in the purpose field (62.08).
PURPOSE_PREFIX = "HS "
_DOSSIER_CODE = re.compile(r"[0-9A-Za-z.]+-\d{6}-\d{3,6}")


def payment_code(dossier_code: str, amount_vnd: int) -> str:
    """The VietQR payload a banking app scans: collecting account, amount, dossier code."""
    settings = get_settings()
    qr = QRPay.init_viet_qr(
        bank_bin=settings.payment_bank_bin,
        bank_number=settings.payment_account,
        amount=str(amount_vnd),
        purpose=f"{PURPOSE_PREFIX}{dossier_code}",
    )
    qr.additional_data.bill_number = dossier_code
    return str(qr.build())


def parse_payment_code(payload: str) -> QRPay:
    return QRPay(payload)


def dossier_code_in(reference: str) -> str | None:
    """The dossier code inside a transfer's free-text reference (banks often add noise)."""
    match = _DOSSIER_CODE.search(reference)
    return match.group(0) if match else None


def signature_for(timestamp: str, body: bytes, secret: str | None = None) -> str:
    key = (secret or get_settings().payment_webhook_secret).encode()
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_ok(timestamp: str | None, signature: str | None, body: bytes) -> bool:
    if not timestamp or not signature:
        return False
    return hmac.compare_digest(signature_for(timestamp, body), signature)


def timestamp_fresh(timestamp: str, *, now: float | None = None) -> bool:
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    moment = time.time() if now is None else now
    return abs(moment - sent) <= get_settings().payment_webhook_tolerance_seconds
