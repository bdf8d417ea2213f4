"""Traffic: probe ingest and HMM map matching, live and typical speeds, congestion levels
and forecasts, cameras and snapshots, incidents and citizen traffic reports.

Depends on: core, roads (the active network and its index), routing_engine (graph arrays).
Publishes ``traffic.speeds_updated`` and ``traffic.incident_changed``; consumes
``report.created``, ``report.status_changed`` (see docs/events.md).
"""
