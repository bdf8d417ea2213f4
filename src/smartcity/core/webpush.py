"""Web Push: message encryption (RFC 8291, ``aes128gcm`` of RFC 8188) and VAPID (RFC 8292).

A browser subscribes with its push service and hands us an endpoint URL and two keys
(``p256dh``: its P-256 public key; ``auth``: a 16-byte secret).  To notify it we encrypt the
payload for those keys and POST it to the endpoint, signed with our VAPID key so the push
service knows who sends.  Domain-free: modules decide who gets what.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from smartcity.core import keyfile

#: Record size announced in the aes128gcm header; one record carries the whole message.
RECORD_SIZE = 4096
#: Push services accept at least 4096 bytes of payload; keep clear of it after padding/tags.
MAX_PAYLOAD_BYTES = 3800
#: How long a VAPID token is valid (RFC 8292 allows at most 24 h).
TOKEN_LIFETIME_S = 12 * 3600

Urgency = Literal["very-low", "low", "normal", "high"]


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _hkdf(secret: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


class InvalidSubscriptionKey(ValueError):
    """The browser's ``p256dh`` or ``auth`` key is not what RFC 8291 requires."""


def check_keys(p256dh: str, auth: str) -> None:
    """Raise :class:`InvalidSubscriptionKey` unless the keys can be encrypted to."""
    try:
        public = b64url_decode(p256dh)
        secret = b64url_decode(auth)
    except (ValueError, TypeError) as exc:
        raise InvalidSubscriptionKey("keys must be base64url") from exc
    if len(secret) != 16:
        raise InvalidSubscriptionKey("auth must be 16 bytes")
    if len(public) != 65 or public[0] != 4:
        raise InvalidSubscriptionKey("p256dh must be an uncompressed P-256 point (65 bytes)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    except ValueError as exc:
        raise InvalidSubscriptionKey("p256dh is not a point on P-256") from exc


def encrypt(payload: bytes, p256dh: str, auth: str, *, salt: bytes | None = None) -> bytes:
    """The message body for one subscription (RFC 8291 §3-4), as a single aes128gcm record."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"push payload is {len(payload)} bytes, more than {MAX_PAYLOAD_BYTES}")
    check_keys(p256dh, auth)
    receiver_bytes = b64url_decode(p256dh)
    receiver = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), receiver_bytes)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    sender_bytes = _public_bytes(ephemeral.public_key())
    shared = ephemeral.exchange(ec.ECDH(), receiver)
    key_info = b"WebPush: info\x00" + receiver_bytes + sender_bytes
    ikm = _hkdf(shared, b64url_decode(auth), key_info, 32)
    salt = salt if salt is not None else os.urandom(16)
    cek = _hkdf(ikm, salt, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(ikm, salt, b"Content-Encoding: nonce\x00", 12)
    record = AESGCM(cek).encrypt(nonce, payload + b"\x02", None)  # 0x02: last record
    header = salt + struct.pack("!IB", RECORD_SIZE, len(sender_bytes)) + sender_bytes
    return header + record


@dataclass(frozen=True)
class VapidKey:
    """The application server's P-256 key pair."""

    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> VapidKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def load_or_create(cls, path: Path) -> VapidKey:
        """The key in the PEM file ``path``, created there on first use."""
        key = keyfile.load_or_create(
            path, lambda: ec.generate_private_key(ec.SECP256R1()), ec.EllipticCurvePrivateKey
        )
        if key.curve.name != "secp256r1":
            raise ValueError(f"{path}: a VAPID key must be on P-256 (prime256v1)")
        return cls(key)

    @property
    def application_server_key(self) -> str:
        """What ``pushManager.subscribe({applicationServerKey})`` takes (base64url point)."""
        return b64url_encode(_public_bytes(self.private_key.public_key()))

    def authorization(self, endpoint: str, subject: str, *, now: float | None = None) -> str:
        """``Authorization: vapid t=<JWT>, k=<public key>`` for ``endpoint`` (RFC 8292 §3)."""
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int((time.time() if now is None else now) + TOKEN_LIFETIME_S),
            "sub": subject,
        }
        header = b64url_encode(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
        body = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{body}".encode()
        r, s = decode_dss_signature(self.private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        return f"vapid t={header}.{body}.{signature}, k={self.application_server_key}"


class Outcome(StrEnum):
    delivered = "delivered"
    gone = "gone"  # 404/410: the subscription has expired or was withdrawn; forget it
    retry = "retry"  # 429, 5xx, network trouble: try again later
    rejected = "rejected"  # another 4xx: our request is wrong; retrying will not help


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    status: int | None
    detail: str = ""


def send(
    client: httpx.Client,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    payload: bytes,
    key: VapidKey,
    subject: str,
    ttl_s: int,
    urgency: Urgency = "normal",
    topic: str | None = None,
) -> PushResult:
    """Encrypt and POST one message (RFC 8030 §5); never raises for the push service's
    answer, only says what to do next."""
    headers = {
        "Authorization": key.authorization(endpoint, subject),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(ttl_s),
        "Urgency": urgency,
    }
    if topic:
        headers["Topic"] = topic  # a newer message with the same topic replaces a queued one
    try:
        response = client.post(endpoint, content=encrypt(payload, p256dh, auth), headers=headers)
    except httpx.HTTPError as exc:
        return PushResult(Outcome.retry, None, str(exc)[:300])
    status = response.status_code
    if 200 <= status < 300:
        return PushResult(Outcome.delivered, status)
    detail = response.text[:300]
    if status in (404, 410):
        return PushResult(Outcome.gone, status, detail)
    if status == 429 or status >= 500:
        return PushResult(Outcome.retry, status, detail)
    return PushResult(Outcome.rejected, status, detail)
