using Microsoft.Extensions.Logging;
using ModelRegistry.EventStore.Storage;
using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>
/// One step of work for one projection: catch an async projection up by a batch, or move a rebuild
/// forward by a batch and, once it has caught up, swap the shadow tables in (docs/adr/0005).
/// Only the daemon's leader calls it.
/// </summary>
internal sealed class ProjectionRunner(
    NpgsqlDataSource dataSource,
    MartenEventStore store,
    ProjectionStore projections,
    EventStoreOptions options,
    ILogger<ProjectionRunner> logger)
{
    private const int MaxRebuildPasses = 3;
    private readonly Dictionary<string, int> _failures = [];
    private readonly Dictionary<string, (long After, long UpTo, Task<IReadOnlyList<StoredEvent>> Events)> _prefetched = [];

    /// <summary>Does one step for every projection; true when any of them did work.</summary>
    public async Task<bool> StepAllAsync(Func<CancellationToken, Task<long>> safeHeadSource, CancellationToken ct)
    {
        var worked = false;
        var rows = (await projections.LoadAllAsync(ct)).ToDictionary(r => r.Name);
        var needsHead = projections.All.Any(p => rows.TryGetValue(p.Name, out var r) && r.State != "faulted"
            && (p.Lifecycle == ProjectionLifecycle.Async || r.State != "running"));
        if (!needsHead)
        {
            return false;
        }

        var safeHead = await safeHeadSource(ct);
        foreach (var projection in projections.All)
        {
            if (!rows.TryGetValue(projection.Name, out var row) || row.State == "faulted")
            {
                continue;
            }

            try
            {
                worked |= row.State switch
                {
                    "rebuild_pending" => await StartRebuildAsync(projection, safeHead, ct),
                    "rebuilding" => await RebuildStepAsync(projection, row, safeHead, ct),
                    _ when projection.Lifecycle == ProjectionLifecycle.Async => await CatchUpAsync(projection, row, safeHead, ct),
                    _ => false,
                };
                _failures.Remove(projection.Name);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var count = _failures[projection.Name] = _failures.GetValueOrDefault(projection.Name) + 1;
                logger.LogWarning(ex, "Projection {Projection} failed (attempt {Attempt})", projection.Name, count);
                if (count >= options.ProjectionMaxAttempts)
                {
                    await projections.SetStateAsync(projection.Name, "faulted", $"{ex.GetType().Name}: {ex.Message}", ct);
                    _failures.Remove(projection.Name);
                }
            }
        }

        return worked;
    }

    private async Task<bool> CatchUpAsync(IProjection projection, ProjectionStore.Row row, long safeHead, CancellationToken ct)
    {
        if (row.Checkpoint >= safeHead)
        {
            return false;
        }

        var events = await store.ReadRangeAsync(dataSource, null, row.Checkpoint, safeHead, options.ProjectionBatchSize, ct);
        var next = events.Count < options.ProjectionBatchSize ? safeHead : events[^1].Position;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (events.Count > 0)
        {
            var batch = new ProjectionBatch(conn, tx, events, static t => t, isRebuild: false);
            await projection.ApplyAsync(batch, ct);
            await batch.FlushAsync(ct);
        }

        await using var cmd = new NpgsqlCommand(
            "UPDATE mr_projection_progress SET last_seq_id = @next, last_updated = now() WHERE name = @n AND last_seq_id = @prev AND state = 'running'",
            conn, tx);
        cmd.Parameters.AddWithValue("n", projection.Name);
        cmd.Parameters.AddWithValue("next", next);
        cmd.Parameters.AddWithValue("prev", row.Checkpoint);
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
        {
            await tx.RollbackAsync(ct);
            return false;
        }

        await tx.CommitAsync(ct);
        return true;
    }

    private async Task<bool> StartRebuildAsync(IProjection projection, long safeHead, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var drop = string.Join(";", projection.Tables.Select(t => $"DROP TABLE IF EXISTS {ProjectionStore.Shadow(t)}"));
        await using (var ddl = new NpgsqlCommand($"{drop}; {projection.CreateTablesSql(ProjectionStore.Shadow)}", conn, tx))
        {
            await ddl.ExecuteNonQueryAsync(ct);
        }

        await using (var cmd = new NpgsqlCommand(
            """
            UPDATE mr_projection_progress
            SET state = 'rebuilding', rebuild_position = 0, rebuild_target = @target, rebuild_pass = 1, last_error = NULL, last_updated = now()
            WHERE name = @n AND state = 'rebuild_pending'
            """,
            conn, tx))
        {
            cmd.Parameters.AddWithValue("n", projection.Name);
            cmd.Parameters.AddWithValue("target", safeHead);
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        logger.LogInformation("Rebuilding projection {Projection} from the first event", projection.Name);
        return true;
    }

    private async Task<bool> RebuildStepAsync(IProjection projection, ProjectionStore.Row row, long safeHead, CancellationToken ct)
    {
        // Writers keep moving the head, so a rebuild works in passes: replay up to the head seen when the
        // pass began, then start another towards the new head; after a few passes, each shorter than the
        // last, the remaining tail is applied under the swap's lock.
        var position = row.RebuildPosition ?? 0;
        if (safeHead - position <= options.RebuildBatchSize || (position >= row.RebuildTarget && row.RebuildPass >= MaxRebuildPasses))
        {
            // Statistics before the tables go live (and before the swap's lock): a table without them is planned as if
            // it were nearly empty until autovacuum gets round to it.
            await using (var analyze = dataSource.CreateCommand(string.Join(";", projection.Tables.Select(t => $"ANALYZE {ProjectionStore.Shadow(t)}"))))
            {
                await analyze.ExecuteNonQueryAsync(ct);
            }

            await SwapAsync(projection, position, ct);
            return true;
        }

        if (position >= row.RebuildTarget)
        {
            await using var nextPass = dataSource.CreateCommand(
                "UPDATE mr_projection_progress SET rebuild_target = @t, rebuild_pass = rebuild_pass + 1 WHERE name = @n AND state = 'rebuilding'");
            nextPass.Parameters.AddWithValue("n", projection.Name);
            nextPass.Parameters.AddWithValue("t", safeHead);
            await nextPass.ExecuteNonQueryAsync(ct);
            return true;
        }

        var events = await ReadRebuildBatchAsync(projection.Name, position, row.RebuildTarget, ct);
        var next = events.Count < options.RebuildBatchSize ? row.RebuildTarget : events[^1].Position;
        if (next < row.RebuildTarget)
        {
            // Reading and materializing the next batch overlaps applying this one.
            _prefetched[projection.Name] = (next, row.RebuildTarget,
                store.ReadRangeAsync(dataSource, null, next, row.RebuildTarget, options.RebuildBatchSize, CancellationToken.None));
        }

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (events.Count > 0)
        {
            var batch = new ProjectionBatch(conn, tx, events, ProjectionStore.Shadow, isRebuild: true);
            await projection.ApplyAsync(batch, ct);
            await batch.FlushAsync(ct);
        }

        await using var cmd = new NpgsqlCommand(
            "UPDATE mr_projection_progress SET rebuild_position = @next, last_updated = now() WHERE name = @n AND state = 'rebuilding' AND rebuild_position = @prev",
            conn, tx);
        cmd.Parameters.AddWithValue("n", projection.Name);
        cmd.Parameters.AddWithValue("next", next);
        cmd.Parameters.AddWithValue("prev", position);
        if (await cmd.ExecuteNonQueryAsync(ct) == 1)
        {
            await tx.CommitAsync(ct);
        }

        return true;
    }

    private async Task<IReadOnlyList<StoredEvent>> ReadRebuildBatchAsync(string name, long after, long upTo, CancellationToken ct)
    {
        if (_prefetched.Remove(name, out var prefetched))
        {
            var events = await prefetched.Events;
            if (prefetched.After == after && prefetched.UpTo == upTo)
            {
                return events;
            }
        }

        return await store.ReadRangeAsync(dataSource, null, after, upTo, options.RebuildBatchSize, ct);
    }

    private async Task SwapAsync(IProjection projection, long position, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var live = string.Join(", ", projection.Tables);
        await using (var lockCmd = new NpgsqlCommand($"LOCK TABLE {live} IN ACCESS EXCLUSIVE MODE", conn, tx))
        {
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        // Holding the lock, every transaction that wrote the live tables has committed and every later
        // one waits, then writes the swapped-in tables. Inline projections therefore take every event
        // committed so far; async ones only what the high-water mark allows, and resume from there.
        var last = projection.Lifecycle == ProjectionLifecycle.Inline
            ? long.MaxValue
            : await store.GetSafeHeadAsync(ct);
        var tail = await store.ReadRangeAsync(null, conn, position, last, int.MaxValue, ct);
        if (tail.Count > 0)
        {
            var batch = new ProjectionBatch(conn, tx, tail, ProjectionStore.Shadow, isRebuild: true);
            await projection.ApplyAsync(batch, ct);
            await batch.FlushAsync(ct);
        }

        var checkpoint = projection.Lifecycle == ProjectionLifecycle.Inline
            ? Math.Max(position, tail.Count == 0 ? position : tail[^1].Position)
            : Math.Max(position, last);
        var swap = string.Join(";", projection.Tables.Select(t => $"DROP TABLE {t}; ALTER TABLE {ProjectionStore.Shadow(t)} RENAME TO {t}"));
        await using (var ddl = new NpgsqlCommand(swap, conn, tx))
        {
            await ddl.ExecuteNonQueryAsync(ct);
        }

        await using (var cmd = new NpgsqlCommand("""
            UPDATE mr_projection_progress
            SET state = 'running', last_seq_id = @cp, projection_version = @v, rebuild_position = NULL, last_error = NULL, last_updated = now()
            WHERE name = @n AND state = 'rebuilding'
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("n", projection.Name);
            cmd.Parameters.AddWithValue("cp", checkpoint);
            cmd.Parameters.AddWithValue("v", projection.Version);
            if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            {
                await tx.RollbackAsync(ct);
                return;
            }
        }

        await tx.CommitAsync(ct);
        logger.LogInformation("Projection {Projection} rebuilt up to position {Position} and swapped in", projection.Name, checkpoint);
    }
}
