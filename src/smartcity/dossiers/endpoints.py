"""JSON API of the public services (thin: the service decides)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import Depends, File, Path, Query, Request, Response, UploadFile

from smartcity.core.auth import CurrentPrincipal, require_roles
from smartcity.core.clock import VN_TZ, utcnow
from smartcity.core.errors import NotFound, PayloadTooLarge
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_
from smartcity.core.models import Role
from smartcity.core.schemas import IsoDate, Page
from smartcity.core.storage import DOCUMENT_TYPES, get_storage
from smartcity.dossiers import payments
from smartcity.dossiers.errors import InvalidDossier
from smartcity.dossiers.flows import STATUS_LABELS, Action, Status
from smartcity.dossiers.schemas import (
    PRINTABLE,
    ActionRequest,
    ApologyRequest,
    AssignRequest,
    DossierCode,
    DossierCreate,
    DossierOut,
    PaymentInfo,
    PaymentNotificationOut,
    ProcedureCode,
    ProcedureFields,
    ProcedureSummary,
    ProcedureVersionOut,
    PublicStatus,
    QualityIndex,
    QueueItem,
    RatingRequest,
    SupplementAnswer,
    TransferRequest,
    UnitIndex,
    UploadedFile,
    VerifyCode,
    VerifyResult,
)
from smartcity.dossiers.service import dossiers

router = api_router(prefix="/api/v1", tags=["dossiers"])


#: Officer actions by URL name (citizen and bank actions have their own routes).
OFFICER_ACTIONS = {
    "accept": Action.accept,
    "refuse": Action.refuse,
    "start": Action.start,
    "request-supplement": Action.request_supplement,
    "request-fee": Action.request_fee,
    "stop": Action.stop,
    "return": Action.return_result,
}


def _out(session: SessionDep, dossier: object) -> DossierOut:
    return DossierOut.model_validate(dossiers.view(session, dossier))  # type: ignore[arg-type]


@router.get("/procedures", response_model=Page[ProcedureSummary])
def list_procedures(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, pattern=PRINTABLE)] = None,
    life_event: Annotated[str | None, Query(pattern=r"^[a-z_]{0,40}$")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Page[ProcedureSummary]:
    """Search the catalogue (accent-insensitive), optionally by life event."""
    rows, total = dossiers.search(session, q=q, life_event=life_event, limit=limit, offset=offset)
    return Page(
        items=[ProcedureSummary.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/procedures/{code}", response_model=ProcedureVersionOut)
def get_procedure(session: SessionDep, code: ProcedureCode) -> ProcedureVersionOut:
    return ProcedureVersionOut.model_validate(dossiers.current_version(session, code))


@router.get("/procedures/{code}/versions", response_model=list[ProcedureVersionOut])
def procedure_versions(session: SessionDep, code: ProcedureCode) -> list[ProcedureVersionOut]:
    return [ProcedureVersionOut.model_validate(v) for v in dossiers.versions(session, code)]


@router.put(
    "/procedures/{code}",
    response_model=ProcedureVersionOut,
    dependencies=[Depends(require_roles(Role.admin))],
)
def save_procedure(
    session: SessionDep, code: ProcedureCode, fields: ProcedureFields, principal: CurrentPrincipal
) -> ProcedureVersionOut:
    """Create or edit a procedure: every save is a new version; dossiers keep theirs."""
    if not (2 <= len(code) <= 30) or not all(c.isalnum() or c in ".-_" for c in code):
        raise InvalidDossier(N_("Mã thủ tục chỉ gồm chữ, số, dấu chấm và gạch."))
    return ProcedureVersionOut.model_validate(
        dossiers.update_procedure(session, code, fields, principal)
    )


@router.post("/attachments", response_model=UploadedFile, status_code=201)
async def upload_file(
    session: SessionDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG")],
) -> UploadedFile:
    """Upload one document (type checked by its bytes, size-limited) before filing."""
    storage = get_storage()
    data = await file.read(storage.max_bytes + 1)
    if len(data) > storage.max_bytes:
        raise PayloadTooLarge(
            N_("Tệp quá lớn; tối đa {limit} MB."), limit=storage.max_bytes // (1024 * 1024)
        )
    allowed = frozenset(t for t in DOCUMENT_TYPES if t != "image/webp")
    stored = storage.save(session, data, allowed=allowed, original_name=file.filename)
    return UploadedFile(
        sha256=stored.sha256, content_type=stored.content_type, size=stored.size, url=stored.url
    )


@router.post("/dossiers", response_model=DossierOut, status_code=201)
def file_dossier(
    session: SessionDep, principal: CurrentPrincipal, data: DossierCreate, response: Response
) -> DossierOut:
    """File a dossier online (citizens) — officers file at the desk with ``/desk``."""
    dossier = dossiers.submit(session, data, principal, channel="online")
    response.headers["Location"] = f"/api/v1/dossiers/{dossier.code}"
    return _out(session, dossier)


@router.post("/desk/dossiers", response_model=DossierOut, status_code=201)
def file_at_desk(
    session: SessionDep,
    principal: CurrentPrincipal,
    data: DossierCreate,
    received_unit: Annotated[str, Query(pattern=r"^(\d{5}|[A-Z]{2,19})$")] = "TTPVHCC",
) -> DossierOut:
    """One-stop reception at any service centre; routed to the competent unit, accepted."""
    dossier = dossiers.submit(session, data, principal, channel="desk", received_unit=received_unit)
    return _out(session, dossier)


@router.get("/dossiers/lookup", response_model=PublicStatus)
def lookup(
    session: SessionDep,
    code: Annotated[str, Query(pattern=r"^[0-9A-Za-z.\-]{3,60}$")],
    phone: Annotated[str | None, Query(pattern=r"^[0-9+ .()-]{1,20}$")] = None,
    id_number: Annotated[str | None, Query(pattern=r"^[0-9]{1,20}$")] = None,
) -> PublicStatus:
    """Public status by code + the applicant's phone or ID number (no personal data)."""
    return PublicStatus.model_validate(
        dossiers.public_status(session, code, phone=phone, id_number=id_number)
    )


