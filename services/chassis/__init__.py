"""Cross-cutting plumbing every Aira process uses; no domain logic lives here.

Rooms: settings, log, context, ids, errors, keys, principal, authz (the role matrix), db, uow,
infra_tables, migrations, events, outbox, inbox, jobs, grpc_server, grpc_client, service (the
service lifecycle), runtime (embedded PostgreSQL/NATS and the supervisor) and cli (`aira`).
"""
