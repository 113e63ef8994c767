namespace ModelRegistry.EventStore.Storage;

/// <summary>
/// Marten's event tables (mt_streams, mt_events, mt_event_progression) with string stream keys,
/// plus columns Marten keeps in headers (schema version, reason).
/// </summary>
internal static class EventStoreSchema
{
    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new(1, "event store tables", """
            CREATE SEQUENCE mt_events_sequence AS bigint;

            CREATE TABLE mt_streams (
                id              text PRIMARY KEY,
                type            varchar NULL,
                version         bigint NOT NULL,
                timestamp       timestamptz NOT NULL DEFAULT now(),
                snapshot        jsonb NULL,
                snapshot_version integer NULL,
                created         timestamptz NOT NULL DEFAULT now(),
                tenant_id       varchar NOT NULL DEFAULT '*DEFAULT*',
                is_archived     boolean NOT NULL DEFAULT false
            );

            CREATE TABLE mt_events (
                seq_id          bigint PRIMARY KEY,
                id              uuid NOT NULL,
                stream_id       text NOT NULL REFERENCES mt_streams (id) ON DELETE CASCADE,
                version         bigint NOT NULL,
                data            jsonb NOT NULL,
                type            varchar(500) NOT NULL,
                timestamp       timestamptz NOT NULL DEFAULT now(),
                tenant_id       varchar NOT NULL DEFAULT '*DEFAULT*',
                mt_dotnet_type  varchar NULL,
                is_archived     boolean NOT NULL DEFAULT false,
                correlation_id  varchar NULL,
                causation_id    varchar NULL,
                headers         jsonb NULL,
                user_name       varchar NULL,
                schema_version  integer NOT NULL DEFAULT 1,
                reason          text NULL,
                CONSTRAINT pk_mt_events_stream_and_version UNIQUE (stream_id, version),
                CONSTRAINT uq_mt_events_id UNIQUE (id)
            );

            CREATE INDEX ix_mt_events_timestamp ON mt_events (timestamp, seq_id);

            CREATE TABLE mt_event_progression (
                name                varchar PRIMARY KEY,
                last_seq_id         bigint NOT NULL DEFAULT 0,
                last_updated        timestamptz NOT NULL DEFAULT now(),
                projection_version  integer NOT NULL DEFAULT 1,
                lifecycle           varchar NOT NULL DEFAULT 'async',
                state               varchar NOT NULL DEFAULT 'running',
                last_error          text NULL,
                rebuild_position    bigint NULL,
                rebuild_target      bigint NULL,
                rebuild_pass        integer NOT NULL DEFAULT 0,
                rebuild_requested_at timestamptz NULL
            );

            -- The stream row is written before any sequence number is drawn: a writer that loses the
            -- version check leaves no gap, and every writer has a transaction id before it draws one,
            -- which the high-water mark relies on (see docs/adr/0004).
            CREATE FUNCTION mt_append_events(
                p_stream text, p_stream_type text, p_expected bigint,
                p_ids uuid[], p_types varchar[], p_schema_versions integer[], p_data jsonb[],
                p_user varchar, p_correlation varchar, p_causation varchar, p_reason text)
            RETURNS TABLE (r_seq_id bigint, r_id uuid, r_version bigint, r_timestamp timestamptz, r_duplicate boolean)
            LANGUAGE plpgsql AS $$
            DECLARE
                n integer := array_length(p_ids, 1);
                existing integer;
                v bigint;
                actual bigint;
                i integer;
            BEGIN
                SELECT count(*) INTO existing FROM mt_events e WHERE e.id = ANY (p_ids);
                IF existing = n THEN
                    RETURN QUERY SELECT e.seq_id, e.id, e.version, e.timestamp, true
                        FROM mt_events e WHERE e.id = ANY (p_ids) ORDER BY e.seq_id;
                    RETURN;
                ELSIF existing > 0 THEN
                    RAISE EXCEPTION 'some event ids of this append are already stored' USING ERRCODE = 'MRC02';
                END IF;

                IF p_expected = 0 THEN
                    INSERT INTO mt_streams (id, type, version) VALUES (p_stream, p_stream_type, n)
                        ON CONFLICT (id) DO NOTHING;
                    IF NOT FOUND THEN
                        SELECT s.version INTO actual FROM mt_streams s WHERE s.id = p_stream;
                        RAISE EXCEPTION 'stream exists' USING ERRCODE = 'MRC01', DETAIL = coalesce(actual::text, '');
                    END IF;
                    v := n;
                ELSIF p_expected > 0 THEN
                    UPDATE mt_streams s SET version = s.version + n, timestamp = now()
                        WHERE s.id = p_stream AND s.version = p_expected
                        RETURNING s.version INTO v;
                    IF NOT FOUND THEN
                        SELECT s.version INTO actual FROM mt_streams s WHERE s.id = p_stream;
                        RAISE EXCEPTION 'unexpected stream version' USING ERRCODE = 'MRC01', DETAIL = coalesce(actual::text, '');
                    END IF;
                ELSE
                    INSERT INTO mt_streams AS s (id, type, version) VALUES (p_stream, p_stream_type, n)
                        ON CONFLICT (id) DO UPDATE SET version = s.version + n, timestamp = now()
                        RETURNING s.version INTO v;
                END IF;

                FOR i IN 1 .. n LOOP
                    RETURN QUERY INSERT INTO mt_events AS e
                        (seq_id, id, stream_id, version, data, type, schema_version, user_name, correlation_id, causation_id, reason)
                        VALUES (nextval('mt_events_sequence'), p_ids[i], p_stream, v - n + i, p_data[i], p_types[i],
                                p_schema_versions[i], p_user, p_correlation, p_causation, p_reason)
                        RETURNING e.seq_id, e.id, e.version, e.timestamp, false;
                END LOOP;
            END;
            $$;
            """),
            new(2, "appends as one statement (AppendStatement) instead of a function", """
            DROP FUNCTION mt_append_events(text, text, bigint, uuid[], varchar[], integer[], jsonb[], varchar, varchar, varchar, text);
            """),
        // Events are written only by the append statement, which claims the stream row in the same statement, and streams are
        // never deleted; the foreign key's per-event check bought nothing.
        new(3, "events without a foreign key to their stream row", """
            ALTER TABLE mt_events DROP CONSTRAINT mt_events_stream_id_fkey;
            """),
    ];
}
