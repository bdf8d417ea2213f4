"""Accounts: citizen registration, sign-in pages and bearer tokens, and API keys for machines.

The credentials themselves (hashing, tokens, throttling, the Principal) live in
``core.auth``; this module is the public face of it: JSON API under ``/api/v1/auth``,
the ``/login``, ``/register`` and ``/logout`` pages, and the services the CLI uses.

Depends on: core.
"""
