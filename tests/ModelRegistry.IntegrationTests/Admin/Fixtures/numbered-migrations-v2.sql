-- The registry's own tables outside the catalog as they were made while they were numbered migrations: migrations 101,
-- 110, 113 and 130 verbatim, run after Marten's tables as they were then (unqualified, so in public), each recorded in
-- the ledger as SchemaMigrator recorded it.

CREATE TABLE IF NOT EXISTS mr_schema_migrations (id int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());

-- migration 101: idempotency keys
CREATE TABLE mr_idempotency_keys (
    key             text NOT NULL,
    principal       text NOT NULL,
    route           text NOT NULL,
    request_sha256  bytea NOT NULL,
    status_code     integer NOT NULL,
    location        text NULL,
    etag            text NULL,
    view_kind       text NOT NULL,
    view_key        text NOT NULL,
    as_of           timestamptz NULL,
    body            bytea NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, principal, route)
);
CREATE INDEX ix_mr_idempotency_keys_created_at ON mr_idempotency_keys (created_at);
INSERT INTO mr_schema_migrations (id, name) VALUES (101, 'idempotency keys');

-- migration 110: catalog reads: audit indexes, pg_trgm when available
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available; model search scans the catalog';
END
$$;
-- The events moved into Marten's schema (migration 113 indexes them there); a database made before keeps these.
DO $$
BEGIN
    IF to_regclass('mt_events') IS NOT NULL THEN
        CREATE INDEX IF NOT EXISTS ix_mt_events_user_seq ON mt_events (user_name, seq_id) WHERE user_name IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_mt_events_type_seq ON mt_events (type, seq_id);
        CREATE INDEX IF NOT EXISTS ix_mt_events_stream_seq ON mt_events (stream_id, seq_id);
    END IF;
END
$$;
INSERT INTO mr_schema_migrations (id, name) VALUES (110, 'catalog reads: audit indexes, pg_trgm when available');

-- migration 113: catalog reads: audit indexes on Marten's events
CREATE INDEX IF NOT EXISTS ix_mt_events_user_seq ON registry.mt_events (user_name, seq_id) WHERE user_name IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_mt_events_type_seq ON registry.mt_events (type, seq_id);
CREATE INDEX IF NOT EXISTS ix_mt_events_stream_seq ON registry.mt_events (stream_id, seq_id);
CREATE INDEX IF NOT EXISTS ix_mt_events_timestamp ON registry.mt_events (timestamp, seq_id);
INSERT INTO mr_schema_migrations (id, name) VALUES (113, 'catalog reads: audit indexes on Marten''s events');

-- migration 130: api keys
CREATE TABLE mr_api_keys (
    name           text PRIMARY KEY,
    role           text NOT NULL CHECK (role IN ('reader', 'publisher', 'admin')),
    key_id         text NOT NULL UNIQUE,
    secret_sha256  bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NULL,
    revoked_at     timestamptz NULL,
    revoked_by     text NULL
);
INSERT INTO mr_schema_migrations (id, name) VALUES (130, 'api keys');