@router.get("/dossiers/queue", response_model=list[QueueItem])
def officer_queue(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[QueueItem]:
    """Open dossiers of the officer's units, nearest deadline first."""
    rows = dossiers.queue(session, principal, limit=limit, offset=offset)
    return [
        QueueItem(
            code=d.code,
            status=d.status,
            status_label=STATUS_LABELS[Status(d.status)],
            unit_code=d.unit_code,
            applicant_name=d.applicant_name,
            submitted_at=d.submitted_at,
            current_due_at=d.current_due_at,
            paid=d.paid_at is not None,
        )
        for d in rows
    ]


@router.get("/dossiers/quality", response_model=QualityIndex)
def quality(
    session: SessionDep,
    start: IsoDate | None = None,
    end: IsoDate | None = None,
    unit: Annotated[str | None, Query(pattern=r"^(\d{5}|[A-Z]{2,19})$")] = None,
) -> QualityIndex:
    """Decision 766 indicators per unit for a period (default: this year so far)."""
    today = utcnow().astimezone(VN_TZ).date()
    return dossiers.quality_index(
        session, start=start or date(today.year, 1, 1), end=end or today, unit=unit
    )


@router.get("/dossiers/quality.csv", response_class=Response)
def quality_csv(
    session: SessionDep,
    start: IsoDate | None = None,
    end: IsoDate | None = None,
    unit: Annotated[str | None, Query(pattern=r"^(\d{5}|[A-Z]{2,19})$")] = None,
) -> Response:
    index = quality(session, start, end, unit)
    buffer = io.StringIO()
    fields = list(UnitIndex.model_fields)
    writer = csv.writer(buffer)
    writer.writerow(["start", "end", *fields])
    for row in [index.city, *index.units]:
        dumped = row.model_dump()
        writer.writerow([index.start, index.end, *(dumped[f] for f in fields)])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="chi-so-766.csv"'},
    )


@router.get("/dossiers/{code}", response_model=DossierOut)
def get_dossier(session: SessionDep, code: DossierCode, principal: CurrentPrincipal) -> DossierOut:
    """The full dossier and its timeline (applicant, officers of its unit, administrators)."""
    return _out(session, dossiers.get(session, code, principal))


@router.post("/dossiers/{code}/actions/{action}", response_model=DossierOut)
def officer_action(
    request: Request,
    session: SessionDep,
    code: DossierCode,
    action: Annotated[str, Path(pattern=r"^[a-z-]{2,30}$")],
    principal: CurrentPrincipal,
    body: ActionRequest | None = None,
) -> DossierOut:
    """accept · refuse · start · request-supplement · request-fee · approve · stop · return."""
    note = body.note if body else None
    if action == "approve":
        dossier = dossiers.approve(
            session, code, principal, base_url=str(request.base_url), note=note
        )
        return _out(session, dossier)
    if action not in OFFICER_ACTIONS:
        raise NotFound(N_("Không có thao tác {action}."), action=action[:40])
    return _out(session, dossiers.act(session, code, OFFICER_ACTIONS[action], principal, note=note))


