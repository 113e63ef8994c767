using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Marten.Exceptions;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>
/// SQL that an inline projection queues runs after the append, in its transaction: how the catalog reads an event's
/// global position, which Quick mode does not show the projection.
/// </summary>
public sealed class UnitOfWorkOrderTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string Failing = "fail in the projection";

    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await ConformanceStore.CreateAsync(db, o =>
        {
            o.Projections.Add(new WriteModelProjection(), ProjectionLifecycle.Live);
            o.Projections.Add(new PositionReader(), ProjectionLifecycle.Inline, "position_reader");
        });
        await db.RowsAsync("CREATE TABLE IF NOT EXISTS registry.seen_positions (event_id uuid PRIMARY KEY, seq_id bigint NOT NULL)");
    }

    public Task DisposeAsync()
    {
        _store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Sql_queued_by_an_inline_projection_finds_the_events_of_its_own_save_with_their_positions()
    {
        var key = CatalogEvents.NewKey("uow");
        await using (var session = _store.LightweightSession())
        {
            var stream = await session.Events.FetchForWriting<WriteModel>(key);
            stream.AppendMany(CatalogEvents.Registered(key), CatalogEvents.Version(1));
            await session.SaveChangesAsync();
        }

        var stored = await _store.QuerySession().Events.FetchStreamAsync(key);
        var seen = await db.RowsAsync("SELECT event_id, seq_id FROM registry.seen_positions WHERE event_id = ANY($1) ORDER BY seq_id", stored.Select(e => e.Id).ToArray());
        Assert.Equal(stored.Select(e => (e.Id, e.Sequence)), seen.Select(r => ((Guid)r[0]!, (long)r[1]!)));
    }

    [Fact]
    public async Task A_failing_statement_queued_by_an_inline_projection_fails_the_save_with_the_database_error()
    {
        var refused = await Assert.ThrowsAsync<MartenCommandException>(() => StartFailingAsync(CatalogEvents.NewKey("uow")));

        Assert.Equal(PostgresErrorCodes.DivisionByZero, Assert.IsType<PostgresException>(refused.InnerException).SqlState);
    }

    [Fact]
    public async Task A_failing_statement_queued_by_an_inline_projection_takes_the_events_with_it()
    {
        var key = CatalogEvents.NewKey("uow");

        await Assert.ThrowsAsync<MartenCommandException>(() => StartFailingAsync(key));

        Assert.Empty(await db.RowsAsync("SELECT 1 FROM registry.mt_events WHERE stream_id = $1", key));
        Assert.Empty(await db.RowsAsync("SELECT 1 FROM registry.mt_streams WHERE id = $1", key));
    }

    [Fact]
    public async Task A_save_rolled_back_after_the_append_leaves_a_gap_in_the_sequence()
    {
        var before = await db.LastDrawnSequenceAsync();

        await Assert.ThrowsAsync<MartenCommandException>(() => StartFailingAsync(CatalogEvents.NewKey("uow")));

        Assert.Equal(before + 2, await db.LastDrawnSequenceAsync());
    }

    private async Task StartFailingAsync(string key)
    {
        await using var session = _store.LightweightSession();
        session.Events.StartStream(key, CatalogEvents.Registered(key), new ModelLocked(Failing));
        await session.SaveChangesAsync();
    }

    private sealed class PositionReader : IProjection
    {
        public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
        {
            foreach (var e in events)
            {
                if (e.Data is ModelLocked { Reason: Failing })
                {
                    operations.QueueSqlCommand("SELECT 1 / 0");
                }
                else
                {
                    operations.QueueSqlCommand(
                        "INSERT INTO registry.seen_positions (event_id, seq_id) SELECT id, seq_id FROM registry.mt_events WHERE id = ?", e.Id);
                }
            }

            return Task.CompletedTask;
        }
    }
}
