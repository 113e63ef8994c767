using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;
using ModelRegistry.EventStore.Storage;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// Group commit with one group at a time: an append is held inside its transaction while others queue up behind it; when it is
/// let go, the queued ones are written together. Each test checks what every caller got and what the tables hold.
/// </summary>
public sealed class GroupCommitTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly CounterProjection _counter = new("grouped", ProjectionLifecycle.Inline);
    private EventStoreHost _host = null!;

    private IEventStore Store => _host.Store;

    // The store's defaults: one group in flight, so everything that queues behind it forms the next group.
    public async Task InitializeAsync() => _host = await EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register,
        s => s.AddSingleton<IProjection>(_counter));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Appends_that_queue_behind_one_in_flight_commit_together_in_one_transaction()
    {
        var streams = Streams("together", 10);

        var results = await QueuedBehindAnotherAsync(streams.Select(s => Append(s, ExpectedVersion.NoStream, TestEvents.Inc(3))).ToList());

        Assert.All(results, r => Assert.Equal(1, Assert.IsType<AppendResult>(r).StreamVersion));
        Assert.Equal(1, await ScalarAsync<long>("SELECT count(DISTINCT xmin::text) FROM mt_events WHERE stream_id = ANY(@s)", streams));
        Assert.Equal(10, await ScalarAsync<long>("SELECT count(DISTINCT seq_id) FROM mt_events WHERE stream_id = ANY(@s)", streams));
        Assert.Equal(30, await ScalarAsync<long>($"SELECT sum(total)::bigint FROM {CounterProjection.TableFor("grouped")} WHERE stream_id = ANY(@s)", streams));
        Assert.Equal(results.Select(r => ((AppendResult)r).LastPosition).Order(),
            await ColumnAsync<long>("SELECT seq_id FROM mt_events WHERE stream_id = ANY(@s) ORDER BY seq_id", streams));
    }

    [Fact]
    public async Task A_group_of_new_checked_and_unchecked_appends_of_several_events_stores_each_stream_in_order()
    {
        var streams = Streams("kinds", 3);
        await Store.AppendAsync(streams[1], "test", ExpectedVersion.NoStream, [TestEvents.Inc(), TestEvents.Inc()], EventMetadata.None);
        await Store.AppendAsync(streams[2], "test", ExpectedVersion.NoStream, [TestEvents.Inc()], EventMetadata.None);

        var results = await QueuedBehindAnotherAsync(
        [
            () => Store.AppendAsync(streams[0], "test", ExpectedVersion.NoStream, [TestEvents.Inc(1), TestEvents.Inc(2), TestEvents.Inc(3)],
                new EventMetadata("new", "c0")),
            () => Store.AppendAsync(streams[1], "test", ExpectedVersion.Exactly(2), [TestEvents.Inc(4), TestEvents.Inc(5)],
                new EventMetadata("checked", "c1", Reason: "why"), (_, _) => Task.CompletedTask),
            () => Store.AppendAsync(streams[2], "test", ExpectedVersion.Any, [TestEvents.Inc(6), TestEvents.Inc(7)], new EventMetadata("any"),
                (_, _) => Task.CompletedTask),
        ]);

        Assert.Equal([3L, 4L, 3L], results.Select(r => Assert.IsType<AppendResult>(r).StreamVersion));
        Assert.Equal(1, await ScalarAsync<long>("SELECT count(DISTINCT xmin::text) FROM mt_events WHERE stream_id = ANY(@s) AND user_name IS NOT NULL", streams));
        for (var i = 0; i < streams.Length; i++)
        {
            var stored = await Store.ReadStreamAsync(streams[i]);
            Assert.Equal(Enumerable.Range(1, stored.Count).Select(v => (long)v), stored.Select(e => e.StreamVersion));
            Assert.True(stored.Zip(stored.Skip(1)).All(p => p.First.Position < p.Second.Position));
            var written = ((AppendResult)results[i]).Events;
            Assert.Equal(written.Select(e => (e.Position, e.StreamVersion, e.Id)), stored.TakeLast(written.Count).Select(e => (e.Position, e.StreamVersion, e.Id)));
        }

        var checkedEvents = (await Store.ReadStreamAsync(streams[1])).Skip(2).ToList();
        Assert.Equal([4, 5], checkedEvents.Select(e => ((Incremented)e.Data).Amount));
        Assert.All(checkedEvents, e => Assert.Equal(new EventMetadata("checked", "c1", Reason: "why"), e.Metadata));
    }

    [Fact]
    public async Task An_append_that_loses_its_version_check_fails_alone_and_the_rest_of_its_group_commits()
    {
        var streams = Streams("loser", 5);
        await Store.AppendAsync(streams[2], "test", ExpectedVersion.NoStream, [TestEvents.Inc()], EventMetadata.None);

        var results = await QueuedBehindAnotherAsync(streams.Select((s, i) => i == 2
            ? Append(s, ExpectedVersion.Exactly(5), TestEvents.Inc(100))
            : Append(s, ExpectedVersion.NoStream, TestEvents.Inc())).ToList());

        var refused = Assert.IsType<ConcurrencyException>(results[2]);
        Assert.Equal(1, refused.Actual);
        Assert.All(results.Where((_, i) => i != 2), r => Assert.Equal(1, Assert.IsType<AppendResult>(r).StreamVersion));
        Assert.Equal(1, await ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE stream_id = @s", streams[2]));
        Assert.Equal(5, await ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE stream_id = ANY(@s)", streams));
    }

    [Fact]
    public async Task Work_that_fails_in_a_group_fails_only_its_own_append()
    {
        var streams = Streams("work", 5);

        var results = await QueuedBehindAnotherAsync(streams.Select((s, i) => i == 1
            ? Append(s, ExpectedVersion.NoStream, TestEvents.Inc(), (_, _) => throw new InvalidOperationException("this append's own work failed"))
            : Append(s, ExpectedVersion.NoStream, TestEvents.Inc(2))).ToList());

        Assert.Equal("this append's own work failed", Assert.IsType<InvalidOperationException>(results[1]).Message);
        Assert.All(results.Where((_, i) => i != 1), r => Assert.IsType<AppendResult>(r));
        Assert.Null(await Store.GetStreamVersionAsync(streams[1]));
        Assert.Equal(8, await ScalarAsync<long>($"SELECT sum(total)::bigint FROM {CounterProjection.TableFor("grouped")} WHERE stream_id = ANY(@s)", streams));
    }

    [Fact]
    public async Task Appends_to_one_stream_go_in_separate_transactions_and_all_land()
    {
        var stream = Streams("same", 1)[0];

        var results = await QueuedBehindAnotherAsync(Enumerable.Range(0, 4).Select(_ => Append(stream, ExpectedVersion.Any, TestEvents.Inc())).ToList());

        Assert.Equal([1L, 2L, 3L, 4L], results.Select(r => Assert.IsType<AppendResult>(r).StreamVersion).Order());
        Assert.Equal(4, await ScalarAsync<long>("SELECT count(DISTINCT xmin::text) FROM mt_events WHERE stream_id = @s", stream));
    }

    [Fact]
    public async Task A_retried_append_in_a_group_returns_what_is_stored_and_writes_nothing()
    {
        var streams = Streams("retry", 3);
        var id = Guid.CreateVersion7();
        var first = await Store.AppendAsync(streams[0], "test", ExpectedVersion.NoStream, [TestEvents.Inc(7, id)], EventMetadata.None);

        var results = await QueuedBehindAnotherAsync(streams.Select((s, i) =>
            Append(s, ExpectedVersion.NoStream, i == 0 ? TestEvents.Inc(7, id) : TestEvents.Inc())).ToList());

        var retried = Assert.IsType<AppendResult>(results[0]);
        Assert.True(retried.WasDuplicate);
        Assert.Equal(first.LastPosition, retried.LastPosition);
        Assert.Equal(1, await ScalarAsync<long>("SELECT count(*) FROM mt_events WHERE stream_id = @s", streams[0]));
        Assert.All(results.Skip(1), r => Assert.False(Assert.IsType<AppendResult>(r).WasDuplicate));
    }

    [Fact]
    public async Task Rows_the_appends_of_a_group_defer_go_in_one_statement_and_only_committed_appends_keep_theirs()
    {
        var (together, failing) = (Streams("rows", 6), Streams("rows-failing", 6));
        var rows = new StreamRows();
        await ExecuteAsync($"CREATE TABLE IF NOT EXISTS {StreamRows.Table} (stream text PRIMARY KEY, amount int NOT NULL)");

        var committed = await QueuedBehindAnotherAsync(together.Select((s, i) => DeferringRow(s, i, rows, fail: false)).ToList());
        var statements = rows.Take();
        var rolledBack = await QueuedBehindAnotherAsync(failing.Select((s, i) => DeferringRow(s, i, rows, fail: i == 4)).ToList());

        Assert.All(committed, r => Assert.IsType<AppendResult>(r));
        Assert.Equal([6], statements);
        Assert.Equal([0, 1, 2, 3, 4, 5], await ColumnAsync<int>($"SELECT amount FROM {StreamRows.Table} WHERE stream = ANY(@s) ORDER BY amount", together));
        // A failing append rolls its group back; each append then runs alone, with a statement of its own.
        Assert.IsType<InvalidOperationException>(rolledBack[4]);
        Assert.All(rolledBack.Where((_, i) => i != 4), r => Assert.IsType<AppendResult>(r));
        Assert.Equal([1, 1, 1, 1, 1], rows.Take());
        Assert.Equal([0, 1, 2, 3, 5], await ColumnAsync<int>($"SELECT amount FROM {StreamRows.Table} WHERE stream = ANY(@s) ORDER BY amount", failing));
    }

    private Func<Task<AppendResult>> DeferringRow(string stream, int amount, StreamRows rows, bool fail) =>
        Append(stream, ExpectedVersion.NoStream, TestEvents.Inc(), (transaction, _) =>
        {
            transaction.DeferRow(rows, (stream, amount));
            return fail ? throw new InvalidOperationException("refused after deferring its row") : Task.CompletedTask;
        });

    private static string[] Streams(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => $"{prefix}-{i}-{Guid.NewGuid():N}")];

    private Func<Task<AppendResult>> Append(string stream, ExpectedVersion expected, NewEvent e, InTransaction? work = null) =>
        () => Store.AppendAsync(stream, "test", expected, [e], new EventMetadata("tester"), work);

    /// <summary>
    /// Holds one append inside its transaction until every append in <paramref name="appends"/> waits for a group, then lets it go;
    /// returns each append's result or exception, in order.
    /// </summary>
    private async Task<object[]> QueuedBehindAnotherAsync(IReadOnlyList<Func<Task<AppendResult>>> appends)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = Store.AppendAsync($"holder-{Guid.NewGuid():N}", "test", ExpectedVersion.NoStream, [TestEvents.Inc()], EventMetadata.None,
            async (_, _) =>
            {
                entered.TrySetResult();
                await release.Task;
            });
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var queued = appends.Select(a => Task.Run(a)).ToList();
        var groups = _host.Services.GetRequiredService<PostgresEventStore>().Groups;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (groups.Waiting < appends.Count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Only {groups.Waiting} of {appends.Count} appends queued.");
            await Task.Delay(5);
        }

        release.SetResult();
        await holder;
        var results = new object[queued.Count];
        for (var i = 0; i < queued.Count; i++)
        {
            try
            {
                results[i] = await queued[i];
            }
            catch (Exception ex)
            {
                results[i] = ex;
            }
        }

        return results;
    }

    /// <summary>One row per stream, written by one multi-row statement; remembers how many rows each statement carried.</summary>
    private sealed class StreamRows : RowStatement<(string Stream, int Amount)>
    {
        public const string Table = "grouped_rows";

        private readonly List<int> _statements = [];

        /// <summary>How many rows each statement created so far carried; forgets them.</summary>
        public int[] Take()
        {
            lock (_statements)
            {
                var taken = _statements.ToArray();
                _statements.Clear();
                return taken;
            }
        }

        public override NpgsqlBatchCommand Create(IReadOnlyList<(string Stream, int Amount)> rows)
        {
            lock (_statements)
            {
                _statements.Add(rows.Count);
            }

            return new NpgsqlBatchCommand($"INSERT INTO {Table} (stream, amount) SELECT * FROM unnest($1::text[], $2::int[])")
            {
                Parameters =
                {
                    new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Stream)] },
                    new NpgsqlParameter<int[]> { TypedValue = [.. rows.Select(r => r.Amount)] },
                },
            };
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql, object parameter)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("s", parameter);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<List<T>> ColumnAsync<T>(string sql, object parameter)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("s", parameter);
        var values = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }
}
