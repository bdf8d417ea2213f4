"""Road network import and the synthetic city used when no OSM extract is at hand."""
