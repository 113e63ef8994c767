using ModelRegistry.EventStore;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore;

public sealed class GapSafeReadingTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private EventStoreHost _host = null!;

    private IEventStore Store => _host.Store;

    public async Task InitializeAsync() => _host = await EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_reader_never_passes_an_event_that_commits_later_with_a_smaller_position()
    {
        var start = await AppendAndReadAsync("gap-before");

        await using var holder = await OpenTransactionThatAppendsAsync("gap-a");
        var positionA = holder.Position;
        var b = await Store.AppendAsync("gap-b", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        Assert.True(b.LastPosition > positionA);

        var whileOpen = await Store.ReadAllAsync(start, 1000);
        Assert.DoesNotContain(whileOpen, e => e.Position >= positionA);
        Assert.True(await Store.GetSafeHeadAsync() < positionA);

        await holder.CommitAsync();

        var after = await ReadUntilAsync(start, e => e.Any(x => x.Position == b.LastPosition));
        Assert.Equal([positionA, b.LastPosition], after.Select(e => e.Position));
    }

    [Fact]
    public async Task A_rolled_back_position_leaves_a_hole_that_does_not_block_readers()
    {
        var start = await AppendAndReadAsync("hole-before");

        long rolledBack;
        await using (var holder = await OpenTransactionThatAppendsAsync("hole-a"))
        {
            rolledBack = holder.Position;
            await holder.RollbackAsync();
        }

        var b = await Store.AppendAsync("hole-b", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);

        var after = await ReadUntilAsync(start, e => e.Any(x => x.Position == b.LastPosition));
        Assert.DoesNotContain(after, e => e.Position == rolledBack);
        Assert.Equal([b.LastPosition], after.Select(e => e.Position));
        Assert.True(await Store.GetSafeHeadAsync() >= b.LastPosition);
    }

    private async Task<long> AppendAndReadAsync(string stream)
    {
        var appended = await Store.AppendAsync(stream, "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        await ReadUntilAsync(appended.LastPosition - 1, e => e.Any(x => x.Position == appended.LastPosition));
        return appended.LastPosition;
    }

    private async Task<IReadOnlyList<StoredEvent>> ReadUntilAsync(long after, Func<IReadOnlyList<StoredEvent>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var events = await Store.ReadAllAsync(after, 1000);
            if (done(events) || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Appends with the store's own statement in a transaction the test holds open.</summary>
    private async Task<OpenAppend> OpenTransactionThatAppendsAsync(string stream)
    {
        var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        var tx = await conn.BeginTransactionAsync();
var position = await RawAppend.ExecuteAsync(conn, tx, stream, "Incremented", 1, """{"amount": 1}""");
        return new OpenAppend(conn, tx, position);
    }

    private sealed class OpenAppend(NpgsqlConnection conn, NpgsqlTransaction tx, long position) : IAsyncDisposable
    {
        public long Position { get; } = position;

        public Task CommitAsync() => tx.CommitAsync();

        public Task RollbackAsync() => tx.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await conn.DisposeAsync();
        }
    }
}