@router.post("/dossiers/{code}/transfer", response_model=DossierOut)
def transfer(
    session: SessionDep, code: DossierCode, body: TransferRequest, principal: CurrentPrincipal
) -> DossierOut:
    return _out(
        session,
        dossiers.transfer(session, code, principal, unit_code=body.unit_code, note=body.note),
    )


@router.post("/dossiers/{code}/assign", response_model=DossierOut)
def assign(
    session: SessionDep, code: DossierCode, body: AssignRequest, principal: CurrentPrincipal
) -> DossierOut:
    return _out(
        session,
        dossiers.assign(session, code, principal, step=body.step, assignee_id=body.assignee_id),
    )


@router.post("/dossiers/{code}/apology", response_model=DossierOut)
def apology(
    session: SessionDep, code: DossierCode, body: ApologyRequest, principal: CurrentPrincipal
) -> DossierOut:
    """The apology slip with a new date when the dossier will be late."""
    return _out(
        session,
        dossiers.apologise(session, code, principal, new_due=body.new_due_date, reason=body.reason),
    )


@router.post("/dossiers/{code}/supplement", response_model=DossierOut)
def supplement(
    session: SessionDep, code: DossierCode, body: SupplementAnswer, principal: CurrentPrincipal
) -> DossierOut:
    """The citizen answers a supplement request."""
    return _out(
        session,
        dossiers.supplement(
            session, code, principal, note=body.note, attachments=list(body.attachments)
        ),
    )


@router.post("/dossiers/{code}/withdraw", response_model=DossierOut)
def withdraw(
    session: SessionDep,
    code: DossierCode,
    principal: CurrentPrincipal,
    body: ActionRequest | None = None,
) -> DossierOut:
    return _out(
        session,
        dossiers.act(session, code, Action.withdraw, principal, note=body.note if body else None),
    )


@router.post("/dossiers/{code}/rating", response_model=DossierOut)
def rate(
    session: SessionDep, code: DossierCode, body: RatingRequest, principal: CurrentPrincipal
) -> DossierOut:
    return _out(
        session, dossiers.rate(session, code, principal, score=body.score, comment=body.comment)
    )


@router.get("/dossiers/{code}/payment", response_model=PaymentInfo)
def payment(session: SessionDep, code: DossierCode, principal: CurrentPrincipal) -> PaymentInfo:
    """The VietQR payment code (EMVCo) carrying the dossier code."""
    return PaymentInfo.model_validate(dossiers.payment(session, code, principal))


@router.get("/dossiers/{code}/result.pdf", response_class=Response)
def result_pdf(session: SessionDep, code: DossierCode, principal: CurrentPrincipal) -> Response:
    name, data = dossiers.result_pdf(session, code, principal)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/payments/webhook", response_model=PaymentNotificationOut)
async def payment_webhook(request: Request, session: SessionDep) -> PaymentNotificationOut:
    """Bank notification: ``X-Signature: sha256=<HMAC(secret, timestamp + "." + body)>``,
    ``X-Timestamp`` within the tolerance; the transaction id makes it idempotent."""
    body = await request.body()
    record = dossiers.handle_notification(
        session,
        body,
        timestamp=request.headers.get(payments.TIMESTAMP_HEADER),
        signature=request.headers.get(payments.SIGNATURE_HEADER),
    )
    return PaymentNotificationOut(
        transaction_id=record.bank_transaction_id,
        outcome=record.outcome,
        dossier_code=payments.dossier_code_in(record.reference) if record.dossier_id else None,
    )


@router.get("/verify/{verify_code}", response_model=VerifyResult)
def verify_record(session: SessionDep, verify_code: VerifyCode) -> VerifyResult:
    result, code, name = dossiers.verification(session, verify_code)
    return VerifyResult(
        verify_code=result.verify_code,
        dossier_code=code,
        procedure_name=name,
        issued_at=result.issued_at,
        sha256=result.sha256,
        key_id=result.key_id,
    )


@router.post("/verify/{verify_code}", response_model=VerifyResult)
async def verify_upload(
    session: SessionDep, verify_code: VerifyCode, file: Annotated[UploadFile, File()]
) -> VerifyResult:
    """Is this PDF the signed, unaltered e-result?"""
    data = await file.read(get_storage().max_bytes + 1)
    record = verify_record(session, verify_code)
    record.authentic = dossiers.verify_file(session, verify_code, data)
    return record
