"""Account rules: who may register, how accounts and API keys are made and revoked."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from smartcity.accounts import repository
from smartcity.accounts.errors import (
    AccountRejected,
    ApiKeyCannotLogOut,
    ApiKeyNotFound,
    EmailTaken,
)
from smartcity.accounts.schemas import (
    Account,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    Credentials,
    Me,
    Token,
)
from smartcity.accounts.schemas import (
    ApiKey as ApiKeyOut,
)
from smartcity.core import audit, clock
from smartcity.core import auth as core_auth
from smartcity.core.auth import CredentialKind, IssuedToken, Principal
from smartcity.core.i18n import LANGUAGES, N_
from smartcity.core.models import Role, User

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 256
FULL_NAME_MAX_LENGTH = 200


def _reject(message: str, field: str) -> AccountRejected:
    return AccountRejected(message, extra={"field": field})


class AccountsService:
    # --- accounts -------------------------------------------------------------------

    def check_password(self, *, email: str, password: str) -> None:
        """Raise AccountRejected unless the password may be used for this e-mail."""
        if len(password) < PASSWORD_MIN_LENGTH:
            raise AccountRejected(
                N_("Mật khẩu phải có ít nhất {minimum} ký tự."),
                extra={"field": "password"},
                minimum=PASSWORD_MIN_LENGTH,
            )
        if len(password) > PASSWORD_MAX_LENGTH:
            raise AccountRejected(
                N_("Mật khẩu dài quá {maximum} ký tự."),
                extra={"field": "password"},
                maximum=PASSWORD_MAX_LENGTH,
            )
        lowered = password.strip().lower()
        if lowered in {email, email.partition("@")[0]}:
            raise _reject(N_("Mật khẩu không được trùng với email."), "password")

    def create_user(
        self,
        session: Session,
        *,
        email: str,
        full_name: str,
        password: str,
        role: Role = Role.citizen,
        agency_code: str | None = None,
        ward_codes: Iterable[int] = (),
        hospital_code: str | None = None,
        language: str = "vi",
        actor: str = "system",
    ) -> User:
        """Create an account of any role (CLI, administrators); the rules are the same."""
        email = core_auth.normalize_email(email)
        if not core_auth.is_valid_email(email):
            raise _reject(N_("Địa chỉ email không hợp lệ."), "email")
        full_name = " ".join(full_name.split())
        if not full_name:
            raise _reject(N_("Hãy nhập họ và tên."), "full_name")
        if len(full_name) > FULL_NAME_MAX_LENGTH:
            raise AccountRejected(
                N_("Họ và tên dài quá {maximum} ký tự."),
                extra={"field": "full_name"},
                maximum=FULL_NAME_MAX_LENGTH,
            )
        self.check_password(email=email, password=password)
        wards = sorted(set(ward_codes))
        if any(code <= 0 for code in wards):
            raise _reject(N_("Mã phường phải là số nguyên dương."), "ward_codes")
        if role is Role.officer and not (agency_code and wards):
            raise _reject(
                N_("Cán bộ cần có mã cơ quan và ít nhất một phường phụ trách."), "agency_code"
            )
        if role is Role.clinician and not hospital_code:
            raise _reject(N_("Nhân viên y tế cần có mã bệnh viện."), "hospital_code")
        if repository.email_taken(session, email):
            raise EmailTaken(N_("Email {email} đã được đăng ký."), email=email)
        user = repository.add_user(
            session,
            User(
                email=email,
                full_name=full_name,
                password_hash=core_auth.hash_password(password),
                role=role,
                agency_code=agency_code or None,
                ward_codes=wards,
                hospital_code=hospital_code or None,
                language=language,
            ),
        )
        audit.record(
            session,
            actor=actor,
            action="accounts.user_created",
            entity_type="user",
            entity_id=user.id,
            data={"role": role.value, "agency_code": agency_code, "ward_codes": wards},
        )
        return user

    def register(
        self, session: Session, *, email: str, full_name: str, password: str, language: str = "vi"
    ) -> User:
        """A citizen signs up; any other role is given by an administrator."""
        return self.create_user(
            session,
            email=email,
            full_name=full_name,
            password=password,
            role=Role.citizen,
            language=language if language in LANGUAGES else "vi",
            actor="self-registration",
        )

    # --- sessions and tokens --------------------------------------------------------

    def login(
        self, session: Session, *, email: str, password: str, client: str, kind: CredentialKind
    ) -> IssuedToken:
        return core_auth.login(session, email=email, password=password, client=client, kind=kind)

    def issue_bearer_token(
        self, session: Session, *, credentials: Credentials, client: str
    ) -> Token:
        issued = self.login(
            session,
            email=credentials.email,
            password=credentials.password,
            client=client,
            kind=CredentialKind.bearer,
        )
        lifetime = issued.expires_at - clock.utcnow()
        return Token(
            access_token=issued.token,
            expires_at=issued.expires_at,
            expires_in=max(0, int(lifetime.total_seconds())),
        )

    def start_session(self, session: Session, *, user: User) -> IssuedToken:
        """A cookie session for an account that just proved itself (e.g. registered)."""
        return core_auth.issue_token(session, user, CredentialKind.cookie)

    def logout(self, session: Session, *, principal: Principal) -> None:
        if principal.token is None:
            raise ApiKeyCannotLogOut(
                N_("Khoá API không đăng xuất được; hãy thu hồi khoá nếu không dùng nữa.")
            )
        principal.token.revoked_at = clock.utcnow()
        session.flush()

    def end_cookie_session(self, session: Session, *, token: str | None) -> None:
        if token:
            core_auth.revoke_token(session, token)

    def me(self, principal: Principal) -> Me:
        return Me(
            credential=principal.credential,
            account=Account.model_validate(principal.user) if principal.user else None,
            api_key=ApiKeyOut.model_validate(principal.api_key) if principal.api_key else None,
            scopes=sorted(principal.scopes),
        )

    # --- API keys -------------------------------------------------------------------

    def create_api_key(
        self, session: Session, *, data: ApiKeyCreate, creator: Principal | None
    ) -> ApiKeyCreated:
        """A new key; ``creator`` None means the command line."""
        name = " ".join(data.name.split())
        if not name:
            raise _reject(N_("Hãy đặt tên cho khoá API."), "name")
        scopes = sorted({scope.strip() for scope in data.scopes if scope.strip()})
        if not scopes:
            raise _reject(N_("Khoá API cần ít nhất một quyền (ví dụ flood:ingest)."), "scopes")
        bad = [scope for scope in scopes if not core_auth.SCOPE_PATTERN.match(scope)]
        if bad:
            raise AccountRejected(
                N_("Quyền không hợp lệ: {scopes}. Quyền có dạng khu_vực:hành_động."),
                extra={"field": "scopes"},
                scopes=", ".join(bad),
            )
        issued = core_auth.create_api_key(
            session,
            name=name,
            scopes=scopes,
            owner=creator.user if creator is not None else None,
            actor=creator.actor if creator is not None else "cli",
        )
        return ApiKeyCreated(
            **ApiKeyOut.model_validate(issued.api_key).model_dump(), key=issued.key
        )

    def list_api_keys(self, session: Session, *, limit: int, offset: int) -> ApiKeyPage:
        rows, total = repository.api_keys(session, limit=limit, offset=offset)
        return ApiKeyPage(
            items=[ApiKeyOut.model_validate(row) for row in rows],
            total=total,
            limit=limit,
            offset=offset,
        )

    def revoke_api_key(self, session: Session, *, key_id: int, revoker: Principal | None) -> None:
        api_key = repository.api_key_by_id(session, key_id)
        if api_key is None:
            raise ApiKeyNotFound(N_("Không tìm thấy khoá API {key_id}."), key_id=key_id)
        core_auth.revoke_api_key(
            session, api_key, actor=revoker.actor if revoker is not None else "cli"
        )

    def user_by_email(self, session: Session, *, email: str) -> User | None:
        return repository.user_by_email(session, core_auth.normalize_email(email))


accounts = AccountsService()
