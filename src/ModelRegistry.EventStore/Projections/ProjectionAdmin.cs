using ModelRegistry.EventStore.Storage;
using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>Status, rebuilds and waiting for projections: what operators and tests need.</summary>
public interface IProjectionAdmin
{
    /// <summary>Every registered projection with its progress.</summary>
    Task<IReadOnlyList<ProjectionStatus>> GetStatusAsync(CancellationToken ct = default);

    /// <summary>Marks a projection for a rebuild, which an instance running rebuilds claims; false when the name is unknown.</summary>
    Task<bool> RequestRebuildAsync(string name, CancellationToken ct = default);

    /// <summary>Waits until every projection is running and has applied every event committed before the call.</summary>
    Task WaitForNonStaleAsync(TimeSpan timeout, CancellationToken ct = default);
}

internal sealed class ProjectionAdmin(NpgsqlDataSource dataSource, ProjectionStore projections, HighWaterMark highWaterMark, RebuildSignal signal,
    EventStoreOptions options) : IProjectionAdmin
{
    public async Task<IReadOnlyList<ProjectionStatus>> GetStatusAsync(CancellationToken ct = default)
    {
        var head = await highWaterMark.RefreshAsync(ct);
        var rows = (await projections.LoadAllAsync(ct)).ToDictionary(r => r.Name);
        return projections.All.Select(p =>
        {
            var row = rows.GetValueOrDefault(p.Name);
            // Inline: a running projection has applied every committed event; while rebuilding, the live tables still have.
            var checkpoint = row is null or { State: "rebuild_pending" or "faulted" } ? 0 : head;
            return new ProjectionStatus(p.Name, p.Version, row?.Version ?? 0, "inline", checkpoint, head, Math.Max(0, head - checkpoint),
                row?.State ?? "missing", row?.LastError, row?.RebuildPosition, row?.LastUpdated ?? DateTimeOffset.MinValue);
        }).ToList();
    }

    public async Task<bool> RequestRebuildAsync(string name, CancellationToken ct = default)
    {
        var projection = projections.Find(name);
        if (projection is null || !await projections.RequestRebuildAsync(projection.Name, ct))
        {
            return false;
        }

        signal.Poke();
        return true;
    }

    public async Task WaitForNonStaleAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        // The last event committed before the call; the high-water mark may still lag behind it.
        await using var last = dataSource.CreateCommand($"SELECT coalesce(max(seq_id), 0) FROM {options.Schema}.mt_events");
        var target = (long)(await last.ExecuteScalarAsync(cts.Token))!;
        while (true)
        {
            var statuses = await GetStatusAsync(cts.Token);
            if (statuses.FirstOrDefault(s => s.State == "faulted") is { } faulted)
            {
                throw new InvalidOperationException($"Projection {faulted.Name} is faulted: {faulted.LastError}");
            }

            if (statuses.All(s => s.State == "running" && s.Checkpoint >= target))
            {
                return;
            }

            await Task.Delay(20, cts.Token);
        }
    }
}
