"""Pure-compute routing core: graph arrays in, routes out (numpy/numba/scipy only)."""
