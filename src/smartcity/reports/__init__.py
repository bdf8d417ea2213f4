"""Citizen feedback, like HCMC's 1022 portal: report a problem with photos and a location,
routed to the responsible ward or city agency by category, handled against deadlines in
Vietnamese working days, answered in public and rated by the reporter.  Speaks Open311
GeoReport v2 at ``/open311/v2``.

Depends on: core, places (ward from a location).
Publishes: ``report.created``, ``report.status_changed`` (docs/events.md).
"""
