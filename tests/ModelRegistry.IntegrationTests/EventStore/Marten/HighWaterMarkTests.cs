using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>
/// Marten's high-water mark (the daemon's "HighWaterMark" progression row) around a position that is not committed: it waits
/// for a transaction that is still open, also past <c>StaleSequenceThreshold</c> (observed for 15 s with a 1 s threshold); a
/// save that fails after drawing its positions leaves no hole, Marten fills them with tombstone events (stream <c>mt_tombstone</c>),
/// which a reader of the whole log must skip.
/// </summary>
public sealed class HighWaterMarkTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_mark_does_not_pass_a_position_whose_transaction_is_open_within_the_stale_threshold()
    {
        using var store = await StoreAsync(TimeSpan.FromMinutes(5));
        using var daemon = await StartDaemonAsync(store);
        var (held, later) = await HoldOnePositionAndCommitTheNextAsync(store, async () =>
        {
            var next = await db.LastDrawnSequenceAsync();
            await Eventually.HoldsAsync(async () => await MarkAsync() >= next - 2, within: Patience);
            // The daemon polls the mark often; a few seconds give it many chances to pass the open position.
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.True(await MarkAsync() < next - 1, "The mark passed a position whose transaction is still open.");
        });

        await Eventually.HoldsAsync(async () => await MarkAsync() >= later, within: Patience);
        Assert.True(held < later);
        await daemon.StopAllAsync();
    }

    [Fact]
    public async Task Past_the_stale_threshold_the_mark_still_waits_for_a_position_whose_transaction_is_open()
    {
        using var store = await StoreAsync(TimeSpan.FromSeconds(1));
        using var daemon = await StartDaemonAsync(store);
        long markWhileOpen = 0;
        var (held, later) = await HoldOnePositionAndCommitTheNextAsync(store, async () =>
        {
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (DateTime.UtcNow < until)
            {
                markWhileOpen = Math.Max(markWhileOpen, await MarkAsync());
                await Task.Delay(100);
            }
        });

        await Eventually.HoldsAsync(async () => await MarkAsync() >= later, within: Patience);
        Assert.True(markWhileOpen < held && held < later, $"mark {markWhileOpen} while position {held} was open, later {later}");
        await daemon.StopAllAsync();
    }

    [Fact]
    public async Task The_position_a_rolled_back_save_drew_is_filled_by_a_tombstone_event_that_the_mark_passes()
    {
        using var store = await StoreAsync(TimeSpan.FromSeconds(1));
        using var daemon = await StartDaemonAsync(store);
        await using (var failing = store.LightweightSession())
        {
            failing.Events.StartStream(CatalogEvents.NewKey("rolled-back"), new ModelLocked(Failing.Reason));
            await Assert.ThrowsAnyAsync<Exception>(() => failing.SaveChangesAsync());
        }

        var hole = await db.LastDrawnSequenceAsync();
        var laterKey = CatalogEvents.NewKey("later");
        await using (var later = store.LightweightSession())
        {
            later.Events.StartStream(laterKey, CatalogEvents.Registered(laterKey));
            await later.SaveChangesAsync();
        }

        await Eventually.HoldsAsync(async () => await MarkAsync() > hole, within: Patience);
        Assert.Equal(new object?[] { "mt_tombstone", "tombstone" },
            (await db.RowsAsync("SELECT stream_id, type FROM registry.mt_events WHERE seq_id = $1", hole)).Single());
        await daemon.StopAllAsync();
    }

    private Task<DocumentStore> StoreAsync(TimeSpan staleThreshold) => ConformanceStore.CreateAsync(db, o =>
    {
        o.Projections.Add(new TransactionHold(), ProjectionLifecycle.Inline, "transaction_hold");
        o.Projections.Add(new Failing(), ProjectionLifecycle.Inline, "failing");
        o.Projections.Add(new Nothing(), ProjectionLifecycle.Async, $"nothing_{Guid.NewGuid():N}"[..16]);
        o.Projections.StaleSequenceThreshold = staleThreshold;
    });

    /// <summary>
    /// One save holds its transaction open after drawing its position; a second save on another stream commits after it. While
    /// the first is held, <paramref name="whileHeld"/> runs; then the first commits. Returns both positions.
    /// </summary>
    private async Task<(long Held, long Later)> HoldOnePositionAndCommitTheNextAsync(DocumentStore store, Func<Task> whileHeld)
    {
        await using var gate = await TransactionHold.CloseGateAsync(db);
        var heldKey = CatalogEvents.NewKey("held");
        await using var held = store.LightweightSession();
        held.Events.StartStream(heldKey, new ModelLocked(TransactionHold.Reason));
        var holding = held.SaveChangesAsync();
        await gate.WaitForBlockedAsync(1);

        var laterKey = CatalogEvents.NewKey("later");
        await using (var later = store.LightweightSession())
        {
            later.Events.StartStream(laterKey, CatalogEvents.Registered(laterKey));
            await later.SaveChangesAsync();
        }

        try
        {
            await whileHeld();
        }
        finally
        {
            await gate.OpenAsync();
            await holding;
        }

        var positions = await db.RowsAsync("SELECT stream_id, seq_id FROM registry.mt_events WHERE stream_id = ANY($1)", (object)new[] { heldKey, laterKey });
        return ((long)positions.Single(p => (string)p[0]! == heldKey)[1]!, (long)positions.Single(p => (string)p[0]! == laterKey)[1]!);
    }

    private async Task<long> MarkAsync() =>
        (await db.RowsAsync("SELECT last_seq_id FROM registry.mt_event_progression WHERE name = 'HighWaterMark'")).SingleOrDefault()?[0] as long? ?? 0;

    private static async Task<IProjectionDaemon> StartDaemonAsync(DocumentStore store)
    {
        var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.StartAllAsync();
        return daemon;
    }

    /// <summary>Fails the save of a lock with <see cref="Reason"/> after its append, so its position becomes a hole.</summary>
    private sealed class Failing : IProjection
    {
        public const string Reason = "fail the save";

        public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
        {
            if (events.Any(e => e.Data is ModelLocked { Reason: Reason }))
            {
                operations.QueueSqlCommand("SELECT 1 / 0");
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>An async projection that writes nothing: it only makes the daemon track the mark.</summary>
    private sealed class Nothing : IProjection
    {
        public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation) => Task.CompletedTask;
    }
}
