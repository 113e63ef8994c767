using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelRegistry.EventStore.Storage;
using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>Wakes this instance's rebuilds early when a rebuild was requested here.</summary>
internal sealed class RebuildSignal : WakeSignal;

/// <summary>
/// Rebuilds inline projections without read downtime (docs/adr/0005): claims a pending rebuild with a compare-and-set on its
/// progress row, replays Marten's events into shadow tables in batches (each with its progress in one transaction), in passes
/// towards the moving gap-safe head, then swaps the shadows in under a lock that makes every later inline write land in them.
/// No leader: whichever instance claims a rebuild runs it; one whose owner stops making progress for a lease is claimed again.
/// </summary>
internal sealed class ProjectionRebuilds(
    NpgsqlDataSource dataSource,
    MartenEventStore store,
    ProjectionStore projections,
    RebuildSignal signal,
    EventStoreOptions options,
    ILogger<ProjectionRebuilds> logger) : BackgroundService
{
    private const int MaxRebuildPasses = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.RunDaemon || projections.All.Count == 0)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var name in await projections.ClaimableAsync(stoppingToken))
                {
                    if (projections.Find(name) is { } projection)
                    {
                        await ClaimAndRunAsync(projection, stoppingToken);
                    }
                }

                await signal.WaitAsync(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Looking for projection rebuilds failed; retrying");
                await Task.Delay(options.PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task ClaimAndRunAsync(IRebuildableProjection projection, CancellationToken ct)
    {
        var owner = Guid.CreateVersion7();
        if (!await projections.TryClaimRebuildAsync(projection.Name, owner, ct))
        {
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await RebuildAsync(projection, owner, ct);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Rebuilding projection {Projection} failed (attempt {Attempt})", projection.Name, attempt);
                if (attempt >= options.ProjectionMaxAttempts)
                {
                    await projections.FaultAsync(projection.Name, owner, $"{ex.GetType().Name}: {ex.Message}", ct);
                    return;
                }
            }
        }
    }

    private async Task RebuildAsync(IRebuildableProjection projection, Guid owner, CancellationToken ct)
    {
        await using (var ddl = dataSource.CreateCommand(string.Join(";", projection.Tables.Select(t => $"DROP TABLE IF EXISTS {ProjectionStore.Shadow(t)}"))
                                                      + ";" + projection.CreateTablesSql(ProjectionStore.Shadow)))
        {
            await ddl.ExecuteNonQueryAsync(ct);
        }

        logger.LogInformation("Rebuilding projection {Projection} from the first event", projection.Name);

        // Writers keep moving the head, so a rebuild works in passes: replay up to the head seen when the pass began, then start
        // another towards the new head; after a few passes, each shorter than the last, the remaining tail is applied under the
        // swap's lock.
        var position = 0L;
        var pass = 1;
        var target = await store.GetSafeHeadAsync(ct);
        Task<IReadOnlyList<StoredEvent>>? prefetched = null;
        while (true)
        {
            var safeHead = position >= target ? await store.GetSafeHeadAsync(ct) : target;
            if (safeHead - position <= options.RebuildBatchSize || (position >= target && pass >= MaxRebuildPasses))
            {
                break;
            }

            if (position >= target)
            {
                target = safeHead;
                pass++;
                continue;
            }

            var events = prefetched is null ? await ReadAsync(position, target, ct) : await prefetched;
            var next = events.Count < options.RebuildBatchSize ? target : events[^1].Position;
            // Reading and materializing the next batch overlaps applying this one.
            prefetched = next < target ? ReadAsync(next, target, CancellationToken.None) : null;
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            if (events.Count > 0)
            {
                await projection.ReplayAsync(conn, tx, events, ProjectionStore.Shadow, ct);
            }

            await using var progress = new NpgsqlCommand("""
                UPDATE mr_projection_progress SET rebuild_position = @next, rebuild_target = @target, rebuild_pass = @pass, last_updated = now()
                WHERE name = @n AND state = 'rebuilding' AND rebuild_owner = @o
                """, conn, tx);
            progress.Parameters.AddWithValue("n", projection.Name);
            progress.Parameters.AddWithValue("o", owner);
            progress.Parameters.AddWithValue("next", next);
            progress.Parameters.AddWithValue("target", target);
            progress.Parameters.AddWithValue("pass", pass);
            if (await progress.ExecuteNonQueryAsync(ct) != 1)
            {
                await tx.RollbackAsync(ct);
                logger.LogInformation("The rebuild of projection {Projection} was superseded", projection.Name);
                return;
            }

            await tx.CommitAsync(ct);
            position = next;
        }

        // Statistics before the tables go live (and before the swap's lock): a table without them is planned as if it were nearly
        // empty until autovacuum gets round to it.
        await using (var analyze = dataSource.CreateCommand(string.Join(";", projection.Tables.Select(t => $"ANALYZE {ProjectionStore.Shadow(t)}"))))
        {
            await analyze.ExecuteNonQueryAsync(ct);
        }

        if (await SwapAsync(projection, owner, position, ct))
        {
            projection.SwappedIn();
        }
    }

    private Task<IReadOnlyList<StoredEvent>> ReadAsync(long after, long upTo, CancellationToken ct) =>
        store.ReadRangeAsync(dataSource, null, after, upTo, options.RebuildBatchSize, ct);

    private async Task<bool> SwapAsync(IRebuildableProjection projection, Guid owner, long position, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand($"LOCK TABLE {string.Join(", ", projection.Tables)} IN ACCESS EXCLUSIVE MODE", conn, tx))
        {
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        // Holding the lock, every transaction that wrote the live tables has committed and every later one waits, then writes the
        // swapped-in tables: the tail is every event committed so far.
        var tail = await store.ReadRangeAsync(null, conn, position, long.MaxValue, int.MaxValue, ct);
        if (tail.Count > 0)
        {
            await projection.ReplayAsync(conn, tx, tail, ProjectionStore.Shadow, ct);
        }

        var checkpoint = tail.Count == 0 ? position : Math.Max(position, tail[^1].Position);
        var swap = string.Join(";", projection.Tables.Select(t => $"DROP TABLE {t}; ALTER TABLE {ProjectionStore.Shadow(t)} RENAME TO {t}"));
        await using (var ddl = new NpgsqlCommand(swap, conn, tx))
        {
            await ddl.ExecuteNonQueryAsync(ct);
        }

        await using (var cmd = new NpgsqlCommand("""
            UPDATE mr_projection_progress
            SET state = 'running', last_seq_id = @cp, projection_version = @v, rebuild_position = NULL, rebuild_owner = NULL, last_error = NULL,
                last_updated = now()
            WHERE name = @n AND state = 'rebuilding' AND rebuild_owner = @o
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("n", projection.Name);
            cmd.Parameters.AddWithValue("o", owner);
            cmd.Parameters.AddWithValue("cp", checkpoint);
            cmd.Parameters.AddWithValue("v", projection.Version);
            if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            {
                await tx.RollbackAsync(ct);
                return false;
            }
        }

        await tx.CommitAsync(ct);
        logger.LogInformation("Projection {Projection} rebuilt up to position {Position} and swapped in", projection.Name, checkpoint);
        return true;
    }
}
