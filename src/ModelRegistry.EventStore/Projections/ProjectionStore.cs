using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>Reads and writes the progression rows (one per projection) and the projections' tables.</summary>
internal sealed class ProjectionStore(NpgsqlDataSource dataSource, IEnumerable<IProjection> projections, EventStoreOptions options)
{
    public const string ShadowSuffix = "__rebuild";

    public IReadOnlyList<IProjection> All { get; } = projections.ToList();

    public IProjection? Find(string name) => All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    public static string Shadow(string table) => table + ShadowSuffix;

    internal sealed record Row(string Name, long Checkpoint, int Version, string Lifecycle, string State, string? LastError, long? RebuildPosition,
        DateTimeOffset LastUpdated, long RebuildTarget, int RebuildPass);

    /// <summary>Creates missing tables and progression rows; marks projections whose version changed for a rebuild.</summary>
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

            var lifecycle = p.Lifecycle == ProjectionLifecycle.Inline ? "inline" : "async";
            await using (var upsert = new NpgsqlCommand($"""
                INSERT INTO mr_projection_progress (name, last_seq_id, projection_version, lifecycle, state)
                VALUES (@n, 0, @v, @l, CASE WHEN @l = 'inline' AND EXISTS (SELECT 1 FROM {options.Schema}.mt_events) THEN 'rebuild_pending' ELSE 'running' END)
                ON CONFLICT (name) DO UPDATE SET
                    lifecycle = excluded.lifecycle,
                    state = CASE WHEN mr_projection_progress.projection_version <> @v AND mr_projection_progress.state <> 'rebuilding'
                                 THEN 'rebuild_pending' ELSE mr_projection_progress.state END,
                    rebuild_requested_at = CASE WHEN mr_projection_progress.projection_version <> @v THEN now()
                                                ELSE mr_projection_progress.rebuild_requested_at END
                """, conn, tx))
            {
                upsert.Parameters.AddWithValue("n", p.Name);
                upsert.Parameters.AddWithValue("v", p.Version);
                upsert.Parameters.AddWithValue("l", lifecycle);
                await upsert.ExecuteNonQueryAsync(ct);
            }

            await tx.CommitAsync(ct);
        }
    }

    public async Task<Row?> LoadAsync(string name, CancellationToken ct)
    {
        return (await LoadAllAsync(ct)).FirstOrDefault(r => r.Name == name);
    }

    public async Task<IReadOnlyList<Row>> LoadAllAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT name, last_seq_id, projection_version, lifecycle, state, last_error, rebuild_position, last_updated, coalesce(rebuild_target, 0), rebuild_pass FROM mr_projection_progress ORDER BY name");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<Row>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new Row(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt64(6),
                reader.GetFieldValue<DateTimeOffset>(7), reader.GetInt64(8), reader.GetInt32(9)));
        }

        return rows;
    }

    public async Task<bool> RequestRebuildAsync(string name, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE mr_projection_progress SET state = 'rebuild_pending', rebuild_requested_at = now(), last_error = NULL WHERE name = @n");
        cmd.Parameters.AddWithValue("n", name);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task SetStateAsync(string name, string state, string? error, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE mr_projection_progress SET state = @s, last_error = @e, last_updated = now() WHERE name = @n");
        cmd.Parameters.AddWithValue("n", name);
        cmd.Parameters.AddWithValue("s", state);
        cmd.Parameters.AddWithValue("e", (object?)error ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
