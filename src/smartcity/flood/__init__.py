"""Flooding: stations and observations (an OGC SensorThings API v1.1 subset), flood points
fused from sensors, citizen reports and officers, per-segment depths published to routing,
tide prediction with alert levels, a 1/3/6 h forecast, subscriber alerts and a simulator.

Depends on: core, roads (the active network, for projecting points onto segments), routing
(`flows.py` hands it the current water on start-up).
Consumes ``report.created`` (reports module) by event only; publishes
``flood.segments_changed`` (docs/events.md).
"""
