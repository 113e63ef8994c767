using JasperFx;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using Wolverine;
using Wolverine.Runtime;

namespace ModelRegistry.Admin;

/// <summary>A projection's progress and health, as the admin API and readiness report it.</summary>
/// <param name="Name">Projection name.</param>
/// <param name="Version">Version in code.</param>
/// <param name="StoredVersion">Version the stored read model was built with.</param>
/// <param name="Lifecycle">inline or async.</param>
/// <param name="Checkpoint">Last position applied (an inline projection has applied every committed event).</param>
/// <param name="Head">Marten's high-water mark.</param>
/// <param name="Lag">Head minus checkpoint.</param>
/// <param name="State">running, rebuild_pending, rebuilding, faulted (its last error says why) or paused.</param>
/// <param name="LastError">What faulted or paused it.</param>
/// <param name="RebuildPosition">How far a running rebuild has replayed.</param>
/// <param name="LastUpdated">When its progress was last recorded.</param>
internal sealed record ProjectionStatus(
    string Name, int Version, int StoredVersion, string Lifecycle, long Checkpoint, long Head, long Lag, string State,
    string? LastError, long? RebuildPosition, DateTimeOffset LastUpdated);

/// <summary>
/// The projections' status from Marten's own progress (<c>mt_event_progression</c>: the high-water mark, the async projections'
/// shards, a rebuild's shard) and the catalog's state; and rebuild requests, sent as durable messages.
/// </summary>
internal sealed class ProjectionAdmin(IDocumentStore store, IWolverineRuntime messaging, TimeProvider clock, IEnumerable<IProjectionCoordinator> daemons)
{
    private static readonly string[] AsyncProjections = [ModelStateProjection.ProjectionName];

    public IReadOnlyList<string> Names { get; } = [CatalogProjection.ProjectionName, .. AsyncProjections];

    public async Task<IReadOnlyList<ProjectionStatus>> GetStatusAsync(CancellationToken ct = default)
    {
        var shards = (await store.Advanced.AllProjectionProgress(token: ct)).ToDictionary(s => s.ShardName, StringComparer.Ordinal);
        var head = shards.TryGetValue(ShardState.HighWaterMark, out var mark) ? mark.Sequence : 0;
        var now = clock.GetUtcNow();
        await using var session = store.QuerySession();
        var catalog = await session.LoadAsync<CatalogProjectionState>(CatalogProjectionState.Key, ct)
            ?? new CatalogProjectionState { Version = CatalogProjection.Version, UpdatedAt = now };
        var rebuild = shards.GetValueOrDefault($"{CatalogProjection.ProjectionName}:All");
        var statuses = new List<ProjectionStatus>
        {
            // Inline, the live tables have every committed event, also while a rebuild fills their copies.
            new(CatalogProjection.ProjectionName, CatalogProjection.Version, catalog.Version, "inline", head, head, 0, catalog.State, catalog.LastError,
                catalog.State == ProjectionStates.Rebuilding ? rebuild?.Sequence ?? 0 : null, catalog.UpdatedAt),
        };
        foreach (var name in AsyncProjections)
        {
            var shard = shards.GetValueOrDefault($"{name}:All");
            var checkpoint = shard?.Sequence ?? 0;
            var fault = shard?.Failure?.Message ?? shard?.PauseReason ?? PausedHere($"{name}:All");
            var state = fault is not null ? ProjectionStates.Faulted : ProjectionStates.Running;
            statuses.Add(new ProjectionStatus(name, 1, 1, "async", checkpoint, head, Math.Max(0, head - checkpoint), state,
                fault, null, shard?.LastUpdated ?? shard?.Timestamp ?? now));
        }

        return statuses;
    }

    /// <summary>
    /// Why the shard is paused in this node's daemon, if it runs it and it is: Marten stores a pause on the shard's progress row,
    /// which it makes at the shard's first progress, so a shard that faults on the first events it reads is paused only there.
    /// </summary>
    private string? PausedHere(string shard)
    {
        var daemon = daemons.FirstOrDefault()?.DaemonForMainDatabase();
        return daemon?.StatusFor(shard) == AgentStatus.Paused
            ? daemon.CurrentAgents().FirstOrDefault(a => a.Name.Identity == shard)?.Failure?.Message ?? "paused"
            : null;
    }

    /// <summary>Asks for a rebuild of the named projection; false when no projection of that name can be rebuilt here.</summary>
    public async Task<bool> RequestRebuildAsync(string name, CancellationToken ct = default)
    {
        if (!string.Equals(name, CatalogProjection.ProjectionName, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        await new MessageBus(messaging).InvokeAsync<CatalogRebuildRequested>(new RequestCatalogRebuild(), ct);
        return true;
    }

    /// <summary>Waits until every projection is running at its version and has applied every event committed before the call.</summary>
    public async Task WaitForNonStaleAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        await using var last = store.Storage.Database.CreateConnection();
        await last.OpenAsync(cts.Token);
        await using var cmd = last.CreateCommand();
        cmd.CommandText = $"SELECT coalesce(max(seq_id), 0) FROM {RegistryStore.Schema}.mt_events";
        var target = (long)(await cmd.ExecuteScalarAsync(cts.Token))!;
        while (true)
        {
            var statuses = await GetStatusAsync(cts.Token);
            if (statuses.FirstOrDefault(s => s.State == ProjectionStates.Faulted) is { } faulted)
            {
                throw new InvalidOperationException($"Projection {faulted.Name} is faulted: {faulted.LastError}");
            }

            if (statuses.All(s => s.State == ProjectionStates.Running && s.Version == s.StoredVersion && s.Checkpoint >= target))
            {
                return;
            }

            await Task.Delay(20, cts.Token);
        }
    }
}

/// <summary>Starting new code whose catalog projection has another version than the one that built the live tables rebuilds it.</summary>
internal sealed class ProjectionVersionCheck(IWolverineRuntime messaging) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        new MessageBus(messaging).InvokeAsync<CatalogRebuildRequested>(new RequestCatalogRebuild(OnlyForNewVersion: true), cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
