"""HTML pages of the public services (thin: forms in, the service decides, templates out).

Citizens: catalogue and search, the e-form with a review step, their dossier (receipt,
VietQR payment, timeline, supplement, withdraw, rating, e-result), public tracking.
Officers: the queue of their units and the processing page.  Everyone: the 766 quality
page and ``/verify/{code}``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import segno
from fastapi import Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from smartcity.core.auth import CurrentPrincipal, OptionalPrincipal, Principal
from smartcity.core.clock import VN_TZ, to_local, utcnow
from smartcity.core.csrf import verify_csrf
from smartcity.core.errors import PayloadTooLarge, SmartCityError
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_, language_of
from smartcity.core.models import Role
from smartcity.core.storage import JPEG, PDF, PNG, get_storage
from smartcity.dossiers import flows
from smartcity.dossiers.errors import InvalidDossier
from smartcity.dossiers.flows import STATUS_LABELS, Action, Actor, Status
from smartcity.dossiers.schemas import (
    PRINTABLE,
    DossierCode,
    DossierCreate,
    ProcedureCode,
    VerifyCode,
)
from smartcity.dossiers.service import dossiers
from smartcity.places.service import places
from smartcity.web.templating import render

router = api_router(tags=["pages"], include_in_schema=False)
_ALLOWED_UPLOADS = frozenset({PDF, JPEG, PNG})
_OFFICER_FORM_ACTIONS = {
    "accept": Action.accept,
    "refuse": Action.refuse,
    "start": Action.start,
    "request_supplement": Action.request_supplement,
    "request_fee": Action.request_fee,
    "stop": Action.stop,
    "return": Action.return_result,
}


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _common(session: SessionDep) -> dict[str, Any]:
    return {"status_labels": STATUS_LABELS, "local": to_local}


async def _store_uploads(session: SessionDep, files: list[UploadFile]) -> list[str]:
    storage = get_storage()
    hashes = []
    for upload in files:
        if not upload.filename:
            continue
        data = await upload.read(storage.max_bytes + 1)
        if not data:
            continue
        if len(data) > storage.max_bytes:
            raise PayloadTooLarge(
                N_("Tệp quá lớn; tối đa {limit} MB."), limit=storage.max_bytes // (1024 * 1024)
            )
        stored = storage.save(
            session, data, allowed=_ALLOWED_UPLOADS, original_name=upload.filename
        )
        hashes.append(stored.sha256)
    return hashes


def _coerce(schema: dict[str, Any], raw: dict[str, str]) -> dict[str, Any]:
    """Form strings to the types the e-form's JSON Schema expects (bad numbers stay strings
    so the schema reports them)."""
    form: dict[str, Any] = {}
    for name, spec in schema.get("properties", {}).items():
        value = raw.get(name, "").strip()
        if value == "":
            continue
        kind = spec.get("type")
        try:
            form[name] = (
                int(value) if kind == "integer" else float(value) if kind == "number" else value
            )
        except ValueError:
            form[name] = value
    return form


# --- citizens --------------------------------------------------------------------------


@router.get("/services", response_class=HTMLResponse)
def catalogue(
    request: Request,
    session: SessionDep,
    _principal: OptionalPrincipal,
    q: Annotated[str | None, Query(max_length=100, pattern=PRINTABLE)] = None,
    event: Annotated[str | None, Query(pattern=r"^[a-z_]{0,40}$")] = None,
) -> Response:
    rows, total = dossiers.search(session, q=q, life_event=event or None, limit=100, offset=0)
    return render(
        request,
        "dossiers/catalogue.html",
        {
            "procedures": rows,
            "total": total,
            "q": q or "",
            "event": event or "",
            "life_events": dossiers.life_events(),
        },
    )


@router.get("/services/procedures/{code}", response_class=HTMLResponse)
def procedure_page(
    request: Request, session: SessionDep, code: ProcedureCode, principal: OptionalPrincipal
) -> Response:
    version = dossiers.current_version(session, code)
    return render(request, "dossiers/procedure.html", _form_context(session, version, principal))


def _form_context(
    session: SessionDep, version: Any, principal: Principal | None, **extra: Any
) -> dict[str, Any]:
    user = principal.user if principal else None
    return {
        "version": version,
        "wards": places.list_wards(session, limit=200).items if version.level == "ward" else [],
        "values": {},
        "applicant": {"name": user.full_name if user else "", "email": user.email if user else ""},
        "errors": {},
        **extra,
    }


@router.post("/services/procedures/{code}", dependencies=[Depends(verify_csrf)])
async def procedure_submit(
    request: Request, session: SessionDep, code: ProcedureCode, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return _login_redirect(request)
    language = language_of(request)
    version = dossiers.current_version(session, code)
    form = await request.form()
    if form.get("step") == "submit":
        try:
            data = DossierCreate.model_validate_json(str(form.get("payload", "")))
        except ValidationError:
            raise InvalidDossier(
                N_("Dữ liệu xem lại không hợp lệ; hãy điền lại biểu mẫu.")
            ) from None
        dossier = dossiers.submit(session, data, principal, channel="online")
        return RedirectResponse(f"/services/dossiers/{dossier.code}", status_code=303)
    raw = {k[2:]: str(v) for k, v in form.items() if k.startswith("f.") and isinstance(v, str)}
    uploads = [f for f in form.getlist("documents") if isinstance(f, UploadFile)]
    ward = str(form.get("ward_code", "")).strip()
    values = {
        "applicant_name": str(form.get("applicant_name", "")),
        "applicant_id_number": str(form.get("applicant_id_number", "")).strip(),
        "applicant_phone": str(form.get("applicant_phone", "")).strip(),
        "ward_code": ward,
        **{f"f.{k}": v for k, v in raw.items()},
    }
    try:
        hashes = await _store_uploads(session, uploads)
        data = DossierCreate(
            procedure_code=version.code,
            ward_code=int(ward) if ward.isdigit() else None,
            applicant_name=values["applicant_name"] or "-",
            applicant_id_number=values["applicant_id_number"] or "-",
            applicant_phone=values["applicant_phone"] or "-",
            applicant_email=principal.user.email if principal.user else None,
            form=_coerce(version.form_schema, raw),
            attachments=hashes,
        )
        dossiers.validate_filing(session, data, online=True)
    except SmartCityError as error:
        errors = {e["field"]: e["message"] for e in error.extra.get("errors", [])}
        context = _form_context(
            session,
            version,
            principal,
            values=values,
            errors=errors,
            error=error.detail(language),
        )
        return render(request, "dossiers/procedure.html", context, status_code=error.status)
    names = {
        name: str(spec.get("title", name))
        for name, spec in version.form_schema.get("properties", {}).items()
    }
    return render(
        request,
        "dossiers/review.html",
        {
            "version": version,
            "data": data,
            "payload": data.model_dump_json(),
            "names": names,
            "ward_name": dossiers.unit_name(session, ward) if ward.isdigit() else None,
        },
    )


def _qr_data_uri(payload: str) -> str:
    return str(segno.make(payload, error="m").png_data_uri(scale=5, border=2))


@router.get("/services/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(
    request: Request, session: SessionDep, code: DossierCode, principal: OptionalPrincipal
) -> Response:
    if principal is None:
        return _login_redirect(request)
    dossier = dossiers.get(session, code, principal)
    view = dossiers.view(session, dossier)
    payment = None
    if dossier.fee_vnd > 0:
        payment = dossiers.payment(session, code, principal)
        payment["qr_image"] = _qr_data_uri(payment["qr_payload"])
    citizen_actions = (
        flows.actions_from(Status(dossier.status), Actor.citizen)
        if principal.user and dossier.applicant_user_id == principal.user.id
        else []
    )
    return render(
        request,
        "dossiers/dossier.html",
        {
            **_common(session),
            "d": view,
            "payment": payment,
            "citizen_actions": citizen_actions,
            "unit_name": dossiers.unit_name(session, dossier.unit_code),
            "can_rate": dossier.status in (Status.done, Status.returned)
            and dossier.rating is None
            and bool(
                citizen_actions is not None
                and principal.user
                and dossier.applicant_user_id == principal.user.id
            ),
        },
    )


@router.post("/services/dossiers/{code}/supplement", dependencies=[Depends(verify_csrf)])
async def supplement_submit(
    request: Request, session: SessionDep, code: DossierCode, principal: CurrentPrincipal
) -> Response:
    form = await request.form()
    uploads = [f for f in form.getlist("documents") if isinstance(f, UploadFile)]
    hashes = await _store_uploads(session, uploads)
    note = str(form.get("note", "")).strip() or "-"
    dossiers.supplement(session, code, principal, note=note[:2000], attachments=hashes)
    return RedirectResponse(f"/services/dossiers/{code}", status_code=303)


@router.post("/services/dossiers/{code}/withdraw", dependencies=[Depends(verify_csrf)])
def withdraw_submit(
    session: SessionDep, code: DossierCode, principal: CurrentPrincipal
) -> Response:
    dossiers.act(session, code, Action.withdraw, principal)
    return RedirectResponse(f"/services/dossiers/{code}", status_code=303)


@router.post("/services/dossiers/{code}/rating", dependencies=[Depends(verify_csrf)])
def rating_submit(
    session: SessionDep,
    code: DossierCode,
    principal: CurrentPrincipal,
    score: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    dossiers.rate(session, code, principal, score=score, comment=comment or None)
    return RedirectResponse(f"/services/dossiers/{code}", status_code=303)


@router.get("/services/dossiers/{code}/result.pdf")
def result_download(
    session: SessionDep, code: DossierCode, principal: CurrentPrincipal
) -> Response:
    name, data = dossiers.result_pdf(session, code, principal)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/services/mine", response_class=HTMLResponse)
def my_dossiers(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return _login_redirect(request)
    return render(
        request,
        "dossiers/mine.html",
        {**_common(session), "rows": dossiers.my_dossiers(session, principal)},
    )


@router.get("/services/track", response_class=HTMLResponse)
def track(
    request: Request,
    session: SessionDep,
    _principal: OptionalPrincipal,
    code: Annotated[str, Query(max_length=60, pattern=PRINTABLE)] = "",
    contact: Annotated[str, Query(max_length=20, pattern=PRINTABLE)] = "",
) -> Response:
    found, error = None, None
    if code and contact:
        digits = contact.strip()
        try:
            found = dossiers.public_status(
                session,
                code,
                phone=digits if len(digits) != 12 else None,
                id_number=digits if len(digits) == 12 else None,
            )
        except SmartCityError as failure:
            error = failure.detail(language_of(request))
    return render(
        request,
        "dossiers/track.html",
        {**_common(session), "found": found, "error": error, "code": code, "contact": contact},
        status_code=404 if error else 200,
    )


# --- officers --------------------------------------------------------------------------


def _officer(request: Request, principal: Principal | None) -> Principal | None:
    if principal is None or not principal.has_role(Role.officer, Role.admin):
        return None
    return principal


@router.get("/services/office", response_class=HTMLResponse)
def office_queue(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    officer = _officer(request, principal)
    if officer is None:
        return _login_redirect(request)
    rows = dossiers.queue(session, officer, limit=100)
    return render(
        request,
        "dossiers/office.html",
        {**_common(session), "rows": rows, "now": utcnow()},
    )


@router.get("/services/office/{code}", response_class=HTMLResponse)
def office_dossier(
    request: Request, session: SessionDep, code: DossierCode, principal: OptionalPrincipal
) -> Response:
    officer = _officer(request, principal)
    if officer is None:
        return _login_redirect(request)
    dossier = dossiers.get(session, code, officer)
    actions = flows.actions_from(Status(dossier.status), Actor.officer)
    schema = dossiers.version_of(session, dossier).form_schema
    names = {k: str(v.get("title", k)) for k, v in schema.get("properties", {}).items()}
    return render(
        request,
        "dossiers/office_dossier.html",
        {
            **_common(session),
            "d": dossiers.view(session, dossier),
            "actions": actions,
            "names": names,
            "unit_name": dossiers.unit_name(session, dossier.unit_code),
        },
    )


@router.post("/services/office/{code}/{action}", dependencies=[Depends(verify_csrf)])
def office_act(
    request: Request,
    session: SessionDep,
    code: DossierCode,
    action: str,
    principal: CurrentPrincipal,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if action == "approve":
        dossiers.approve(
            session, code, principal, base_url=str(request.base_url), note=note or None
        )
    elif action == "step":
        dossiers.assign(session, code, principal, step=note[:60] or "-", assignee_id=None)
    elif action in _OFFICER_FORM_ACTIONS:
        dossiers.act(session, code, _OFFICER_FORM_ACTIONS[action], principal, note=note or None)
    else:
        raise InvalidDossier(N_("Không có thao tác {action}."), action=action[:40])
    return RedirectResponse(f"/services/office/{code}", status_code=303)


# --- everyone --------------------------------------------------------------------------


@router.get("/services/quality", response_class=HTMLResponse)
def quality_page(
    request: Request,
    session: SessionDep,
    _principal: OptionalPrincipal,
    start: date | None = None,
    end: date | None = None,
) -> Response:
    today = utcnow().astimezone(VN_TZ).date()
    start = start or date(today.year, 1, 1)
    end = end or today
    index = dossiers.quality_index(session, start=start, end=end)
    return render(request, "dossiers/quality.html", {"index": index, "start": start, "end": end})


@router.get("/verify/{verify_code}", response_class=HTMLResponse)
def verify_page(
    request: Request, session: SessionDep, verify_code: VerifyCode, _principal: OptionalPrincipal
) -> Response:
    result, code, name = dossiers.verification(session, verify_code)
    return render(
        request,
        "dossiers/verify.html",
        {
            "result": result,
            "dossier_code": code,
            "procedure_name": name,
            "local": to_local,
            "stored_ok": dossiers.stored_result_intact(session, result),
            "checked": None,
        },
    )


@router.post("/verify/{verify_code}", dependencies=[Depends(verify_csrf)])
async def verify_page_upload(
    request: Request, session: SessionDep, verify_code: VerifyCode
) -> Response:
    form = await request.form()
    upload = form.get("file")
    data = b""
    if isinstance(upload, UploadFile):
        data = await upload.read(get_storage().max_bytes + 1)
    result, code, name = dossiers.verification(session, verify_code)
    authentic = bool(data) and dossiers.verify_file(session, verify_code, data)
    return render(
        request,
        "dossiers/verify.html",
        {
            "result": result,
            "dossier_code": code,
            "procedure_name": name,
            "local": to_local,
            "stored_ok": dossiers.stored_result_intact(session, result),
            "checked": authentic,
        },
    )
