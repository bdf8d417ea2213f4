"""Rules of citizen reports: intake and routing, duplicates, the officer workflow with
working-day deadlines, notifications, ratings, reopening and the per-ward statistics."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from smartcity.core import audit
from smartcity.core.auth import Principal
from smartcity.core.clock import VN_TZ, utcnow
from smartcity.core.events import publish_after_commit
from smartcity.core.geo import box_around
from smartcity.core.i18n import N_, gettext
from smartcity.core.models import Role
from smartcity.core.storage import IMAGE_TYPES, get_storage
from smartcity.core.workdays import WorkCalendar
from smartcity.places.service import places as places_service
from smartcity.reports import repository
from smartcity.reports.errors import (
    ActionIncomplete,
    CategoryNotFound,
    InvalidTransition,
    LocationRequired,
    NotYourReport,
    OutsideCityLocation,
    OutsideOfficerScope,
    ReportNotFound,
    TooManyPhotos,
)
from smartcity.reports.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Agency,
    AgencyKind,
    Category,
    EventKind,
    Notification,
    OutboxMessage,
    Report,
    ReportEvent,
    ReportStatus,
    Supporter,
)
from smartcity.reports.repository import ReportFilter
from smartcity.reports.schemas import (
    DEPTH_LEVEL_CM,
    MAX_PHOTOS,
    ActionRequest,
    MapPoint,
    MapPoints,
    NearbyReport,
    ReportAction,
    ReportCreate,
    ReportOut,
    ReportPage,
    ReportSummary,
    TimelineEntry,
    WardStatsOut,
)
from smartcity.roads.service import roads as roads_service

log = logging.getLogger(__name__)

#: Grid of the ``cell`` column, in degrees (about 1.1 km at HCMC's latitude).
CELL_DEGREES = 0.01
#: A map box spanning more cells than this is read without the cell index (it is dense).
MAX_MAP_CELLS = 400
#: "Is it this one?": open reports of the same category this close are offered.
DUPLICATE_RADIUS_M = 150.0
#: The reporter may reopen a closed report once, this many days after it closed.
REOPEN_DAYS = 7
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class CategoryDefault:
    code: str
    name: str
    description: str
    agency_kind: AgencyKind
    field_set: str = ""


#: The ten categories of the issue; deadlines start at the national PAKN defaults (2/5/15).
DEFAULT_CATEGORIES: tuple[CategoryDefault, ...] = (
    CategoryDefault(
        "traffic",
        N_("Giao thông"),
        N_("Kẹt xe, tai nạn, đèn tín hiệu hỏng."),
        AgencyKind.traffic_centre,
        "traffic",
    ),
    CategoryDefault(
        "flooding",
        N_("Ngập nước, thoát nước"),
        N_("Đường ngập, cống nghẹt, nắp cống hỏng."),
        AgencyKind.drainage,
        "flood",
    ),
    CategoryDefault(
        "roads",
        N_("Đường sá, vỉa hè"),
        N_("Ổ gà, sụt lún, vỉa hè hư hỏng."),
        AgencyKind.construction,
    ),
    CategoryDefault(
        "lighting",
        N_("Chiếu sáng"),
        N_("Đèn đường không sáng hoặc sáng ban ngày."),
        AgencyKind.construction,
    ),
    CategoryDefault(
        "trees", N_("Cây xanh"), N_("Cây ngã, cành gãy, cây nguy hiểm."), AgencyKind.construction
    ),
    CategoryDefault(
        "rubbish",
        N_("Rác thải, môi trường"),
        N_("Rác tồn đọng, đổ trộm phế thải, ô nhiễm."),
        AgencyKind.environment,
    ),
    CategoryDefault(
        "encroachment",
        N_("Trật tự đô thị, lấn chiếm"),
        N_("Lấn chiếm vỉa hè, lòng đường, xây dựng trái phép."),
        AgencyKind.ward_committee,
    ),
    CategoryDefault(
        "noise", N_("Tiếng ồn"), N_("Karaoke, công trình ồn ngoài giờ."), AgencyKind.ward_committee
    ),
    CategoryDefault(
        "public_services",
        N_("Dịch vụ công"),
        N_("Thái độ, thủ tục tại cơ quan nhà nước."),
        AgencyKind.ward_committee,
    ),
    CategoryDefault("other", N_("Khác"), N_("Những việc khác."), AgencyKind.ward_committee),
)

#: City-wide agencies (the ward committees are made per ward on first use).
DEFAULT_AGENCIES: tuple[tuple[str, AgencyKind, str], ...] = (
    ("SXD", AgencyKind.construction, "Sở Xây dựng"),
    ("TTQLGT", AgencyKind.traffic_centre, "Trung tâm Quản lý Giao thông công cộng"),
    ("CTTN", AgencyKind.drainage, "Công ty TNHH MTV Thoát nước Đô thị"),
    ("CTMTDT", AgencyKind.environment, "Công ty TNHH MTV Môi trường Đô thị"),
    ("CA-TTDT", AgencyKind.urban_order, "Công an Thành phố (trật tự đô thị)"),
)

#: Message sent to subscribers for each new status.
STATUS_MESSAGES: dict[ReportStatus, str] = {
    ReportStatus.received: N_("Phản ánh #{id} đã được tiếp nhận."),
    ReportStatus.assigned: N_("Phản ánh #{id} đã được giao cho cán bộ xử lý."),
    ReportStatus.in_progress: N_("Phản ánh #{id} đang được xử lý."),
    ReportStatus.waiting_info: N_("Phản ánh #{id}: cơ quan cần bạn bổ sung thông tin."),
    ReportStatus.resolved: N_("Phản ánh #{id} đã được xử lý; mời bạn xem trả lời và đánh giá."),
    ReportStatus.rejected: N_("Phản ánh #{id} bị từ chối; xem lý do trên trang phản ánh."),
}


def ward_agency_code(ward_code: int) -> str:
    return f"UBND-{ward_code}"


def grid_cell(lon: float, lat: float) -> int:
    return math.floor(lat / CELL_DEGREES) * 100_000 + math.floor(lon / CELL_DEGREES)


def cells_in_box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> list[int]:
    lat_range = range(math.floor(min_lat / CELL_DEGREES), math.floor(max_lat / CELL_DEGREES) + 1)
    lon_range = range(math.floor(min_lon / CELL_DEGREES), math.floor(max_lon / CELL_DEGREES) + 1)
    return [la * 100_000 + lo for la in lat_range for lo in lon_range]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def period_of(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%Y-%m")


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _actor(principal: Principal | None) -> str:
    return principal.actor if principal is not None else "anonymous"


@dataclass(frozen=True)
class Photo:
    data: bytes
    name: str | None = None


@dataclass(frozen=True)
class CreatedReport:
    report: Report
    reporter_key: str | None


class ReportsService:
    # --- reference data ---------------------------------------------------------------

    def seed(self, session: Session) -> None:
        """Seeder: the default agencies and categories (existing rows are left as edited)."""
        known_agencies = repository.agency_codes(session)
        for code, kind, name in DEFAULT_AGENCIES:
            if code not in known_agencies:
                session.add(Agency(code=code, kind=kind, name=name))
        known = repository.category_codes(session)
        for order, default in enumerate(DEFAULT_CATEGORIES):
            if default.code not in known:
                session.add(
                    Category(
                        code=default.code,
                        name=default.name,
                        description=default.description,
                        agency_kind=default.agency_kind,
                        field_set=default.field_set,
                        sort_order=order,
                    )
                )
        session.flush()

    def categories(self, session: Session) -> Sequence[Category]:
        return repository.categories(session)

    def category(self, session: Session, code: str) -> Category:
        found = repository.category(session, code)
        if found is None or not found.active:
            raise CategoryNotFound(N_("Không có lĩnh vực “{code}”."), code=code)
        return found

    def agency_for(self, session: Session, *, kind: AgencyKind, ward_code: int) -> Agency:
        """The office handling ``kind`` at ``ward_code`` (ward committees made on first use)."""
        if kind is not AgencyKind.ward_committee:
            found = repository.city_agency_of_kind(session, kind)
            if found is not None:
                return found
        code = ward_agency_code(ward_code)
        found = repository.agency(session, code)
        if found is None:
            ward_name = places_service.ward_names(session, {ward_code}).get(
                ward_code, str(ward_code)
            )
            found = Agency(
                code=code,
                kind=AgencyKind.ward_committee,
                name=f"UBND {ward_name}",
                ward_code=ward_code,
            )
            repository.add(session, found)
        return found

    # --- intake -----------------------------------------------------------------------

    def create(
        self,
        session: Session,
        *,
        data: ReportCreate,
        photos: Sequence[Photo] = (),
        principal: Principal | None,
        now: datetime | None = None,
    ) -> CreatedReport:
        now = now or utcnow()
        category = self.category(session, data.category)
        if len(photos) > MAX_PHOTOS:
            raise TooManyPhotos(N_("Tối đa {limit} ảnh cho một phản ánh."), limit=MAX_PHOTOS)
        lon, lat = self._location(session, data)
        ward_code = places_service.ward_code_at(session, lon, lat)
        if ward_code is None:
            raise OutsideCityLocation(
                N_("Vị trí ({lon}, {lat}) không thuộc phường, xã nào của Thành phố."),
                lon=round(lon, 6),
                lat=round(lat, 6),
            )
        storage = get_storage()
        stored = [
            storage.save(session, photo.data, allowed=IMAGE_TYPES, original_name=photo.name).sha256
            for photo in photos
        ]
        agency = self.agency_for(session, kind=category.agency_kind, ward_code=ward_code)
        calendar = WorkCalendar.from_database(session)
        reporter = principal.user if principal is not None else None
        reporter_key = None if reporter is not None else secrets.token_urlsafe(18)
        report = Report(
            category_code=category.code,
            status=ReportStatus.received,
            description=data.description,
            lon=lon,
            lat=lat,
            cell=grid_cell(lon, lat),
            address=data.address,
            ward_code=ward_code,
            agency_code=agency.code,
            reporter_id=reporter.id if reporter is not None else None,
            reporter_key_hash=_hash_key(reporter_key) if reporter_key else None,
            anonymous=data.anonymous,
            contact_name=None if data.anonymous else data.contact_name,
            contact_email=None if data.anonymous else data.contact_email,
            contact_phone=None if data.anonymous else data.contact_phone,
            fields=self._fields(category, data),
            photos=stored,
            acknowledge_due_at=calendar.due_at(now, category.acknowledge_days),
            due_at=calendar.due_at(now, category.handle_days),
            period=period_of(now),
            created_at=now,
            updated_at=now,
        )
        repository.add(session, report)
        self._event(session, report, EventKind.received, principal, at=now)
        repository.bump_stats(session, ward_code=ward_code, period=report.period, received=1)
        audit.record(
            session,
            actor=_actor(principal),
            action="report.created",
            entity_type="report",
            entity_id=report.id,
            data={"category": category.code, "ward_code": ward_code, "agency": agency.code},
        )
        publish_after_commit(
            session,
            "report.created",
            report_id=report.id,
            category=category.code,
            lon=lon,
            lat=lat,
            ward_code=ward_code,
            status=report.status.value,
            fields=report.fields,
        )
        return CreatedReport(report=report, reporter_key=reporter_key)

    def _location(self, session: Session, data: ReportCreate) -> tuple[float, float]:
        if data.lon is not None and data.lat is not None:
            return data.lon, data.lat
        if data.address:
            found = roads_service.geocode(session, query=data.address)
            return found.lon, found.lat
        raise LocationRequired(
            N_("Hãy chọn vị trí trên bản đồ, dùng GPS hoặc nhập địa chỉ của sự việc.")
        )

    @staticmethod
    def _fields(category: Category, data: ReportCreate) -> dict[str, Any]:
        given = data.fields
        if category.field_set == "flood":
            depth = given.water_depth_cm
            if depth is None and given.water_depth_level is not None:
                depth = DEPTH_LEVEL_CM[given.water_depth_level]
            values: dict[str, Any] = {"water_depth_cm": depth}
            if given.water_depth_level is not None:
                values["water_depth_level"] = given.water_depth_level.value
            return {k: v for k, v in values.items() if v is not None}
        if category.field_set == "traffic":
            values = {
                "jam_severity": given.jam_severity.value if given.jam_severity else None,
                "blocked_lanes": given.blocked_lanes,
            }
            return {k: v for k, v in values.items() if v is not None}
        return {}

    def nearby(
        self,
        session: Session,
        *,
        category: str,
        lon: float,
        lat: float,
        radius_m: float = DUPLICATE_RADIUS_M,
        limit: int = 5,
    ) -> list[NearbyReport]:
        """Open reports of the same category near a point: "is it this one?"."""
        cells = cells_in_box(*box_around(lon, lat, radius_m))
        found = []
        for report in repository.open_reports_in_cells(
            session, category=category, cells=cells, limit=200
        ):
            distance = distance_m(lon, lat, report.lon, report.lat)
            if distance <= radius_m:
                found.append(
                    NearbyReport(
                        id=report.id,
                        category_code=report.category_code,
                        status=report.status,
                        description=report.description[:300],
                        distance_m=round(distance, 1),
                        supporters=report.supporters,
                        created_at=report.created_at,
                    )
                )
        found.sort(key=lambda r: r.distance_m)
        return found[:limit]

    def support(
        self, session: Session, *, report_id: int, principal: Principal | None, email: str | None
    ) -> Report:
        """Join an open report instead of filing a duplicate; the supporter is subscribed."""
        report = self._get_for_update(session, report_id)
        if report.status not in OPEN_STATUSES:
            raise InvalidTransition(N_("Phản ánh đã đóng; hãy gửi phản ánh mới nếu sự việc còn."))
        user = principal.user if principal is not None else None
        if user is None and not email:
            raise ActionIncomplete(N_("Hãy đăng nhập hoặc để lại email để nhận cập nhật."))
        if user is not None and (
            user.id == report.reporter_id or repository.supporter(session, report.id, user.id)
        ):
            return report  # already following it: supporting twice changes nothing
        repository.add(
            session,
            Supporter(report_id=report.id, user_id=user.id if user else None, email=email),
        )
        report.supporters += 1
        self._event(session, report, EventKind.supported, principal)
        return report

    # --- reading ----------------------------------------------------------------------

    def get(self, session: Session, report_id: int) -> Report:
        report = repository.get_report(session, report_id)
        if report is None:
            raise ReportNotFound(N_("Không có phản ánh số {id}."), id=report_id)
        return report

    def _get_for_update(self, session: Session, report_id: int) -> Report:
        report = repository.get_report_for_update(session, report_id)
        if report is None:
            raise ReportNotFound(N_("Không có phản ánh số {id}."), id=report_id)
        return report

    def public(self, session: Session, report_id: int, *, now: datetime | None = None) -> ReportOut:
        report = self.get(session, report_id)
        now = now or utcnow()
        names = places_service.ward_names(session, {report.ward_code})
        agencies = repository.agency_names(session, {report.agency_code})
        out = ReportOut.model_validate(report)
        out.ward_name = names.get(report.ward_code)
        out.agency_name = agencies.get(report.agency_code)
        out.overdue = self.is_overdue(report, now)
        out.timeline = [
            TimelineEntry.model_validate(event) for event in repository.timeline(session, report.id)
        ]
        return out

    @staticmethod
    def is_overdue(report: Report, now: datetime) -> bool:
        if report.status in CLOSED_STATUSES:
            return report.closed_at is not None and report.closed_at > report.due_at
        if report.status is ReportStatus.waiting_info:
            return report.paused_at is not None and report.paused_at > report.due_at
        return now > report.due_at

    def list_page(
        self, session: Session, *, where: ReportFilter, before: int | None, limit: int
    ) -> ReportPage:
        rows = repository.list_reports(session, where, before=before, limit=limit + 1)
        items = [ReportSummary.model_validate(r) for r in rows[:limit]]
        return ReportPage(
            items=items, limit=limit, next_before=items[-1].id if len(rows) > limit else None
        )

    def list_rows(self, session: Session, *, where: ReportFilter, limit: int) -> Sequence[Report]:
        return repository.list_reports(session, where, before=None, limit=limit)

    def rows_in_box(
        self,
        session: Session,
        *,
        where: ReportFilter,
        bbox: tuple[float, float, float, float],
        limit: int,
    ) -> Sequence[Report]:
        return repository.reports_in_box(session, where, bbox=bbox, limit=limit)

    def map_points(
        self,
        session: Session,
        *,
        where: ReportFilter,
        bbox: tuple[float, float, float, float],
        limit: int,
    ) -> MapPoints:
        cells = cells_in_box(*bbox)
        rows = repository.map_points(
            session,
            where,
            bbox=bbox,
            cells=cells if len(cells) <= MAX_MAP_CELLS else None,
            limit=limit + 1,
        )
        return MapPoints(
            items=[
                MapPoint(id=i, lon=lo, lat=la, category=c, status=s)
                for i, lo, la, c, s in rows[:limit]
            ],
            truncated=len(rows) > limit,
        )

    def timeline(self, session: Session, report_id: int) -> Sequence[ReportEvent]:
        return repository.timeline(session, report_id)

    # --- officers ---------------------------------------------------------------------

    def can_handle(self, principal: Principal | None, report: Report) -> bool:
        """Administrators anywhere; officers of the report's agency, and for a city-wide
        agency only in their wards (an officer without wards covers the whole city)."""
        if principal is None:
            return False
        if principal.is_admin:
            return True
        if not principal.can_act_for_agency(report.agency_code):
            return False
        user = principal.user
        assert user is not None
        return not user.ward_codes or principal.can_act_on_ward(report.ward_code)

    def queue(
        self,
        session: Session,
        *,
        principal: Principal,
        include_closed: bool = False,
        limit: int = 200,
    ) -> Sequence[Report]:
        statuses = (*OPEN_STATUSES, *CLOSED_STATUSES) if include_closed else OPEN_STATUSES
        user = principal.user
        if principal.is_admin:
            return repository.queue(
                session, agency_code=None, ward_codes=None, statuses=statuses, limit=limit
            )
        if user is None or principal.role is not Role.officer or not user.agency_code:
            raise OutsideOfficerScope(N_("Chỉ cán bộ của một đơn vị mới có hàng đợi phản ánh."))
        return repository.queue(
            session,
            agency_code=user.agency_code,
            ward_codes=user.ward_codes or None,
            statuses=statuses,
            limit=limit,
        )

    def act(
        self,
        session: Session,
        *,
        report_id: int,
        request: ActionRequest,
        principal: Principal,
        photos: Sequence[Photo] = (),
        now: datetime | None = None,
    ) -> Report:
        report = self._get_for_update(session, report_id)
        if not self.can_handle(principal, report):
            raise OutsideOfficerScope(
                N_("Phản ánh số {id} không thuộc đơn vị hoặc phường của bạn."), id=report_id
            )
        self._apply(session, report, request, principal, photos, now or utcnow())
        return report

    def bulk_act(
        self,
        session: Session,
        *,
        report_ids: Sequence[int],
        request: ActionRequest,
        principal: Principal,
        now: datetime | None = None,
    ) -> list[Report]:
        """One action on many reports: all of them or none (checked before any change)."""
        ids = sorted(set(report_ids))
        reports = list(repository.reports_by_ids(session, ids))
        missing = sorted(set(ids) - {r.id for r in reports})
        if missing:
            raise ReportNotFound(N_("Không có phản ánh số {id}."), id=missing[0])
        for report in reports:
            if not self.can_handle(principal, report):
                raise OutsideOfficerScope(
                    N_("Phản ánh số {id} không thuộc đơn vị hoặc phường của bạn."), id=report.id
                )
        moment = now or utcnow()
        for report in reports:
            self._apply(session, report, request, principal, (), moment)
        return reports

    def _apply(
        self,
        session: Session,
        report: Report,
        request: ActionRequest,
        principal: Principal,
        photos: Sequence[Photo],
        now: datetime,
    ) -> None:
        action = request.action
        old = report.status
        if old in CLOSED_STATUSES:
            raise InvalidTransition(
                N_("Phản ánh số {id} đã đóng ({status})."), id=report.id, status=old.value
            )
        if photos and action is not ReportAction.resolve:
            raise ActionIncomplete(N_("Chỉ gửi ảnh kèm khi trả lời kết quả xử lý."))
        if old is ReportStatus.waiting_info and action not in (
            ReportAction.resolve,
            ReportAction.reject,
            ReportAction.transfer,
        ):
            raise InvalidTransition(
                N_("Phản ánh số {id} đang chờ người dân bổ sung thông tin."), id=report.id
            )
        event_kind: EventKind
        new = old
        note = request.note
        user = principal.user
        if action is ReportAction.accept:
            if old is not ReportStatus.received:
                raise InvalidTransition(N_("Phản ánh số {id} đã được tiếp nhận."), id=report.id)
            new, event_kind = ReportStatus.assigned, EventKind.assigned
            report.assignee_id = user.id if user is not None else None
        elif action is ReportAction.assign:
            if request.assignee_id is None:
                raise ActionIncomplete(N_("Hãy chọn cán bộ được giao."))
            new, event_kind = ReportStatus.assigned, EventKind.assigned
            report.assignee_id = request.assignee_id
        elif action is ReportAction.start:
            new, event_kind = ReportStatus.in_progress, EventKind.in_progress
        elif action is ReportAction.request_info:
            if not note:
                raise ActionIncomplete(N_("Hãy ghi rõ thông tin cần người dân bổ sung."))
            new, event_kind = ReportStatus.waiting_info, EventKind.info_requested
            report.paused_at = now
            report.info_requests += 1
        elif action is ReportAction.transfer:
            new, event_kind = ReportStatus.received, EventKind.transferred
            self._resume(session, report, now)
            target = self._transfer_target(session, report, request.agency)
            report.agency_code = target.code
            report.assignee_id = None
            # Deadlines run again from the transfer (PAKN rule: "from receipt or transfer").
            category = self.category(session, report.category_code)
            calendar = WorkCalendar.from_database(session)
            report.acknowledge_due_at = calendar.due_at(now, category.acknowledge_days)
            report.due_at = calendar.due_at(now, category.handle_days)
            note = note or target.name
        elif action is ReportAction.resolve:
            if not note:
                raise ActionIncomplete(N_("Hãy nhập nội dung trả lời cho người dân."))
            new, event_kind = ReportStatus.resolved, EventKind.resolved
            storage = get_storage()
            report.answer = note
            report.answer_photos = [
                storage.save(session, p.data, allowed=IMAGE_TYPES, original_name=p.name).sha256
                for p in photos[:MAX_PHOTOS]
            ]
            if len(photos) > MAX_PHOTOS:
                raise TooManyPhotos(N_("Tối đa {limit} ảnh cho một phản ánh."), limit=MAX_PHOTOS)
        else:  # reject
            if not note:
                raise ActionIncomplete(N_("Hãy nêu lý do từ chối."))
            new, event_kind = ReportStatus.rejected, EventKind.rejected
            report.reason = note
        if new in CLOSED_STATUSES:
            self._close(session, report, now)
        report.status = new
        report.updated_at = now
        self._event(
            session,
            report,
            event_kind,
            principal,
            at=now,
            note=note,
            photos=report.answer_photos if event_kind is EventKind.resolved else [],
        )
        audit.record(
            session,
            actor=principal.actor,
            action=f"report.{action.value}",
            entity_type="report",
            entity_id=report.id,
            data={"from": old.value, "to": new.value, "agency": report.agency_code, "note": note},
        )
        self._status_changed(session, report, old, new)

    def _transfer_target(self, session: Session, report: Report, target: str | None) -> Agency:
        if not target:
            raise ActionIncomplete(N_("Hãy chọn đơn vị nhận chuyển."))
        found = repository.agency(session, target)
        if found is None:
            try:
                kind = AgencyKind(target)
            except ValueError:
                raise ActionIncomplete(N_("Không có đơn vị “{code}”."), code=target) from None
            found = self.agency_for(session, kind=kind, ward_code=report.ward_code)
        if found.code == report.agency_code:
            raise InvalidTransition(N_("Phản ánh đã thuộc đơn vị này."))
        return found

    def _resume(self, session: Session, report: Report, now: datetime) -> None:
        """Restart a stopped clock: the deadline moves by the working days it was stopped."""
        if report.paused_at is None:
            return
        calendar = WorkCalendar.from_database(session)
        report.due_at = calendar.extend_for_pause(report.due_at, report.paused_at, now)
        report.paused_at = None

    def _close(self, session: Session, report: Report, now: datetime) -> None:
        # Per the 766 formula, an answer given while waiting counts at the moment of asking.
        end = report.paused_at or now
        report.paused_at = None
        report.closed_at = now
        on_time = end <= report.due_at
        repository.bump_stats(
            session,
            ward_code=report.ward_code,
            period=report.period,
            closed=1,
            on_time=1 if on_time else 0,
            late=0 if on_time else 1,
            handling_seconds=(now - report.created_at).total_seconds(),
        )

    # --- the citizen's side -----------------------------------------------------------

    def is_reporter(self, principal: Principal | None, report: Report, key: str | None) -> bool:
        user = principal.user if principal is not None else None
        if user is not None and report.reporter_id is not None and user.id == report.reporter_id:
            return True
        if key and report.reporter_key_hash:
            return hmac.compare_digest(_hash_key(key), report.reporter_key_hash)
        return False

    def provide_info(
        self,
        session: Session,
        *,
        report_id: int,
        principal: Principal | None,
        key: str | None,
        note: str,
        now: datetime | None = None,
    ) -> Report:
        now = now or utcnow()
        report = self._get_for_update(session, report_id)
        if not self.is_reporter(principal, report, key):
            raise NotYourReport(N_("Chỉ người gửi phản ánh mới làm được việc này."))
        if report.status is not ReportStatus.waiting_info:
            raise InvalidTransition(
                N_("Phản ánh số {id} không chờ bổ sung thông tin."), id=report.id
            )
        self._resume(session, report, now)
        old, report.status, report.updated_at = report.status, ReportStatus.in_progress, now
        self._event(session, report, EventKind.info_provided, principal, at=now, note=note)
        self._audit_citizen(session, principal, report, "report.info_provided", {})
        self._status_changed(session, report, old, report.status)
        return report

    def rate(
        self,
        session: Session,
        *,
        report_id: int,
        principal: Principal | None,
        key: str | None,
        rating: int,
        comment: str | None,
    ) -> Report:
        report = self._get_for_update(session, report_id)
        if not self.is_reporter(principal, report, key):
            raise NotYourReport(N_("Chỉ người gửi phản ánh mới đánh giá được câu trả lời."))
        if report.status not in CLOSED_STATUSES:
            raise InvalidTransition(N_("Chỉ đánh giá được khi phản ánh đã có kết quả."))
        previous = report.rating
        report.rating, report.rating_comment = rating, (comment or "").strip() or None
        repository.bump_stats(
            session,
            ward_code=report.ward_code,
            period=report.period,
            rated=0 if previous is not None else 1,
            rating_sum=rating - (previous or 0),
        )
        self._event(session, report, EventKind.rated, principal, note=f"{rating}/5")
        self._audit_citizen(session, principal, report, "report.rated", {"rating": rating})
        return report

    def reopen(
        self,
        session: Session,
        *,
        report_id: int,
        principal: Principal | None,
        key: str | None,
        reason: str,
        now: datetime | None = None,
    ) -> Report:
        now = now or utcnow()
        report = self._get_for_update(session, report_id)
        if not self.is_reporter(principal, report, key):
            raise NotYourReport(N_("Chỉ người gửi phản ánh mới mở lại được."))
        if report.status not in CLOSED_STATUSES or report.closed_at is None:
            raise InvalidTransition(N_("Phản ánh chưa đóng."))
        if report.reopened:
            raise InvalidTransition(N_("Mỗi phản ánh chỉ được mở lại một lần."))
        if now - report.closed_at > timedelta(days=REOPEN_DAYS):
            raise InvalidTransition(
                N_("Đã quá {days} ngày kể từ khi có kết quả; hãy gửi phản ánh mới."),
                days=REOPEN_DAYS,
            )
        # Take the closure back out of the statistics; it counts again when closed anew.
        on_time = report.closed_at <= report.due_at
        repository.bump_stats(
            session,
            ward_code=report.ward_code,
            period=report.period,
            closed=-1,
            on_time=-1 if on_time else 0,
            late=0 if on_time else -1,
            handling_seconds=-(report.closed_at - report.created_at).total_seconds(),
            rated=-1 if report.rating is not None else 0,
            rating_sum=-(report.rating or 0),
        )
        category = self.category(session, report.category_code)
        calendar = WorkCalendar.from_database(session)
        old = report.status
        report.status, report.reopened, report.closed_at = ReportStatus.in_progress, True, None
        report.rating = report.rating_comment = None
        report.due_at = calendar.due_at(now, category.handle_days)
        report.updated_at = now
        self._event(session, report, EventKind.reopened, principal, at=now, note=reason)
        self._audit_citizen(session, principal, report, "report.reopened", {"reason": reason})
        self._status_changed(session, report, old, report.status)
        return report

    def can_reopen(self, report: Report, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return (
            report.status in CLOSED_STATUSES
            and not report.reopened
            and report.closed_at is not None
            and now - report.closed_at <= timedelta(days=REOPEN_DAYS)
        )

    # --- notifications ----------------------------------------------------------------

    def _status_changed(
        self, session: Session, report: Report, old: ReportStatus, new: ReportStatus
    ) -> None:
        if old is not new or new is ReportStatus.received:
            self._notify(session, report, new)
        publish_after_commit(
            session,
            "report.status_changed",
            report_id=report.id,
            category=report.category_code,
            old_status=old.value,
            new_status=new.value,
            ward_code=report.ward_code,
        )

    def _notify(self, session: Session, report: Report, status: ReportStatus) -> None:
        """In-app messages for signed-in subscribers; e-mail/SMS go to the outbox."""
        message_id = STATUS_MESSAGES[status]
        user_ids: set[int] = set()
        emails: set[str] = set()
        if report.reporter_id is not None:
            user_ids.add(report.reporter_id)
        if report.contact_email:
            emails.add(report.contact_email)
        for user_id, email in repository.supporter_contacts(session, report.id):
            if user_id is not None:
                user_ids.add(user_id)
            if email:
                emails.add(email)
        text = gettext(message_id, "vi", id=report.id)
        for user_id in sorted(user_ids):
            session.add(
                Notification(
                    user_id=user_id, report_id=report.id, status=status.value, message=text
                )
            )
        link = f"/reports/{report.id}"
        for email in sorted(emails):
            session.add(
                OutboxMessage(
                    channel="email",
                    recipient=email,
                    subject=text[:200],
                    body=f"{text}\n{link}",
                    report_id=report.id,
                )
            )
        if report.contact_phone:
            session.add(
                OutboxMessage(
                    channel="sms",
                    recipient=report.contact_phone,
                    subject="",
                    body=f"{text} {link}",
                    report_id=report.id,
                )
            )
        session.flush()

    def notifications_after(
        self, session: Session, *, user_id: int, after_id: int
    ) -> Sequence[Notification]:
        return repository.notifications_after(session, user_id=user_id, after_id=after_id)

    # --- statistics -------------------------------------------------------------------

    def ward_stats(
        self,
        session: Session,
        *,
        first_period: str,
        last_period: str,
        ward_code: int | None = None,
    ) -> list[WardStatsOut]:
        rows = repository.ward_stats(
            session, first_period=first_period, last_period=last_period, ward_code=ward_code
        )
        names = places_service.ward_names(session, {code for code, _ in rows})
        result = []
        for code, totals in rows:
            closed, rated = int(totals["closed"]), int(totals["rated"])
            result.append(
                WardStatsOut(
                    ward_code=code,
                    ward_name=names.get(code),
                    received=int(totals["received"]),
                    closed=closed,
                    on_time=int(totals["on_time"]),
                    late=int(totals["late"]),
                    # 766 reporting rules: 2 decimals, None when the denominator is 0.
                    on_time_rate=round(100 * totals["on_time"] / closed, 2) if closed else None,
                    average_handling_hours=(
                        round(totals["handling_seconds"] / closed / 3600, 2) if closed else None
                    ),
                    satisfaction=round(totals["rating_sum"] / rated, 2) if rated else None,
                    rated=rated,
                )
            )
        return result

    # --- helpers ----------------------------------------------------------------------

    def _event(
        self,
        session: Session,
        report: Report,
        kind: EventKind,
        principal: Principal | None,
        *,
        at: datetime | None = None,
        note: str | None = None,
        photos: list[str] | None = None,
    ) -> None:
        session.add(
            ReportEvent(
                report_id=report.id,
                at=at or utcnow(),
                kind=kind,
                actor=_actor(principal),
                agency_code=report.agency_code,
                note=note,
                photos=list(photos or []),
            )
        )
        session.flush()

    def _audit_citizen(
        self,
        session: Session,
        principal: Principal | None,
        report: Report,
        action: str,
        data: dict[str, Any],
    ) -> None:
        audit.record(
            session,
            actor=_actor(principal),
            action=action,
            entity_type="report",
            entity_id=report.id,
            data=data,
        )


reports = ReportsService()
