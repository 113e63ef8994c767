using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>Reads and writes the progress rows (one per rebuildable projection) and the projections' tables.</summary>
internal sealed class ProjectionStore(NpgsqlDataSource dataSource, IEnumerable<IRebuildableProjection> projections, EventStoreOptions options)
{
    public const string ShadowSuffix = "__rebuild";

    public IReadOnlyList<IRebuildableProjection> All { get; } = projections.ToList();

    public IRebuildableProjection? Find(string name) => All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    public static string Shadow(string table) => table + ShadowSuffix;

    internal sealed record Row(string Name, int Version, string State, string? LastError, long? RebuildPosition, DateTimeOffset LastUpdated);

    /// <summary>
    /// Creates missing tables and progress rows. A projection whose version changed, or a new one over existing events, is marked
    /// for a rebuild (its tables cannot hold what it would have written).
    /// </summary>
    public async Task EnsureAsync(CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        foreach (var p in All)
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('mr_projection:' || @n))", conn, tx))
            {
                lockCmd.Parameters.AddWithValue("n", p.Name);
                await lockCmd.ExecuteNonQueryAsync(ct);
            }

            await using (var ddl = new NpgsqlCommand(p.CreateTablesSql(static t => t), conn, tx))
            {
                await ddl.ExecuteNonQueryAsync(ct);
            }

            await using (var upsert = new NpgsqlCommand($"""
                INSERT INTO mr_projection_progress (name, last_seq_id, projection_version, lifecycle, state)
                VALUES (@n, 0, @v, 'inline', CASE WHEN EXISTS (SELECT 1 FROM {options.Schema}.mt_events) THEN 'rebuild_pending' ELSE 'running' END)
                ON CONFLICT (name) DO UPDATE SET
                    lifecycle = 'inline',
                    state = CASE WHEN mr_projection_progress.projection_version <> @v AND mr_projection_progress.state <> 'rebuilding'
                                 THEN 'rebuild_pending' ELSE mr_projection_progress.state END,
                    rebuild_requested_at = CASE WHEN mr_projection_progress.projection_version <> @v THEN now()
                                                ELSE mr_projection_progress.rebuild_requested_at END
                """, conn, tx))
            {
                upsert.Parameters.AddWithValue("n", p.Name);
                upsert.Parameters.AddWithValue("v", p.Version);
                await upsert.ExecuteNonQueryAsync(ct);
            }

            await tx.CommitAsync(ct);
        }
    }

    public async Task<IReadOnlyList<Row>> LoadAllAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT name, projection_version, state, last_error, rebuild_position, last_updated FROM mr_projection_progress ORDER BY name");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<Row>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new Row(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return rows;
    }

    /// <summary>Marks a projection for a rebuild; a rebuild under way is superseded (its next step finds the row no longer its own).</summary>
    public async Task<bool> RequestRebuildAsync(string name, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE mr_projection_progress SET state = 'rebuild_pending', rebuild_requested_at = now(), rebuild_owner = NULL, last_error = NULL
            WHERE name = @n
            """);
        cmd.Parameters.AddWithValue("n", name);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Claims a projection's pending rebuild for <paramref name="owner"/> (compare-and-set on its row), or one whose owner stopped
    /// making progress for longer than the lease; false when there is nothing to claim or another instance was first.
    /// </summary>
    public async Task<bool> TryClaimRebuildAsync(string name, Guid owner, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE mr_projection_progress
            SET state = 'rebuilding', rebuild_owner = @o, rebuild_position = 0, rebuild_target = NULL, rebuild_pass = 0, last_error = NULL,
                last_updated = now()
            WHERE name = @n AND (state = 'rebuild_pending' OR (state = 'rebuilding' AND last_updated < now() - @lease))
            RETURNING name
            """);
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("o", owner);
        cmd.Parameters.AddWithValue("lease", options.RebuildLease);
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Names of projections with a rebuild to claim.</summary>
    public async Task<IReadOnlyList<string>> ClaimableAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT name FROM mr_projection_progress
            WHERE state = 'rebuild_pending' OR (state = 'rebuilding' AND last_updated < now() - @lease)
            """);
        cmd.Parameters.AddWithValue("lease", options.RebuildLease);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var names = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Marks the rebuild <paramref name="owner"/> holds as faulted.</summary>
    public async Task FaultAsync(string name, Guid owner, string error, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE mr_projection_progress SET state = 'faulted', last_error = @e, rebuild_owner = NULL, last_updated = now()
            WHERE name = @n AND rebuild_owner = @o AND state = 'rebuilding'
            """);
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("o", owner);
        cmd.Parameters.AddWithValue("e", error);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
