"""Online public services: the procedure catalogue (versioned), dossiers filed online or at
any one-stop desk and routed to the competent unit, the national 10-status lifecycle with
legal deadlines in working days, fee payment by VietQR with a signed bank webhook, signed
PDF e-results verifiable at ``/verify/{code}``, public tracking and the Decision 766
quality index.

Depends on: core (db, auth, audit, events, storage, workdays, http, errors), places (ward
names and codes of the 168 competent ward units), web (templating).
"""
