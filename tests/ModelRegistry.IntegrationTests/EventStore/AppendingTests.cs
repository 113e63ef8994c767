using ModelRegistry.EventStore;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore;

public sealed class AppendingTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private EventStoreHost _host = null!;

    private IEventStore Store => _host.Store;

    public async Task InitializeAsync() => _host = await EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Of_two_writers_with_the_same_expected_version_exactly_one_wins()
    {
        var stream = $"race-{Guid.NewGuid():N}";
        await Store.AppendAsync(stream, "test", ExpectedVersion.NoStream, [TestEvents.Inc()], EventMetadata.None);

        var attempts = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            try
            {
                await Store.AppendAsync(stream, "test", ExpectedVersion.Exactly(1), [TestEvents.Inc()], EventMetadata.None);
                return true;
            }
            catch (ConcurrencyException)
            {
                return false;
            }
        })).ToList();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(1, outcomes.Count(won => won));
        var events = await Store.ReadStreamAsync(stream);
        Assert.Equal([1L, 2L], events.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task A_writer_that_loses_the_version_check_draws_no_sequence_number()
    {
        var stream = $"nogap-{Guid.NewGuid():N}";
        await Store.AppendAsync(stream, "test", ExpectedVersion.NoStream, [TestEvents.Inc()], EventMetadata.None);
        var before = await Store.GetHeadAsync();

        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            Store.AppendAsync(stream, "test", ExpectedVersion.Exactly(7), [TestEvents.Inc(), TestEvents.Inc()], EventMetadata.None));
        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            Store.AppendAsync(stream, "test", ExpectedVersion.NoStream, [TestEvents.Inc()], EventMetadata.None));

        Assert.Equal(before, await Store.GetHeadAsync());
    }

    [Fact]
    public async Task Several_events_in_one_append_are_stored_together_or_not_at_all()
    {
        var stream = $"atomic-{Guid.NewGuid():N}";
        var taken = Guid.CreateVersion7();
        await Store.AppendAsync($"other-{Guid.NewGuid():N}", "test", ExpectedVersion.Any, [TestEvents.Inc(id: taken)], EventMetadata.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Store.AppendAsync(stream, "test", ExpectedVersion.Any, [TestEvents.Inc(), TestEvents.Inc(), TestEvents.Inc(id: taken)], EventMetadata.None));
        Assert.Empty(await Store.ReadStreamAsync(stream));
        Assert.Null(await Store.GetStreamVersionAsync(stream));

        var result = await Store.AppendAsync(stream, "test", ExpectedVersion.NoStream, [TestEvents.Inc(1), TestEvents.Inc(2), TestEvents.Inc(3)], EventMetadata.None);
        Assert.Equal(3, result.StreamVersion);
        var stored = await Store.ReadStreamAsync(stream);
        Assert.Equal([1L, 2L, 3L], stored.Select(e => e.StreamVersion));
        Assert.Equal([1, 2, 3], stored.Select(e => ((Incremented)e.Data).Amount));
        Assert.True(stored.Zip(stored.Skip(1)).All(p => p.First.Position < p.Second.Position));
    }

    [Fact]
    public async Task Work_in_the_append_transaction_that_fails_takes_the_events_with_it()
    {
        var stream = $"atomic-tx-{Guid.NewGuid():N}";

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.AppendAsync(stream, "test", ExpectedVersion.NoStream,
            [TestEvents.Inc(), TestEvents.Inc()], EventMetadata.None, (_, _) => throw new InvalidOperationException("boom")));

        Assert.Empty(await Store.ReadStreamAsync(stream));
        Assert.Null(await Store.GetStreamVersionAsync(stream));
    }

    [Fact]
    public async Task A_deferred_write_that_fails_with_the_commit_takes_the_events_with_it()
    {
        var stream = $"atomic-deferred-{Guid.NewGuid():N}";
        var failing = new NpgsqlBatchCommand("SELECT 1 / 0");

        var error = await Assert.ThrowsAsync<PostgresException>(() => Store.AppendAsync(stream, "test", ExpectedVersion.NoStream,
            [TestEvents.Inc()], EventMetadata.None, (transaction, _) =>
            {
                transaction.Defer(failing);
                return Task.CompletedTask;
            }));

        Assert.Equal(PostgresErrorCodes.DivisionByZero, error.SqlState);
        Assert.Empty(await Store.ReadStreamAsync(stream));
        Assert.Null(await Store.GetStreamVersionAsync(stream));
        await Store.AppendAsync(stream, "test", ExpectedVersion.NoStream, [TestEvents.Inc()], EventMetadata.None);
        Assert.Single(await Store.ReadStreamAsync(stream));
    }

    [Fact]
    public async Task A_deferred_write_commits_with_the_events()
    {
        var stream = $"deferred-{Guid.NewGuid():N}";
        var table = $"deferred_{Guid.NewGuid():N}";
        await using (var create = _host.DataSource.CreateCommand($"CREATE TABLE {table} (stream text)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        await Store.AppendAsync(stream, "test", ExpectedVersion.NoStream, [TestEvents.Inc()], EventMetadata.None, (transaction, _) =>
        {
            transaction.Defer(new NpgsqlBatchCommand($"INSERT INTO {table} VALUES ($1)") { Parameters = { new NpgsqlParameter<string> { TypedValue = stream } } });
            return Task.CompletedTask;
        });

        await using var count = _host.DataSource.CreateCommand($"SELECT count(*) FROM {table} WHERE stream = '{stream}'");
        Assert.Equal(1L, await count.ExecuteScalarAsync());
        Assert.Single(await Store.ReadStreamAsync(stream));
    }

    [Fact]
    public async Task Appending_an_event_id_that_is_already_stored_writes_nothing()
    {
        var stream = $"dup-{Guid.NewGuid():N}";
        var id = Guid.CreateVersion7();
        var first = await Store.AppendAsync(stream, "test", ExpectedVersion.Any, [TestEvents.Inc(5, id)], EventMetadata.None);

        var again = await Store.AppendAsync(stream, "test", ExpectedVersion.Any, [TestEvents.Inc(5, id)], EventMetadata.None);
        var retriedWithStaleVersion = await Store.AppendAsync(stream, "test", ExpectedVersion.NoStream, [TestEvents.Inc(5, id)], EventMetadata.None);

        Assert.False(first.WasDuplicate);
        Assert.True(again.WasDuplicate);
        Assert.True(retriedWithStaleVersion.WasDuplicate);
        Assert.Equal(first.LastPosition, again.LastPosition);
        Assert.Single(await Store.ReadStreamAsync(stream));
        Assert.Equal(1, await Store.GetStreamVersionAsync(stream));
    }

    [Fact]
    public async Task Concurrent_appends_of_the_same_event_id_store_it_once()
    {
        var stream = $"dupr-{Guid.NewGuid():N}";
        var id = Guid.CreateVersion7();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
            Store.AppendAsync(stream, "test", ExpectedVersion.Any, [TestEvents.Inc(1, id)], EventMetadata.None))));

        Assert.Single(results, r => !r.WasDuplicate);
        Assert.Single(await Store.ReadStreamAsync(stream));
    }

    [Fact]
    public async Task Every_event_carries_its_metadata_and_the_database_clock()
    {
        var stream = $"meta-{Guid.NewGuid():N}";
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        await Store.AppendAsync(stream, "test", ExpectedVersion.Any, [TestEvents.Inc()],
            new EventMetadata("alice", "corr-1", "cause-1", "because"));

        var e = Assert.Single(await Store.ReadStreamAsync(stream));
        Assert.Equal(new EventMetadata("alice", "corr-1", "cause-1", "because"), e.Metadata);
        Assert.Equal("Incremented", e.Type);
        Assert.Equal(1, e.SchemaVersion);
        Assert.Equal(7, e.Id.Version);
        Assert.InRange(e.Timestamp, before, DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
    }

    [Fact]
    public async Task A_stream_reads_forward_from_a_version_and_backward()
    {
        var stream = $"read-{Guid.NewGuid():N}";
        await Store.AppendAsync(stream, "test", ExpectedVersion.Any, Enumerable.Range(1, 5).Select(i => TestEvents.Inc(i)).ToList(), EventMetadata.None);

        Assert.Equal([3L, 4L, 5L], (await Store.ReadStreamAsync(stream, fromVersion: 3)).Select(e => e.StreamVersion));
        Assert.Equal([5L, 4L], (await Store.ReadStreamAsync(stream, maxCount: 2, backward: true)).Select(e => e.StreamVersion));
        Assert.Equal([2L, 1L], (await Store.ReadStreamAsync(stream, fromVersion: 2, backward: true)).Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task A_stream_aggregates_as_of_a_version_and_as_of_a_moment()
    {
        var stream = $"asof-{Guid.NewGuid():N}";
        await Store.AppendAsync(stream, "test", ExpectedVersion.Any, [TestEvents.Inc(1), TestEvents.Inc(10)], EventMetadata.None);
        await Task.Delay(50);
        var moment = (await Store.ReadStreamAsync(stream))[^1].Timestamp;
        await Task.Delay(50);
        await Store.AppendAsync(stream, "test", ExpectedVersion.Any, [TestEvents.Inc(100)], EventMetadata.None);

        static int Sum(int s, StoredEvent e) => s + ((Incremented)e.Data).Amount;
        Assert.Equal((111, 3L), await Store.AggregateAsync(stream, 0, Sum));
        Assert.Equal((1, 1L), await Store.AggregateAsync(stream, 0, Sum, new AsOf(Version: 1)));
        Assert.Equal((11, 2L), await Store.AggregateAsync(stream, 0, Sum, new AsOf(Timestamp: moment)));
        Assert.Equal((0, 0L), await Store.AggregateAsync(stream, 0, Sum, new AsOf(Timestamp: moment.AddHours(-1))));
    }
}
