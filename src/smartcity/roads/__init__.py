"""Road network: OSM import, street search and geocoding, map layers, synthetic city.

Depends on: core, places (the ward of each segment, ward names in search), routing_engine
(OSM decoding, graph build and the artefact format).
"""
