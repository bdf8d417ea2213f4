"""Private keys kept in PEM files under the var dir, created on first use (mode 0600)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

_lock = threading.Lock()


def load_or_create[Key: PrivateKeyTypes](
    path: Path, generate: Callable[[], Key], kind: type
) -> Key:
    """The key stored at ``path``; a new one from ``generate`` when the file does not exist.
    A file holding another kind of key is an error, never overwritten."""
    with _lock:
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, kind):
                raise ValueError(f"{path} does not hold a {kind.__name__}")
            return cast(Key, loaded)
        key = generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key
