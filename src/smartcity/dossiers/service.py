"""Rules of the public-services module: catalogue, filing, the lifecycle with deadlines,
payments, e-results, public tracking and the Decision 766 index.  Services only flush; the
request owns the transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import ValidationError
from sqlalchemy.orm import Session
from vn_ident import is_valid_cccd, normalize_phone

from smartcity.config import get_settings
from smartcity.core import audit
from smartcity.core.auth import Principal
from smartcity.core.clock import VN_TZ, utcnow
from smartcity.core.errors import BadRequest, Forbidden, NotFound
from smartcity.core.events import publish_after_commit
from smartcity.core.http import keep_writes_on_error
from smartcity.core.i18n import N_
from smartcity.core.models import Role
from smartcity.core.storage import PDF, get_storage
from smartcity.core.workdays import DurationUnit, WorkCalendar
from smartcity.dossiers import flows, payments, results
from smartcity.dossiers import repository as repo
from smartcity.dossiers.catalogue import LIFE_EVENTS, PROCEDURES
from smartcity.dossiers.errors import (
    AlreadyPaid,
    DossierNotFound,
    IllegalTransition,
    InvalidDossier,
    NoFeeDue,
    NotYourDossier,
    NotYourUnit,
    ProcedureNotFound,
    ResultNotFound,
    WebhookRejected,
    WebhookReplayed,
)
from smartcity.dossiers.flows import Action, Status
from smartcity.dossiers.models import (
    Dossier,
    DossierAttachment,
    DossierEvent,
    EResult,
    PaymentNotification,
    Procedure,
    ProcedureVersion,
)
from smartcity.dossiers.schemas import (
    DossierCreate,
    PaymentNotificationIn,
    ProcedureFields,
    QualityIndex,
    UnitIndex,
)
from smartcity.dossiers.units import (
    CITY_AGENCIES,
    CITY_CENTRE,
    is_ward_unit,
    principal_acts_on,
    principal_units,
)
from smartcity.places.names import search_key
from smartcity.places.service import places

_format_checker = FormatChecker()


def _is_cccd(value: object) -> bool:
    return not isinstance(value, str) or is_valid_cccd(value)


_format_checker.checks("cccd")(_is_cccd)


def local_day(moment: datetime) -> date:
    return moment.astimezone(VN_TZ).date()


def _field_errors(errors: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "errors": [
            {"field": field, "in": "body", "message": message, "type": kind}
            for field, message, kind in errors
        ]
    }


def _schema_message(error: jsonschema.ValidationError) -> tuple[str, str, str]:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.message, str):
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return (f"form.{missing}", "Bắt buộc nhập", "required")
    if error.validator == "additionalProperties":
        return ("form", "Có trường không thuộc biểu mẫu", "additional_properties")
    field = f"form.{path}" if path else "form"
    return (field, f"Không hợp lệ ({error.validator})", str(error.validator))


def form_errors(schema: dict[str, Any], form: dict[str, Any]) -> list[tuple[str, str, str]]:
    validator = Draft202012Validator(schema, format_checker=_format_checker)
    return [_schema_message(e) for e in sorted(validator.iter_errors(form), key=str)]


@dataclass(frozen=True)
class Viewer:
    """Who looks at a dossier and as what."""

    principal: Principal | None

    @property
    def actor(self) -> str:
        return self.principal.actor if self.principal else "anonymous"


class DossierService:
    # --- catalogue -------------------------------------------------------------------

    def seed(self, session: Session) -> int:
        """Load the catalogue's procedures that are not there yet (idempotent)."""
        existing = repo.procedure_codes(session)
        added = 0
        for entry in PROCEDURES:
            if entry["code"] in existing:
                continue
            fields = ProcedureFields.model_validate({k: v for k, v in entry.items() if k != "code"})
            self._add_version(session, None, entry["code"], fields, actor="seed")
            added += 1
        return added

    def _add_version(
        self,
        session: Session,
        procedure: Procedure | None,
        code: str,
        fields: ProcedureFields,
        *,
        actor: str,
    ) -> ProcedureVersion:
        try:
            Draft202012Validator.check_schema(fields.form_schema)
        except jsonschema.SchemaError as error:
            raise InvalidDossier(
                N_("Biểu mẫu điện tử không phải JSON Schema hợp lệ: {reason}"),
                reason=error.message[:200],
            ) from None
        if fields.level == "city" and fields.agency_code not in CITY_AGENCIES:
            raise InvalidDossier(N_("Thủ tục cấp thành phố cần mã cơ quan có thẩm quyền hợp lệ."))
        if procedure is None:
            procedure = Procedure(code=code, current_version=0)
            session.add(procedure)
        version = procedure.current_version + 1
        procedure.current_version = version
        procedure.name = fields.name
        procedure.search_key = search_key(f"{code} {fields.name} {fields.name_en} {fields.field}")
        procedure.life_event = fields.life_event
        procedure.level = fields.level
        procedure.agency_code = fields.agency_code if fields.level == "city" else None
        procedure.online_level = fields.online_level
        session.flush()
        row = ProcedureVersion(
            procedure_id=procedure.id,
            version=version,
            code=code,
            created_by=actor,
            **fields.model_dump(mode="json"),
        )
        session.add(row)
        session.flush()
        return row

    def search(
        self, session: Session, *, q: str | None, life_event: str | None, limit: int, offset: int
    ) -> tuple[list[Procedure], int]:
        words = search_key(q or "").split()
        rows, total = repo.search_procedures(
            session, words=words, life_event=life_event, limit=limit, offset=offset
        )
        return list(rows), total

    def procedure(self, session: Session, code: str) -> Procedure:
        procedure = repo.procedure_by_code(session, code)
        if procedure is None:
            raise ProcedureNotFound(N_("Không có thủ tục mã {code}."), code=code)
        return procedure

    def current_version(self, session: Session, code: str) -> ProcedureVersion:
        procedure = self.procedure(session, code)
        version = repo.version_of(session, procedure.id, procedure.current_version)
        assert version is not None
        return version

    def versions(self, session: Session, code: str) -> list[ProcedureVersion]:
        return list(repo.versions(session, self.procedure(session, code).id))

    def update_procedure(
        self, session: Session, code: str, fields: ProcedureFields, principal: Principal
    ) -> ProcedureVersion:
        procedure = repo.procedure_by_code(session, code)
        row = self._add_version(session, procedure, code, fields, actor=principal.actor)
        audit.record(
            session,
            actor=principal.actor,
            action="dossiers.procedure_saved",
            entity_type="procedure",
            entity_id=code,
            data={"version": row.version},
        )
        return row

    @staticmethod
    def life_events() -> dict[str, str]:
        return LIFE_EVENTS

    # --- filing ----------------------------------------------------------------------

    def _competent_unit(
        self, session: Session, version: ProcedureVersion, ward_code: int | None
    ) -> str:
        if version.level == "city":
            assert version.agency_code is not None
            return version.agency_code
        if ward_code is None or not places.ward_names(session, {ward_code}):
            raise InvalidDossier(
                N_("Hãy chọn phường, xã, đặc khu có thẩm quyền giải quyết."),
                extra=_field_errors([("ward_code", "Không có phường/xã này", "unknown_ward")]),
            )
        return str(ward_code)

    def validate_filing(
        self, session: Session, data: DossierCreate, *, online: bool
    ) -> tuple[ProcedureVersion, str, str]:
        """Check everything a filing needs; returns (version, unit, normalised phone)."""
        version = self.current_version(session, data.procedure_code)
        if online and version.online_level == "none":
            raise InvalidDossier(
                N_("Thủ tục này chưa được nộp trực tuyến; hãy đến bộ phận một cửa.")
            )
        problems: list[tuple[str, str, str]] = []
        if not is_valid_cccd(data.applicant_id_number):
            problems.append(
                ("applicant_id_number", "Số định danh cá nhân phải gồm 12 chữ số hợp lệ", "cccd")
            )
        phone = normalize_phone(data.applicant_phone)
        if phone is None:
            problems.append(("applicant_phone", "Số điện thoại di động không hợp lệ", "phone"))
        problems += form_errors(version.form_schema, data.form)
        stored = repo.stored_files(session, list(data.attachments))
        if len(stored) != len(set(data.attachments)):
            problems.append(("attachments", "Tệp đính kèm chưa được tải lên", "unknown_file"))
        required_docs = [d for d in version.documents if d.get("required")]
        if required_docs and not data.attachments:
            problems.append(("attachments", "Thiếu giấy tờ bắt buộc", "missing_documents"))
        unit = self._competent_unit(session, version, data.ward_code)
        if problems:
            raise InvalidDossier(
                N_("Hồ sơ còn {count} chỗ chưa hợp lệ."),
                count=len(problems),
                extra=_field_errors(problems),
            )
        assert phone is not None
        return version, unit, phone

    def submit(
        self,
        session: Session,
        data: DossierCreate,
        principal: Principal,
        *,
        channel: str = "online",
        received_unit: str | None = None,
    ) -> Dossier:
        """File a dossier: online by a signed-in citizen, or at any one-stop desk by an
        officer (Decree 118/2025: receipt anywhere in the city, routed to the competent unit)."""
        desk = channel == "desk"
        if desk and not principal.has_role(Role.officer, Role.admin):
            raise Forbidden(N_("Chỉ cán bộ một cửa mới tiếp nhận hồ sơ trực tiếp."))
        version, unit, phone = self.validate_filing(session, data, online=not desk)
        now = utcnow()
        sequence = repo.next_sequence(session, unit, local_day(now))
        code = get_settings().dossier_code_pattern.format(
            unit=unit, yymmdd=now.astimezone(VN_TZ).strftime("%y%m%d"), seq=sequence
        )
        dossier = Dossier(
            code=code,
            procedure_id=version.procedure_id,
            procedure_version_id=version.id,
            unit_code=unit,
            received_unit=received_unit or (CITY_CENTRE if desk else "online"),
            channel=channel,
            status=Status.submitted,
            is_open=True,
            applicant_user_id=principal.user.id if principal.user and not desk else None,
            applicant_name=data.applicant_name.strip(),
            applicant_id_number=data.applicant_id_number,
            applicant_phone=phone,
            applicant_email=data.applicant_email,
            form_data=data.form,
            fee_vnd=version.fee_vnd,
            submitted_at=now,
            supplement_count=0,
        )
        session.add(dossier)
        session.flush()
        stored = repo.stored_files(session, list(data.attachments))
        for sha in dict.fromkeys(data.attachments):
            self._attach(session, dossier, stored[sha].sha256, stored[sha], "submission")
        self._event(session, dossier, "submit", None, Status.submitted, principal.actor, None)
        self._audit(session, dossier, principal.actor, "submit", {"channel": channel})
        self._publish(session, dossier, None)
        if desk:
            self.act(session, code, Action.accept, principal, note=None)
        return dossier

    def _attach(
        self, session: Session, dossier: Dossier, sha: str, meta: Any, purpose: str
    ) -> None:
        session.add(
            DossierAttachment(
                dossier_id=dossier.id,
                sha256=sha,
                name=(meta.original_name or sha[:12])[:255],
                content_type=meta.content_type,
                size=meta.size,
                purpose=purpose,
            )
        )

    # --- access ----------------------------------------------------------------------

    def get(self, session: Session, code: str, principal: Principal) -> Dossier:
        """A dossier its applicant, an officer of its unit or an administrator may see."""
        dossier = repo.dossier_by_code(session, code)
        if dossier is None:
            raise DossierNotFound(N_("Không có hồ sơ mã {code}."), code=code)
        if principal.user is not None and dossier.applicant_user_id == principal.user.id:
            return dossier
        if principal.has_role(Role.officer, Role.admin) and principal_acts_on(
            principal, dossier.unit_code
        ):
            return dossier
        raise NotYourDossier(N_("Bạn không xem được hồ sơ này."))

    def _locked(self, session: Session, code: str) -> Dossier:
        dossier = repo.dossier_by_code(session, code, for_update=True)
        if dossier is None:
            raise DossierNotFound(N_("Không có hồ sơ mã {code}."), code=code)
        return dossier

    def _require_officer(self, principal: Principal, dossier: Dossier) -> None:
        if not principal.has_role(Role.officer, Role.admin):
            raise Forbidden(N_("Chỉ cán bộ xử lý hồ sơ mới làm được việc này."))
        if not principal_acts_on(principal, dossier.unit_code):
            raise NotYourUnit(
                N_("Hồ sơ {code} thuộc đơn vị {unit}, không thuộc đơn vị của bạn."),
                code=dossier.code,
                unit=dossier.unit_code,
            )

    def _require_applicant(self, principal: Principal, dossier: Dossier) -> None:
        if principal.user is None or dossier.applicant_user_id != principal.user.id:
            raise NotYourDossier(N_("Chỉ người nộp hồ sơ mới làm được việc này."))

    # --- the lifecycle ---------------------------------------------------------------

    def calendar(self, session: Session) -> WorkCalendar:
        return WorkCalendar.from_database(session)

    def act(
        self,
        session: Session,
        code: str,
        action: Action,
        principal: Principal | None,
        *,
        note: str | None = None,
        actor: str | None = None,
    ) -> Dossier:
        """Apply one lifecycle action; the transition table decides, the law's way."""
        dossier = self._locked(session, code)
        transition = flows.TRANSITIONS[action]
        if principal is not None:
            if transition.by is flows.Actor.officer:
                self._require_officer(principal, dossier)
            elif transition.by is flows.Actor.citizen:
                self._require_applicant(principal, dossier)
        current = Status(dossier.status)
        try:
            target = flows.check(action, current)
        except flows.TransitionNotAllowed:
            raise IllegalTransition(
                N_("Không thể “{action}” hồ sơ đang ở trạng thái {status}."),
                action=action.value,
                status=int(current),
                extra={"status": int(current), "action": action.value},
            ) from None
        if action in (Action.refuse, Action.request_supplement, Action.stop) and not note:
            raise InvalidDossier(N_("Hãy ghi rõ lý do."))
        now = utcnow()
        who = actor or (principal.actor if principal else "system")
        self._apply(session, dossier, action, target, now, note)
        self._event(session, dossier, action.value, current, target, who, note)
        self._audit(session, dossier, who, action.value, {"from": int(current), "to": int(target)})
        self._publish(session, dossier, current)
        return dossier

    def _apply(
        self,
        session: Session,
        dossier: Dossier,
        action: Action,
        target: Status,
        now: datetime,
        note: str | None,
    ) -> None:
        settings = get_settings()
        if action is Action.accept:
            version = session.get(ProcedureVersion, dossier.procedure_version_id)
            assert version is not None
            cutoff = time.fromisoformat(version.cutoff) if version.cutoff else None
            due = (
                self.calendar(session)
                .deadline(now, version.duration, DurationUnit(version.duration_unit), cutoff=cutoff)
                .astimezone(UTC)
            )
            dossier.received_at = now
            dossier.due_at = dossier.current_due_at = dossier.kpi_due_at = due
            repo.bump_stats(
                session,
                dossier.unit_code,
                local_day(now),
                received=1,
                received_online=int(dossier.channel == "online"),
                fee_bearing=int(dossier.fee_vnd > 0),
                paid_online=int(dossier.paid_online),
            )
        elif action is Action.request_supplement:
            dossier.supplement_count += 1
            dossier.supplement_request = note
            self._pause(dossier, now, "supplement")
        elif action is Action.request_fee:
            if settings.dossier_fee_wait_stops_clock:
                self._pause(dossier, now, "fee")
        elif action in (Action.supplement, Action.fee_paid):
            self._resume(session, dossier, now)
        if action is Action.approve and dossier.paused_since is not None:
            self._resume(session, dossier, now)
        dossier.status = target
        dossier.is_open = target not in flows.FINAL
        if target is Status.done:
            dossier.finished_at = now
        if target is Status.returned:
            dossier.returned_at = now
        if target in flows.CLOSING and dossier.closed_at is None:
            self._close(session, dossier, now)

    def _pause(self, dossier: Dossier, now: datetime, kind: str) -> None:
        dossier.paused_since = now
        dossier.pause_kind = kind

    def _resume(self, session: Session, dossier: Dossier, now: datetime) -> None:
        if dossier.paused_since is None:
            return
        started = dossier.paused_since
        if dossier.current_due_at is not None:
            dossier.current_due_at = (
                self.calendar(session)
                .extend_for_pause(dossier.current_due_at, started, now)
                .astimezone(UTC)
            )
        if dossier.kpi_due_at is not None:
            dossier.kpi_due_at = dossier.kpi_due_at + (now - started)
        dossier.paused_since = None
        dossier.pause_kind = None

    def _close(self, session: Session, dossier: Dossier, now: datetime) -> None:
        dossier.closed_at = now
        if dossier.received_at is None or dossier.kpi_due_at is None:
            return  # never accepted: not counted by Decision 766
        end = dossier.paused_since or now
        dossier.on_time = dossier.supplement_count <= 1 and end <= dossier.kpi_due_at
        repo.bump_stats(
            session,
            dossier.unit_code,
            local_day(now),
            closed=1,
            closed_on_time=int(dossier.on_time),
        )

    def supplement(
        self,
        session: Session,
        code: str,
        principal: Principal,
        *,
        note: str,
        attachments: list[str],
    ) -> Dossier:
        """The citizen answers a supplement request; the clock runs again."""
        dossier = self._locked(session, code)
        self._require_applicant(principal, dossier)
        stored = repo.stored_files(session, attachments)
        if len(stored) != len(set(attachments)):
            raise InvalidDossier(
                N_("Tệp đính kèm chưa được tải lên."),
                extra=_field_errors([("attachments", "Không có tệp này", "unknown_file")]),
            )
        updated = self.act(session, code, Action.supplement, principal, note=note)
        for sha in dict.fromkeys(attachments):
            self._attach(session, updated, sha, stored[sha], "supplement")
        return updated

    def transfer(
        self, session: Session, code: str, principal: Principal, *, unit_code: str, note: str
    ) -> Dossier:
        """Move a dossier to another competent unit (wrong routing at reception)."""
        dossier = self._locked(session, code)
        self._require_officer(principal, dossier)
        if Status(dossier.status) in flows.FINAL or dossier.status == Status.done:
            raise IllegalTransition(N_("Hồ sơ đã kết thúc, không chuyển được."))
        valid = (
            unit_code in CITY_AGENCIES
            if not is_ward_unit(unit_code)
            else bool(places.ward_names(session, {int(unit_code)}))
        )
        if not valid or unit_code == dossier.unit_code:
            raise InvalidDossier(N_("Đơn vị nhận không hợp lệ."))
        previous = dossier.unit_code
        dossier.unit_code = unit_code
        status = Status(dossier.status)
        self._event(session, dossier, "transfer", status, status, principal.actor, note)
        self._audit(
            session, dossier, principal.actor, "transfer", {"from": previous, "to": unit_code}
        )
        return dossier

    def assign(
        self,
        session: Session,
        code: str,
        principal: Principal,
        *,
        step: str,
        assignee_id: int | None,
    ) -> Dossier:
        dossier = self._locked(session, code)
        self._require_officer(principal, dossier)
        if not dossier.is_open:
            raise IllegalTransition(N_("Hồ sơ đã kết thúc."))
        dossier.step = step
        dossier.assignee_id = (
            assignee_id
            if assignee_id is not None
            else (principal.user.id if principal.user else None)
        )
        status = Status(dossier.status)
        self._event(session, dossier, "step", status, status, principal.actor, step)
        self._audit(session, dossier, principal.actor, "step", {"step": step})
        return dossier

    def apologise(
        self, session: Session, code: str, principal: Principal, *, new_due: date, reason: str
    ) -> Dossier:
        """The apology slip with a new date (the original due date stays for the KPI)."""
        dossier = self._locked(session, code)
        self._require_officer(principal, dossier)
        if dossier.current_due_at is None or Status(dossier.status) not in (
            Status.accepted,
            Status.processing,
            Status.supplement_requested,
            Status.fee_requested,
        ):
            raise IllegalTransition(N_("Chỉ hồ sơ đang giải quyết mới có phiếu xin lỗi."))
        new_due_at = datetime.combine(new_due, time(17, 0), tzinfo=VN_TZ)
        if new_due_at <= dossier.current_due_at:
            raise InvalidDossier(N_("Ngày hẹn mới phải sau ngày hẹn trả hiện tại."))
        dossier.rescheduled_due_at = new_due_at.astimezone(UTC)
        dossier.apology_reason = reason
        status = Status(dossier.status)
        self._event(session, dossier, "apology", status, status, principal.actor, reason)
        self._audit(session, dossier, principal.actor, "apology", {"new_due": new_due.isoformat()})
        return dossier

    def rate(
        self, session: Session, code: str, principal: Principal, *, score: int, comment: str | None
    ) -> Dossier:
        dossier = self._locked(session, code)
        self._require_applicant(principal, dossier)
        if dossier.status not in (Status.done, Status.returned):
            raise IllegalTransition(N_("Chỉ đánh giá được khi hồ sơ đã có kết quả."))
        if dossier.rating is not None:
            raise IllegalTransition(N_("Bạn đã đánh giá hồ sơ này."))
        dossier.rating, dossier.rating_comment = score, comment
        repo.bump_stats(
            session,
            dossier.unit_code,
            local_day(utcnow()),
            rated=1,
            rating_sum=score,
            dislikes=int(score <= 2),
        )
        self._audit(session, dossier, principal.actor, "rate", {"score": score})
        return dossier

    # --- bookkeeping -----------------------------------------------------------------

    def _event(
        self,
        session: Session,
        dossier: Dossier,
        action: str,
        old: Status | None,
        new: Status,
        actor: str,
        note: str | None,
    ) -> None:
        session.add(
            DossierEvent(
                dossier_id=dossier.id,
                action=action,
                from_status=int(old) if old else None,
                to_status=int(new),
                actor=actor,
                note=note,
                unit_code=dossier.unit_code,
            )
        )

    def _audit(
        self, session: Session, dossier: Dossier, actor: str, action: str, data: dict[str, Any]
    ) -> None:
        audit.record(
            session,
            actor=actor,
            action=f"dossiers.{action}",
            entity_type="dossier",
            entity_id=dossier.code,
            data=data,
        )

    def _publish(self, session: Session, dossier: Dossier, old: Status | None) -> None:
        procedure = session.get(Procedure, dossier.procedure_id)
        publish_after_commit(
            session,
            "dossier.status_changed",
            dossier_id=dossier.id,
            code=dossier.code,
            procedure_code=procedure.code if procedure else None,
            old_status=int(old) if old else None,
            new_status=int(dossier.status),
            unit_code=dossier.unit_code,
        )

    def view(self, session: Session, dossier: Dossier) -> dict[str, Any]:
        version = session.get(ProcedureVersion, dossier.procedure_version_id)
        assert version is not None
        result = repo.result_for_dossier(session, dossier.id)
        return {
            "code": dossier.code,
            "procedure_code": version.code,
            "procedure_version": version.version,
            "procedure_name": version.name,
            "unit_code": dossier.unit_code,
            "received_unit": dossier.received_unit,
            "channel": dossier.channel,
            "status": dossier.status,
            "status_label": flows.STATUS_LABELS[Status(dossier.status)],
            "applicant_name": dossier.applicant_name,
            "form_data": dossier.form_data,
            "fee_vnd": dossier.fee_vnd,
            "paid_at": dossier.paid_at,
            "submitted_at": dossier.submitted_at,
            "received_at": dossier.received_at,
            "due_at": dossier.due_at,
            "current_due_at": dossier.current_due_at,
            "rescheduled_due_at": dossier.rescheduled_due_at,
            "supplement_request": dossier.supplement_request
            if dossier.status == Status.supplement_requested
            else None,
            "finished_at": dossier.finished_at,
            "returned_at": dossier.returned_at,
            "on_time": dossier.on_time,
            "rating": dossier.rating,
            "result_verify_code": result.verify_code if result else None,
            "timeline": list(repo.timeline(session, dossier.id)),
            "attachments": list(repo.attachments(session, dossier.id)),
        }

    def version_of(self, session: Session, dossier: Dossier) -> ProcedureVersion:
        version = session.get(ProcedureVersion, dossier.procedure_version_id)
        assert version is not None
        return version

    def unit_name(self, session: Session, unit_code: str) -> str:
        if is_ward_unit(unit_code):
            return places.ward_names(session, {int(unit_code)}).get(int(unit_code), unit_code)
        return CITY_AGENCIES.get(unit_code, unit_code)

    def my_dossiers(self, session: Session, principal: Principal) -> list[Dossier]:
        if principal.user is None:
            return []
        return list(repo.dossiers_of_user(session, principal.user.id))

    def queue(
        self, session: Session, principal: Principal, *, limit: int = 50, offset: int = 0
    ) -> list[Dossier]:
        if not principal.has_role(Role.officer, Role.admin):
            raise Forbidden(N_("Chỉ cán bộ xử lý hồ sơ mới xem được hàng đợi."))
        return list(
            repo.queue(session, units=principal_units(principal), limit=limit, offset=offset)
        )

    def public_status(
        self, session: Session, code: str, *, phone: str | None, id_number: str | None
    ) -> dict[str, Any]:
        """Status only, for whoever knows the code and the applicant's phone or ID number."""
        dossier = repo.dossier_by_code(session, code.strip())
        normalised = normalize_phone(phone) if phone else None
        matches = dossier is not None and (
            (normalised is not None and normalised == dossier.applicant_phone)
            or (id_number is not None and id_number.strip() == dossier.applicant_id_number)
        )
        if dossier is None or not matches:
            # One answer for "no such code" and "wrong phone": the code cannot be probed.
            raise DossierNotFound(
                N_("Không tìm thấy hồ sơ với mã và số điện thoại hoặc số định danh đã nhập.")
            )
        version = self.version_of(session, dossier)
        return {
            "code": dossier.code,
            "procedure_name": version.name,
            "status": dossier.status,
            "status_label": flows.STATUS_LABELS[Status(dossier.status)],
            "submitted_at": dossier.submitted_at,
            "due_at": dossier.rescheduled_due_at or dossier.current_due_at,
            "finished": not dossier.is_open or dossier.status == Status.done,
        }

    # --- payments --------------------------------------------------------------------

    def payment(self, session: Session, code: str, principal: Principal) -> dict[str, Any]:
        dossier = self.get(session, code, principal)
        if dossier.fee_vnd <= 0:
            raise NoFeeDue(N_("Thủ tục này không thu phí, lệ phí."))
        settings = get_settings()
        return {
            "code": dossier.code,
            "amount_vnd": dossier.fee_vnd,
            "paid": dossier.paid_at is not None,
            "qr_payload": payments.payment_code(dossier.code, dossier.fee_vnd),
            "bank_bin": settings.payment_bank_bin,
            "account": settings.payment_account,
            "purpose": f"{payments.PURPOSE_PREFIX}{dossier.code}",
        }

    def handle_notification(
        self, session: Session, body: bytes, *, timestamp: str | None, signature: str | None
    ) -> PaymentNotification:
        """A bank's payment notification: signed, fresh, once per transaction id.

        An amount that differs from the fee is recorded as flagged and the dossier stays
        unpaid; a second payment for a paid dossier is recorded as flagged (to refund) and
        answered 409.  Both records are kept even though the request fails.
        """
        if not payments.signature_ok(timestamp, signature, body):
            raise WebhookRejected(N_("Chữ ký của thông báo thanh toán không đúng."))
        assert timestamp is not None
        if not payments.timestamp_fresh(timestamp):
            raise WebhookRejected(N_("Thông báo thanh toán đã quá hạn (dấu thời gian cũ)."))
        try:
            notice = PaymentNotificationIn.model_validate(json.loads(body))
        except (ValueError, ValidationError):
            raise BadRequest(N_("Nội dung thông báo thanh toán không đúng định dạng.")) from None
        previous = repo.notification(session, notice.transaction_id)
        if previous is not None:
            raise WebhookReplayed(
                N_("Giao dịch {transaction} đã được ghi nhận trước đó; không ghi lại."),
                transaction=notice.transaction_id,
                extra={"outcome": previous.outcome},
            )
        code = payments.dossier_code_in(notice.reference)
        dossier = repo.dossier_by_code(session, code, for_update=True) if code else None
        record = PaymentNotification(
            bank_transaction_id=notice.transaction_id,
            dossier_id=dossier.id if dossier else None,
            reference=notice.reference,
            amount_vnd=notice.amount,
            expected_vnd=dossier.fee_vnd if dossier else None,
            outcome="unmatched",
            bank_time=notice.paid_at,
        )
        session.add(record)
        if dossier is None:
            session.flush()
            return record
        if dossier.paid_at is not None:
            record.outcome = "flagged_duplicate"
            session.flush()
            self._audit(
                session, dossier, "bank", "payment_duplicate", {"txn": notice.transaction_id}
            )
            keep_writes_on_error(session)
            raise AlreadyPaid(
                N_("Hồ sơ {code} đã được thanh toán; khoản tiền này được đánh dấu để hoàn trả."),
                code=dossier.code,
            )
        if notice.amount != dossier.fee_vnd:
            record.outcome = "flagged_amount"
            session.flush()
            self._audit(
                session,
                dossier,
                "bank",
                "payment_flagged",
                {
                    "txn": notice.transaction_id,
                    "amount": notice.amount,
                    "expected": dossier.fee_vnd,
                },
            )
            return record
        record.outcome = "paid"
        now = utcnow()
        dossier.paid_at = now
        dossier.paid_online = True
        session.flush()
        self._audit(session, dossier, "bank", "paid", {"txn": notice.transaction_id})
        if dossier.received_at is not None and dossier.fee_vnd > 0:
            repo.bump_stats(
                session, dossier.unit_code, local_day(dossier.received_at), paid_online=1
            )
        status = Status(dossier.status)
        if status is Status.fee_requested:
            self.act(session, dossier.code, Action.fee_paid, None, actor="bank")
        else:
            self._event(session, dossier, "paid", status, status, "bank", None)
        return record

    # --- e-results -------------------------------------------------------------------

    def approve(
        self,
        session: Session,
        code: str,
        principal: Principal,
        *,
        base_url: str,
        note: str | None = None,
    ) -> Dossier:
        """Decide, and issue the signed e-result in the same transaction."""
        dossier = self.act(session, code, Action.approve, principal, note=note)
        version = self.version_of(session, dossier)
        verify_code = secrets.token_urlsafe(9)
        issued = utcnow().replace(microsecond=0)
        schema_props = version.form_schema.get("properties", {})
        details = [
            (str(schema_props.get(k, {}).get("title", k)), str(v))
            for k, v in dossier.form_data.items()
            if v not in (None, "")
        ][:12]
        pdf = results.render_pdf(
            results.ResultDocument(
                dossier_code=dossier.code,
                verify_code=verify_code,
                verify_url=f"{base_url.rstrip('/')}/verify/{verify_code}",
                procedure_name=version.name,
                result_type=version.result_type,
                unit_name=self.unit_name(session, dossier.unit_code),
                applicant_name=dossier.applicant_name,
                details=details,
                issued_at=issued,
            )
        )
        stored = get_storage().save(
            session, pdf, allowed=frozenset({PDF}), original_name=f"{dossier.code}.pdf"
        )
        key = results.signing_key()
        session.add(
            EResult(
                verify_code=verify_code,
                dossier_id=dossier.id,
                sha256=stored.sha256,
                signature=results.sign(pdf),
                key_id=key.key_id,
                public_key=key.public_b64,
                issued_at=issued,
            )
        )
        session.flush()
        return dossier

    def result_pdf(self, session: Session, code: str, principal: Principal) -> tuple[str, bytes]:
        dossier = self.get(session, code, principal)
        result = repo.result_for_dossier(session, dossier.id)
        if result is None:
            raise ResultNotFound(N_("Hồ sơ chưa có kết quả điện tử."))
        _meta, path = get_storage().open(session, result.sha256)
        return f"{dossier.code}.pdf", path.read_bytes()

    def verification(self, session: Session, verify_code: str) -> tuple[EResult, str, str]:
        """The issued record, its dossier code and procedure name."""
        result = repo.result_by_code(session, verify_code)
        if result is None:
            raise ResultNotFound(
                N_("Không có kết quả điện tử với mã kiểm tra {code}."), code=verify_code[:40]
            )
        dossier = session.get(Dossier, result.dossier_id)
        assert dossier is not None
        return result, dossier.code, self.version_of(session, dossier).name

    def verify_file(self, session: Session, verify_code: str, data: bytes) -> bool:
        """Was exactly this file issued and signed by the platform under this code?"""
        result, _code, _name = self.verification(session, verify_code)
        return hashlib.sha256(data).hexdigest() == result.sha256 and results.verify(
            data, result.signature, result.public_key
        )

    def stored_result_intact(self, session: Session, result: EResult) -> bool:
        try:
            _meta, path = get_storage().open(session, result.sha256)
        except NotFound:  # the file is gone: cannot confirm
            return False
        return results.verify(path.read_bytes(), result.signature, result.public_key)

    # --- Decision 766 -------------------------------------------------------------------

    def quality_index(
        self, session: Session, *, start: date, end: date, unit: str | None = None
    ) -> QualityIndex:
        if end < start or (end - start).days > 3660:
            raise BadRequest(N_("Khoảng thời gian không hợp lệ."))
        now = utcnow()
        period_end = min(datetime.combine(end + timedelta(days=1), time(0), tzinfo=VN_TZ), now)
        sums = repo.period_stats(session, start, end, unit)
        open_now = repo.open_at(session, period_end, unit)
        procedure_counts = repo.procedure_online_counts(session)
        units = sorted(set(sums) | set(open_now))
        names = places.ward_names(session, {int(u) for u in units if is_ward_unit(u)})
        rows: list[UnitIndex] = []
        total: dict[str, int] = {}
        total_open = [0, 0]
        for code in units:
            counters = sums.get(code, {})
            opened = open_now.get(code, (0, 0))
            for k, v in counters.items():
                total[k] = total.get(k, 0) + v
            total_open[0] += opened[0]
            total_open[1] += opened[1]
            label = (
                names.get(int(code), code) if is_ward_unit(code) else CITY_AGENCIES.get(code, code)
            )
            rows.append(
                self._indicators(
                    code, label, counters, opened, self._full_share(procedure_counts, code)
                )
            )
        city = self._indicators(
            "79",
            N_("Toàn thành phố"),
            total,
            (total_open[0], total_open[1]),
            self._full_share(procedure_counts, None),
        )
        return QualityIndex(start=start, end=end, computed_at=now, city=city, units=rows)

    @staticmethod
    def _full_share(
        counts: list[tuple[str, str | None, str, int]], unit: str | None
    ) -> float | None:
        def applies(level: str, agency: str | None) -> bool:
            if unit is None:
                return True
            return level == "ward" if is_ward_unit(unit) else agency == unit

        relevant = [(o, n) for level, agency, o, n in counts if applies(level, agency)]
        total = sum(n for _, n in relevant)
        return _pct(sum(n for o, n in relevant if o == "full"), total)

    @staticmethod
    def _indicators(
        code: str, name: str, c: dict[str, int], opened: tuple[int, int], full_share: float | None
    ) -> UnitIndex:
        processed = c.get("closed", 0) + opened[0]
        on_time = c.get("closed_on_time", 0) + opened[1]
        rate = _pct(on_time, processed)
        dislike = _pct(c.get("dislikes", 0), c.get("closed", 0))
        satisfaction = None if rate is None else round(max(0.0, rate - (dislike or 0.0)), 2)
        rated = c.get("rated", 0)
        return UnitIndex(
            unit_code=code,
            unit_name=name,
            received=c.get("received", 0),
            processed=processed,
            on_time=on_time,
            on_time_rate=rate,
            online_rate=_pct(c.get("received_online", 0), c.get("received", 0)),
            full_online_procedures_rate=full_share,
            online_payment_rate=_pct(c.get("paid_online", 0), c.get("fee_bearing", 0)),
            satisfaction=satisfaction,
            average_rating=round(c.get("rating_sum", 0) / rated, 2) if rated else None,
        )


def _pct(part: int, whole: int) -> float | None:
    """Percentage rounded to 2 decimals; None (shown N/A) when there is nothing to count."""
    return round(100.0 * part / whole, 2) if whole else None


dossiers = DossierService()
