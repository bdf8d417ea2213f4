"""Every query of the accounts module."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core.models import ApiKey, User


def email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email == email)) is not None


def add_user(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).first()


def api_key_by_id(session: Session, key_id: int) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def api_keys(session: Session, *, limit: int, offset: int) -> tuple[list[ApiKey], int]:
    """A page of keys, newest first, and how many there are."""
    rows = session.scalars(
        select(ApiKey)
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(ApiKey)) or 0
    return list(rows), int(total)
