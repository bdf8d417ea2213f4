"""Upload and download of stored files (photos, attachments, e-results)."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Path, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from smartcity.core.http import SessionDep, api_router
from smartcity.core.storage import DOCUMENT_TYPES, get_storage

router = api_router(tags=["files"])


class StoredFileOut(BaseModel):
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    content_type: str
    size: int
    url: str


@router.post(
    "/api/v1/files",
    response_model=StoredFileOut,
    status_code=201,
    summary="Store a photo or document (JPEG, PNG, WebP, PDF); images lose their EXIF",
)
def upload_file(
    session: SessionDep, file: Annotated[UploadFile, File(description="The file to store")]
) -> StoredFileOut:
    storage = get_storage()
    data = file.file.read(storage.max_bytes + 1)
    stored = storage.save(session, data, allowed=DOCUMENT_TYPES, original_name=file.filename)
    return StoredFileOut(
        sha256=stored.sha256, content_type=stored.content_type, size=stored.size, url=stored.url
    )


@router.get(
    "/files/{sha256}",
    response_class=FileResponse,
    summary="Download a stored file",
    responses={404: {"description": "No such file"}},
)
def download_file(
    session: SessionDep, sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")]
) -> FileResponse:
    meta, path = get_storage().open(session, sha256)
    return FileResponse(
        path,
        media_type=meta.content_type,
        headers={"cache-control": "public, max-age=31536000, immutable"},
    )
