"""Static files under ``/static`` with cache headers, and versioned URLs for templates.

``static_url("css/app.css")`` gives ``/static/css/app.css?v=<content hash>``: such URLs are
cached for a year (``immutable``) because a new file gets a new URL.  Unversioned vendor
files are cached for a day; anything else is revalidated on every use.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/static"

IMMUTABLE = "public, max-age=31536000, immutable"
VENDOR = "public, max-age=86400"
REVALIDATE = "no-cache"


@lru_cache(maxsize=512)
def _digest(path: str, _mtime_ns: int) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """The cache-busting URL of a file under ``static/`` (raises if the file is missing)."""
    relative = path.lstrip("/")
    stat = (STATIC_DIR / relative).stat()
    return f"{STATIC_PREFIX}/{relative}?v={_digest(relative, stat.st_mtime_ns)}"


def cache_control(path: str, query_string: bytes) -> str:
    if any(part.startswith(b"v=") for part in query_string.split(b"&")):
        return IMMUTABLE
    if path.startswith("vendor/"):
        return VENDOR
    return REVALIDATE


class CachedStaticFiles(StaticFiles):
    """StaticFiles that says how long a browser may keep each file."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            normalised = path.replace(os.sep, "/")
            response.headers["cache-control"] = cache_control(
                normalised, scope.get("query_string", b"")
            )
        return response


def static_files() -> CachedStaticFiles:
    return CachedStaticFiles(directory=STATIC_DIR)
