using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>
/// An async projection whose apply throws: paused and reported when <c>Projections.Errors.SkipApplyErrors</c> is false,
/// skipped and dead-lettered by default. Each test has its own projection, which throws only on a lock carrying its name.
/// </summary>
public sealed class AsyncProjectionErrorTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string _name = $"locks_{Guid.NewGuid():N}"[..14];

    [Fact]
    public async Task With_apply_errors_not_skipped_the_shard_of_a_throwing_projection_is_paused()
    {
        using var store = await StoreAsync(skipApplyErrors: false);
        await AppendPoisonAsync(store);
        var daemon = await StartDaemonAsync(store);

        await Eventually.HoldsAsync(() => Task.FromResult(daemon.HasAnyPaused()), within: Patience);

        Assert.Equal(AgentStatus.Paused, daemon.StatusFor(new ShardName(_name).Identity));
        await daemon.StopAllAsync();
    }

    [Fact]
    public async Task With_apply_errors_not_skipped_a_paused_shard_stops_before_the_event_that_threw_and_dead_letters_nothing()
    {
        using var store = await StoreAsync(skipApplyErrors: false);
        var poison = await AppendPoisonAsync(store);
        var daemon = await StartDaemonAsync(store);
        await Eventually.HoldsAsync(() => Task.FromResult(daemon.HasAnyPaused()), within: Patience);
        await daemon.StopAllAsync();

        Assert.True(await ProgressAsync(store) < poison);
        Assert.Empty(await DeadLettersAsync(store));
    }

    [Fact]
    public async Task With_apply_errors_not_skipped_a_paused_shard_with_earlier_progress_stores_its_status_and_the_failed_event()
    {
        using var store = await StoreAsync(skipApplyErrors: false);
        var daemon = await StartDaemonAsync(store);
        var fine = await AppendAsync(store, new ModelLocked("fine"));
        await Eventually.HoldsAsync(async () => await ProgressAsync(store) >= fine, within: Patience);
        var poison = await AppendPoisonAsync(store);

        await Eventually.HoldsAsync(async () => (await StoredAsync(store)).AgentStatus == "Paused", within: Patience);

        var stored = await StoredAsync(store);
        Assert.Contains(_name, stored.PauseReason);
        Assert.Equal(new object?[] { "ApplyEvent", poison, "ModelLocked" }, (await db.RowsAsync(
            "SELECT failure_category, failure_event_sequence, failure_event_type FROM registry.mt_event_progression WHERE name = $1",
            new ShardName(_name).Identity)).Single());
        await daemon.StopAllAsync();
    }

    [Fact]
    public async Task By_default_the_event_that_threw_is_skipped_and_dead_lettered()
    {
        using var store = await StoreAsync(skipApplyErrors: null);
        var poison = await AppendPoisonAsync(store);
        var daemon = await StartDaemonAsync(store);

        await Eventually.HoldsAsync(async () => await ProgressAsync(store) > poison, within: Patience);

        Assert.Equal([poison], (await DeadLettersAsync(store)).Select(d => d.EventSequence));
        await daemon.StopAllAsync();
    }

    private async Task<DocumentStore> StoreAsync(bool? skipApplyErrors) => await ConformanceStore.CreateAsync(db, o =>
    {
        if (skipApplyErrors is { } skip)
        {
            o.Projections.Errors.SkipApplyErrors = skip;
        }

        o.Events.EnableExtendedProgressionTracking = true;
        o.Projections.Add(new LockCountProjection(_name), ProjectionLifecycle.Async);
    });

    /// <summary>A new model with a lock whose apply throws, then one more event; returns the lock's position.</summary>
    private async Task<long> AppendPoisonAsync(DocumentStore store) => await AppendAsync(store, new ModelLocked(_name), new ModelUnlocked("after")) - 1;

    /// <summary>A new model with these events after its registration; returns the last one's position.</summary>
    private static async Task<long> AppendAsync(DocumentStore store, params object[] events)
    {
        var key = CatalogEvents.NewKey("errors");
        await using var session = store.LightweightSession();
        session.Events.StartStream(key, [CatalogEvents.Registered(key), .. events]);
        await session.SaveChangesAsync();
        return (await session.Events.FetchStreamAsync(key))[^1].Sequence;
    }

    private static async Task<IProjectionDaemon> StartDaemonAsync(DocumentStore store)
    {
        var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.StartAllAsync();
        return daemon;
    }

    private async Task<long> ProgressAsync(DocumentStore store) => await store.Advanced.ProjectionProgressFor(new ShardName(_name));

    private async Task<ShardState> StoredAsync(DocumentStore store) =>
        (await store.Advanced.AllProjectionProgress()).SingleOrDefault(s => s.ShardName == new ShardName(_name).Identity) ?? new ShardState(_name, 0);

    private async Task<IReadOnlyList<DeadLetterEvent>> DeadLettersAsync(DocumentStore store) =>
        await store.QuerySession().Query<DeadLetterEvent>().Where(d => d.ProjectionName == _name).ToListAsync();

    private sealed record LockCount(string Id, int Locks);

    private sealed class LockCountProjection : SingleStreamProjection<LockCount, string>
    {
        public LockCountProjection(string name) => Name = name;

        public override LockCount? Evolve(LockCount? snapshot, string id, IEvent e) => e.Data switch
        {
            ModelLocked locked when locked.Reason == Name => throw new InvalidOperationException($"{Name} cannot apply this lock"),
            ModelLocked => new LockCount(id, (snapshot?.Locks ?? 0) + 1),
            _ => snapshot ?? new LockCount(id, 0),
        };
    }
}
