"""Core toolkit shared by every domain module.

Imports no domain module (checked by import-linter): db, errors, routing of requests and
transactions, auth, audit, events, storage, i18n, clock, geo helpers.
"""
