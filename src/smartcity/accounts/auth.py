"""Who may call the accounts endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from smartcity.core.auth import Principal, require_roles
from smartcity.core.models import Role

#: Signed-in administrators (API keys never manage API keys).
AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
