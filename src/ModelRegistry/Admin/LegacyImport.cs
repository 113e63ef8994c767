using JasperFx.Events;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using ModelRegistry.Common;
using Npgsql;

namespace ModelRegistry.Admin;

/// <summary>What <see cref="LegacyImport.ImportAsync"/> did.</summary>
internal enum LegacyImportOutcome
{
    /// <summary>The legacy event store was copied into Marten's and its tables renamed.</summary>
    Imported,

    /// <summary>There is no legacy event store (a new database, or one imported before): nothing was done.</summary>
    NoLegacyStore,

    /// <summary>Marten's store already holds events: nothing was done, and the legacy tables were left where they are.</summary>
    TargetNotEmpty,
}

/// <summary>The outcome of an import, with what it copied.</summary>
/// <param name="Outcome">Whether anything was imported.</param>
/// <param name="Streams">Streams copied.</param>
/// <param name="Events">Events copied.</param>
/// <param name="LastPosition">The highest position taken, where Marten's sequence and high-water mark now stand (0 for none).</param>
/// <param name="IdempotencyKeys">Stored responses copied; null when they were not (see <paramref name="Notes"/>).</param>
/// <param name="RenamedTables">The legacy tables and sequence, as renamed.</param>
/// <param name="Notes">What was left out, and why.</param>
internal sealed record ImportResult(
    LegacyImportOutcome Outcome,
    int Streams,
    long Events,
    long LastPosition,
    int? IdempotencyKeys,
    IReadOnlyList<string> RenamedTables,
    IReadOnlyList<string> Notes)
{
    public static ImportResult Nothing(LegacyImportOutcome outcome, string note) => new(outcome, 0, 0, 0, null, [], [note]);
}

/// <summary>
/// Copies the event store of the previous version (the hand-written one, unqualified and so in <c>public</c>) into Marten's
/// store, then renames the legacy tables to <c>legacy_*</c> so that it runs once and Marten never sees them (marten.md §9).
/// </summary>
/// <remarks>
/// <para>
/// The rows are copied inside the database (<c>INSERT … SELECT</c>), not through Marten's bulk importer: the jsonb payloads stay
/// exactly as stored (the importer re-serializes them, and Marten's serializer writes enums as <c>"Production"</c> where the old
/// store wrote <c>"production"</c>), the streams keep their <c>timestamp</c> and <c>created</c> (the importer stamps both with
/// now()), and everything, renames included, is one transaction: either all is imported or nothing is.
/// </para>
/// <para>
/// Kept: position (<c>seq_id</c>), event id, stream key and version, timestamp, tenant, payload, correlation, causation and user
/// name. The old <c>reason</c> column becomes the <see cref="RegistryStore.ReasonHeader"/> header; a schema version above 1
/// becomes Marten's type-name suffix (<c>MapEventTypeWithSchemaVersion</c>: <c>Name_v2</c>), version 1 keeps the plain name.
/// Marten's sequence and its high-water mark are set to the highest position (or the legacy sequence, if that is further on).
/// Not copied: the old projections' checkpoints (Marten's projections have their own), and <c>mr_schema_migrations</c>, which
/// also tracks tables outside the event store and stays where it is.
/// </para>
/// </remarks>
internal sealed class LegacyImport(ILogger<LegacyImport>? logger = null)
{
    /// <summary>Where the previous version kept its tables.</summary>
    public const string LegacySchema = "public";

    /// <summary>The prefix the legacy tables get once imported.</summary>
    public const string RenamedPrefix = "legacy_";

