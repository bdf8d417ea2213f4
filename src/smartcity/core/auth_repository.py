"""Every query behind ``core.auth``: users by e-mail, tokens, API keys, login throttles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartcity.core.models import ApiKey, AuthToken, LoginThrottle, User


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).first()


def add(session: Session, row: User | AuthToken | ApiKey | LoginThrottle) -> None:
    session.add(row)
    session.flush()


def live_token(
    session: Session, *, token_hash: str, kind: str, now: datetime
) -> tuple[AuthToken, User] | None:
    """The unrevoked, unexpired token with this hash and kind, with its active user."""
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(
            AuthToken.token_hash == token_hash,
            AuthToken.kind == kind,
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > now,
            User.is_active.is_(True),
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def token_by_hash(session: Session, token_hash: str) -> AuthToken | None:
    return session.scalars(select(AuthToken).where(AuthToken.token_hash == token_hash)).first()


def live_api_key(session: Session, prefix: str) -> ApiKey | None:
    return session.scalars(
        select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
    ).first()


def api_key_prefix_taken(session: Session, prefix: str) -> bool:
    return session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is not None


def throttle(
    session: Session, *, email: str, client: str, for_update: bool
) -> LoginThrottle | None:
    query = select(LoginThrottle).where(
        LoginThrottle.email == email, LoginThrottle.client == client
    )
    if for_update:
        # populate_existing: the row may already be in the session from the unlocked read;
        # without it the locked read would keep those stale counts and lose updates.
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def clear_throttle(session: Session, *, email: str, client: str) -> None:
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.email == email, LoginThrottle.client == client)
    )
