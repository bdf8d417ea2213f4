"""Content-addressed local file storage.

The type of a file is decided by its first bytes, never by its name or the declared
content type.  Images are decoded and re-encoded, which drops EXIF (GPS position, device)
and anything smuggled after the image data.  Files are stored once per SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from smartcity.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from smartcity.core.i18n import N_
from smartcity.core.models import StoredFile

JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
WEBP: Final = "image/webp"
PDF: Final = "application/pdf"
IMAGE_TYPES: Final = frozenset({JPEG, PNG, WEBP})
DOCUMENT_TYPES: Final = frozenset({JPEG, PNG, WEBP, PDF})
_EXTENSIONS: Final = {JPEG: "jpg", PNG: "png", WEBP: "webp", PDF: "pdf"}
#: Largest decoded image, in pixels: stops decompression bombs before they use memory.
MAX_IMAGE_PIXELS: Final = 40_000_000
#: Longest side kept for photos; larger uploads are scaled down.
MAX_IMAGE_SIDE: Final = 2560


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are, or None if we do not accept it."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def _reencode(data: bytes, content_type: str) -> bytes:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UnsupportedMediaType(N_("Ảnh bị hỏng hoặc không đọc được.")) from None
    upright.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    out = io.BytesIO()
    if content_type == JPEG:
        upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif content_type == PNG:
        upright.save(out, "PNG", optimize=True)
    else:
        upright.save(out, "WEBP", quality=85)
    return out.getvalue()


@dataclass(frozen=True)
class Stored:
    sha256: str
    content_type: str
    size: int

    @property
    def url(self) -> str:
        return f"/files/{self.sha256}"


class LocalStorage:
    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path_for(self, sha256: str, content_type: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.{_EXTENSIONS[content_type]}"

    def save(
        self,
        session: Session,
        data: bytes,
        *,
        allowed: frozenset[str] = DOCUMENT_TYPES,
        original_name: str | None = None,
    ) -> Stored:
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(
                N_("Tệp quá lớn ({size} MB); tối đa {limit} MB."),
                size=round(len(data) / 1_048_576, 1),
                limit=round(self.max_bytes / 1_048_576, 1),
            )
        content_type = sniff(data)
        if content_type is None or content_type not in allowed:
            raise UnsupportedMediaType(
                N_("Nội dung tệp không phải loại được chấp nhận ({allowed})."),
                allowed=", ".join(sorted(_EXTENSIONS[t] for t in allowed)),
            )
        if content_type in IMAGE_TYPES:
            data = _reencode(data, content_type)
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha256, content_type)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a crash never leaves a half-written file under the final name.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        if session.get(StoredFile, sha256) is None:
            session.add(
                StoredFile(
                    sha256=sha256,
                    content_type=content_type,
                    size=len(data),
                    original_name=(original_name or "")[:255] or None,
                )
            )
            session.flush()
        return Stored(sha256=sha256, content_type=content_type, size=len(data))

    def open(self, session: Session, sha256: str) -> tuple[StoredFile, Path]:
        meta = session.get(StoredFile, sha256)
        if meta is None:
            raise NotFound(N_("Không tìm thấy tệp."))
        path = self.path_for(sha256, meta.content_type)
        if not path.exists():
            raise NotFound(N_("Không tìm thấy tệp."))
        return meta, path


def get_storage() -> LocalStorage:
    from smartcity.config import get_settings

    settings = get_settings()
    return LocalStorage(settings.storage_dir, max_bytes=settings.max_upload_bytes)
