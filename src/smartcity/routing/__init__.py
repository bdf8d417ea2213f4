"""Routes for motorbikes and cars over the live road network: the CCH engine kept current
from traffic, incident and flood events, per-request avoid areas, turn-by-turn steps, the
``POST /api/v1/routes`` API and the ``/routes`` planner page.

Depends on: core, roads (network index, geocoding), routing_engine (CCH).
"""