    private const string LockName = "modelregistry: legacy event store import";

    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    /// <summary>
    /// Imports the legacy event store of <paramref name="dataSource"/>'s database into <paramref name="store"/> (same database),
    /// once: it does nothing when there is no legacy store or when Marten's store already holds events.
    /// </summary>
    public async Task<ImportResult> ImportAsync(NpgsqlDataSource dataSource, IDocumentStore store, CancellationToken ct = default)
    {
        if (!await HasLegacyStoreAsync(dataSource, ct))
        {
            return ImportResult.Nothing(LegacyImportOutcome.NoLegacyStore, $"No {LegacySchema}.mt_events and {LegacySchema}.mr_schema_migrations.");
        }

        var target = store.Options.Events.DatabaseSchemaName;
        if (string.Equals(target, LegacySchema, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Marten's event store is in '{LegacySchema}', beside the legacy tables; give it a schema of its own.");
        }

        // Marten's tables first: the copy goes into them as Marten made them (its apply takes no cancellation token).
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        ct.ThrowIfCancellationRequested();

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // Instances starting together: the second waits here and then finds the legacy tables gone.
        await ExecuteAsync(conn, tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ct, LockName);
        if (!await HasLegacyStoreAsync(conn, tx, ct))
        {
            return ImportResult.Nothing(LegacyImportOutcome.NoLegacyStore, "The legacy event store was imported meanwhile.");
        }

        // Nobody writes either store while this runs: old writers wait for the renames, new ones for the commit.
        await ExecuteAsync(conn, tx, $"LOCK TABLE {LegacySchema}.mt_streams, {LegacySchema}.mt_events IN ACCESS EXCLUSIVE MODE", ct);
        await ExecuteAsync(conn, tx, $"LOCK TABLE {target}.mt_streams, {target}.mt_events IN EXCLUSIVE MODE", ct);
        if (await ScalarAsync<bool>(conn, tx, $"SELECT EXISTS (SELECT 1 FROM {target}.mt_events)", ct))
        {
            _logger.LogWarning("Marten's event store in {Schema} already holds events: the legacy event store is not imported", target);
            return ImportResult.Nothing(LegacyImportOutcome.TargetNotEmpty, $"{target}.mt_events already holds events.");
        }

        await RequireMetadataColumnsAsync(conn, tx, target, ct);
        var notes = new List<string>();

        var streams = await ExecuteAsync(conn, tx, $"""
            INSERT INTO {target}.mt_streams (id, type, version, timestamp, created, tenant_id, is_archived)
            SELECT id, type, version, timestamp, created, tenant_id, is_archived FROM {LegacySchema}.mt_streams ORDER BY id
            """, ct);
        var (legacyTypes, legacyVersions, names) = await VersionedTypeNamesAsync(conn, tx, ct);
        var events = await ExecuteAsync(conn, tx, $"""
            INSERT INTO {target}.mt_events
                (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived,
                 correlation_id, causation_id, headers, user_name)
            SELECT e.seq_id, e.id, e.stream_id, e.version, e.data, coalesce(n.name, e.type), e.timestamp, e.tenant_id, e.mt_dotnet_type,
                   e.is_archived, e.correlation_id, e.causation_id,
                   CASE WHEN e.reason IS NULL THEN e.headers ELSE coalesce(e.headers, jsonb_build_object()) || jsonb_build_object($4::text, e.reason) END,
                   e.user_name
            FROM {LegacySchema}.mt_events e
            LEFT JOIN unnest($1::text[], $2::int[], $3::text[]) AS n (type, schema_version, name)
                ON n.type = e.type AND n.schema_version = e.schema_version
            ORDER BY e.seq_id
            """, ct, legacyTypes, legacyVersions, names, RegistryStore.ReasonHeader);

        // Past every position taken: the highest event's, or the legacy sequence's if appends that rolled back drew beyond it.
        var last = await ScalarAsync<long>(conn, tx, $"""
            SELECT greatest(
                (SELECT coalesce(max(seq_id), 0) FROM {LegacySchema}.mt_events),
                (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {LegacySchema}.mt_events_sequence))
            """, ct);
        if (last > 0)
        {
            await ExecuteAsync(conn, tx, $"SELECT setval('{target}.mt_events_sequence', $1, true)", ct, last);
            // Nothing is in flight below it, so the async daemon may start from there at once (as Marten's own bulk import does).
            await ExecuteAsync(conn, tx, $"""
                INSERT INTO {target}.mt_event_progression (name, last_seq_id) VALUES ('HighWaterMark', $1)
                ON CONFLICT (name) DO UPDATE SET last_seq_id = greatest({target}.mt_event_progression.last_seq_id, excluded.last_seq_id)
                """, ct, last);
        }

        var renamed = new List<string>();
        var keys = await CopyIdempotencyKeysAsync(conn, tx, target, notes, ct);
        if (keys is not null)
        {
            renamed.Add(await RenameAsync(conn, tx, "TABLE", "mr_idempotency_keys", ct));
        }

        renamed.Add(await RenameAsync(conn, tx, "TABLE", "mt_events", ct));
        renamed.Add(await RenameAsync(conn, tx, "TABLE", "mt_streams", ct));
        renamed.Add(await RenameAsync(conn, tx, "SEQUENCE", "mt_events_sequence", ct));
        if (await ExistsAsync(conn, tx, $"{LegacySchema}.mt_event_progression", ct))
        {
            renamed.Add(await RenameAsync(conn, tx, "TABLE", "mt_event_progression", ct));
        }

        await tx.CommitAsync(ct);
        _logger.LogInformation(
            "Imported the legacy event store into {Schema}: {Streams} streams, {Events} events up to position {Position}, {Keys} idempotency keys; renamed {Renamed}",
            target, streams, events, last, keys, string.Join(", ", renamed));
        return new ImportResult(LegacyImportOutcome.Imported, streams, events, last, keys, renamed, notes);
    }

    private static async Task<bool> HasLegacyStoreAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await HasLegacyStoreAsync(conn, null, ct);
    }

