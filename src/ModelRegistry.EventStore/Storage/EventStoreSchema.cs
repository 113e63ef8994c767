namespace ModelRegistry.EventStore.Storage;

/// <summary>
/// The store's own table beside Marten's: one progress row per projection of ours, with the state of its rebuild. Marten's
/// event tables live in their own schema and are Marten's to create (migrations 1 to 3 made this store's earlier tables).
/// </summary>
internal static class EventStoreSchema
{
    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new(4, "projection progress beside Marten's tables", """
            CREATE TABLE mr_projection_progress (
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
            DO $copy$
            BEGIN
                IF to_regclass('mt_event_progression') IS NOT NULL AND EXISTS (
                    SELECT 1 FROM information_schema.columns WHERE table_name = 'mt_event_progression' AND column_name = 'rebuild_pass') THEN
                    INSERT INTO mr_projection_progress (name, last_seq_id, last_updated, projection_version, lifecycle, state, last_error,
                        rebuild_position, rebuild_target, rebuild_pass, rebuild_requested_at)
                    SELECT name, last_seq_id, last_updated, projection_version, lifecycle, state, last_error,
                        rebuild_position, rebuild_target, rebuild_pass, rebuild_requested_at
                    FROM mt_event_progression;
                END IF;
            END
            $copy$;
            """),
        new(5, "projection rebuilds are claimed by one instance", """
            ALTER TABLE mr_projection_progress ADD COLUMN IF NOT EXISTS rebuild_owner uuid NULL;
            """),
    ];
}
