"""Competent units: city departments (by agency code) and the 168 ward People's
Committees (by GSO ward code).  A unit code is the agency code, or the ward code as digits;
officers act on a unit through ``Principal.can_act_for_agency`` / ``can_act_on_ward``."""

from __future__ import annotations

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_

#: City-level departments that decide the city-level procedures of the seeded catalogue.
#: Short codes of our own; the national agency identifiers (QCVN 102:2016) are not verified.
CITY_AGENCIES: dict[str, str] = {
    "STP": N_("Sở Tư pháp"),
    "SXD": N_("Sở Xây dựng"),
    "SNNMT": N_("Sở Nông nghiệp và Môi trường"),
    "STC": N_("Sở Tài chính"),
    "SYT": N_("Sở Y tế"),
    "SGDDT": N_("Sở Giáo dục và Đào tạo"),
    "SNV": N_("Sở Nội vụ"),
    "CAHCM": N_("Công an Thành phố"),
}
#: The city's public-administration service centre: receives dossiers for any unit.
CITY_CENTRE = "TTPVHCC"


def is_ward_unit(unit_code: str) -> bool:
    return unit_code.isdigit()


def principal_acts_on(principal: Principal, unit_code: str) -> bool:
    """Officers act only on their own units' dossiers; administrators everywhere."""
    if is_ward_unit(unit_code):
        return principal.can_act_on_ward(int(unit_code))
    return principal.can_act_for_agency(unit_code)


def principal_units(principal: Principal) -> list[str] | None:
    """The unit codes an officer works for (None = every unit, for administrators)."""
    if principal.is_admin:
        return None
    user = principal.user
    if user is None:
        return []
    units = [str(code) for code in user.ward_codes]
    if user.agency_code:
        units.append(user.agency_code)
    return units