    private static async Task<bool> HasLegacyStoreAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct) =>
        await ExistsAsync(conn, tx, $"{LegacySchema}.mt_events", ct) && await ExistsAsync(conn, tx, $"{LegacySchema}.mr_schema_migrations", ct);

    private static async Task<bool> ExistsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string qualifiedName, CancellationToken ct) =>
        await ScalarAsync<bool>(conn, tx, "SELECT to_regclass($1) IS NOT NULL", ct, qualifiedName);

    /// <summary>Refuses to import into a store that would drop metadata: each legacy column must have somewhere to go.</summary>
    private static async Task RequireMetadataColumnsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string target, CancellationToken ct)
    {
        string[] needed = ["correlation_id", "causation_id", "headers", "user_name"];
        var present = await ColumnsAsync(conn, tx, target, "mt_events", ct);
        var missing = needed.Where(c => !present.ContainsKey(c)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"{target}.mt_events has no {string.Join(", ", missing)} column: enable that metadata in Marten's options before importing.");
        }
    }

    /// <summary>Each legacy (type, schema version) above 1 with the name Marten's convention gives it.</summary>
    private static async Task<(string[] Types, int[] Versions, string[] Names)> VersionedTypeNamesAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var types = new List<string>();
        var versions = new List<int>();
        await using (var cmd = new NpgsqlCommand($"SELECT DISTINCT type, schema_version FROM {LegacySchema}.mt_events WHERE schema_version > 1", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                types.Add(reader.GetString(0));
                versions.Add(reader.GetInt32(1));
            }
        }

        var names = types.Zip(versions, (t, v) => EventTypeExtensions.GetEventTypeNameWithSchemaVersion(t, (uint)v)).ToArray();
        return ([.. types], [.. versions], names);
    }

    /// <summary>
    /// Copies the stored responses when Marten's schema has a table for them, by the columns both tables have; null (with a note)
    /// when it has none yet, or when it needs a column the legacy table lacks. Left behind, the legacy table is not renamed.
    /// </summary>
    private static async Task<int?> CopyIdempotencyKeysAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string target, List<string> notes,
        CancellationToken ct)
    {
        if (!await ExistsAsync(conn, tx, $"{LegacySchema}.mr_idempotency_keys", ct))
        {
            return null;
        }

        if (!await ExistsAsync(conn, tx, $"{target}.mr_idempotency_keys", ct))
        {
            notes.Add($"Idempotency keys not copied: {target}.mr_idempotency_keys does not exist; {LegacySchema}.mr_idempotency_keys is left as it is.");
            return null;
        }

        var source = await ColumnsAsync(conn, tx, LegacySchema, "mr_idempotency_keys", ct);
        var into = await ColumnsAsync(conn, tx, target, "mr_idempotency_keys", ct);
        var unfilled = into.Where(c => c.Value && !source.ContainsKey(c.Key)).Select(c => c.Key).ToList();
        if (unfilled.Count > 0)
        {
            notes.Add($"Idempotency keys not copied: {target}.mr_idempotency_keys requires {string.Join(", ", unfilled)}, which the legacy table lacks.");
            return null;
        }

        var common = string.Join(", ", into.Keys.Where(source.ContainsKey).Select(c => $"\"{c}\""));
        return await ExecuteAsync(conn, tx, $"INSERT INTO {target}.mr_idempotency_keys ({common}) SELECT {common} FROM {LegacySchema}.mr_idempotency_keys", ct);
    }

    /// <summary>A table's columns, each with whether a row must give it a value (not null, no default).</summary>
    private static async Task<Dictionary<string, bool>> ColumnsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string schema, string table,
        CancellationToken ct)
    {
        var columns = new Dictionary<string, bool>(StringComparer.Ordinal);
        await using var cmd = new NpgsqlCommand("""
            SELECT column_name, is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' AND is_generated = 'NEVER'
            FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schema });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            columns[reader.GetString(0)] = reader.GetBoolean(1);
        }

        return columns;
    }

    private static async Task<string> RenameAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string kind, string name, CancellationToken ct)
    {
        var renamed = RenamedPrefix + name;
        await ExecuteAsync(conn, tx, $"ALTER {kind} {LegacySchema}.{name} RENAME TO {renamed}", ct);
        return $"{LegacySchema}.{renamed}";
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = Command(conn, tx, sql, args);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = Command(conn, tx, sql, args);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static NpgsqlCommand Command(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, object[] args)
    {
        var cmd = new NpgsqlCommand(sql, conn, tx);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        return cmd;
    }
}
