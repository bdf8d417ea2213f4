"""Web shell: base layout, shared components, static files, PWA, friendly error pages.

Depends on: core.
"""
