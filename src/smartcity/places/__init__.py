"""Places: today's 168 commune-level units of HCMC (113 phường, 54 xã, 1 đặc khu), their
pre-2025 predecessors, ward boundaries, point-in-ward lookup and old → new address
conversion.

Reference data comes from the ``vietnam-provinces`` package (seeded at start-up);
boundary polygons come from GeoJSON files (``smartcity import wards``, or automatically
from ``<data_dir>/admin/`` when present).

Depends on: core.
"""
