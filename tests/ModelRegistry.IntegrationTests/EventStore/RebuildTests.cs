using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore;

public sealed class RebuildTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private Task<EventStoreHost> StartAsync(IEnumerable<CounterProjection> projections, int rebuildBatch = 5000) =>
        EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register, s =>
        {
            foreach (var p in projections)
            {
                s.AddInlineProjection(p);
            }
        }, o => o.RebuildBatchSize = rebuildBatch);

    [Fact]
    public async Task A_rebuild_while_eight_writers_append_loses_no_event_and_reads_keep_answering()
    {
        CounterProjection[] projections = [new("inline-rebuilt"), new("inline-reference")];
        await using var host = await StartAsync(projections, rebuildBatch: 400);
        for (var i = 0; i < 40; i++)
        {
            await host.Store.AppendAsync($"rb-{i % 20}", "test", ExpectedVersion.Any,
                Enumerable.Range(1, 50).Select(n => TestEvents.Inc(n)).ToList(), EventMetadata.None);
        }

        using var stopWriting = new CancellationTokenSource();
        var rebuilding = 0;
        var appendedDuringRebuild = 0;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var appended = 0;
            while (!stopWriting.IsCancellationRequested && appended < 300)
            {
                await host.Store.AppendAsync($"rb-{(w * 7 + appended) % 25}", "test", ExpectedVersion.Any, [TestEvents.Inc(w + 1)], EventMetadata.None);
                appended++;
                if (Volatile.Read(ref rebuilding) == 1)
                {
                    Interlocked.Increment(ref appendedDuringRebuild);
                }

                await Task.Delay(5);
            }

            return appended;
        })).ToList();
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            while (!stopWriting.IsCancellationRequested)
            {
                foreach (var table in new[] { "inline-rebuilt" }.Select(CounterProjection.TableFor))
                {
                    await using var conn = new NpgsqlConnection(db.ConnectionString);
                    await conn.OpenAsync();
                    await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {table}", conn);
                    await cmd.ExecuteScalarAsync();
                    reads++;
                }
            }
        });

        await Task.Delay(200);
        Assert.True(await host.Projections.RequestRebuildAsync("inline-rebuilt"));
        await WaitUntilAsync(async () => (await host.Projections.GetStatusAsync()).Any(s => s.State == "rebuilding"));
        Volatile.Write(ref rebuilding, 1);
        await WaitUntilAsync(async () => (await host.Projections.GetStatusAsync()).All(s => s.State == "running"),
            async () => string.Join("; ", (await host.Projections.GetStatusAsync()).Select(s => $"{s.Name} {s.State} cp {s.Checkpoint} head {s.Head} rb {s.RebuildPosition} err {s.LastError}")));
        await Task.Delay(200);
        await stopWriting.CancelAsync();
        var written = (await Task.WhenAll(writers)).Sum();
        await reader;
        await host.Projections.WaitForNonStaleAsync(Timeout);

        Assert.True(appendedDuringRebuild > 0 && reads > 0);
        var truth = await RowsAsync("""
            SELECT stream_id, count(*), sum((data->>'amount')::bigint), max(version) FROM registry.mt_events WHERE stream_id LIKE 'rb-%' GROUP BY stream_id ORDER BY stream_id
            """);
        Assert.Equal(2000 + written, truth.Sum(r => r.Events));
        foreach (var name in projections.Select(p => p.Name).Reverse())
        {
            Assert.Equal(truth, await RowsAsync($"SELECT stream_id, events, total, last_version FROM {CounterProjection.TableFor(name)} WHERE stream_id LIKE 'rb-%' ORDER BY stream_id"));
        }
    }

    [Fact]
    public async Task A_bumped_projection_version_rebuilds_at_start()
    {
        await using (var v1 = await StartAsync([new CounterProjection("bumped", version: 1)]))
        {
            await v1.Store.AppendAsync("bump-1", "test", ExpectedVersion.Any, [TestEvents.Inc(4), TestEvents.Inc(5)], EventMetadata.None);
            await v1.Projections.WaitForNonStaleAsync(Timeout);
        }

        await using (var conn = new NpgsqlConnection(db.ConnectionString))
        {
            await conn.OpenAsync();
            await using var damage = new NpgsqlCommand($"UPDATE {CounterProjection.TableFor("bumped")} SET total = -1", conn);
            await damage.ExecuteNonQueryAsync();
        }

        await using var v2 = await StartAsync([new CounterProjection("bumped", version: 2)]);
        await v2.Projections.WaitForNonStaleAsync(Timeout);

        var status = Assert.Single(await v2.Projections.GetStatusAsync());
        Assert.Equal((2, 2, "running"), (status.Version, status.StoredVersion, status.State));
        // The swapped-in table went live with statistics (ANALYZE by the rebuild, not autovacuum's).
        await Eventually.HoldsAsync(() => AnalyzedAsync(CounterProjection.TableFor("bumped")));
        Assert.Equal([("bump-1", 2L, 9L, 2L)], await RowsAsync($"SELECT stream_id, events, total, last_version FROM {CounterProjection.TableFor("bumped")} WHERE stream_id = 'bump-1'"));
    }

    [Fact]
    public async Task Old_payloads_are_upcast_on_read_so_a_replay_sees_the_current_schema()
    {
        await using (var conn = new NpgsqlConnection(db.ConnectionString))
        {
            await using var host = await StartAsync([]);
            await conn.OpenAsync();
await RawAppend.ExecuteAsync(conn, null, "upcast-1", "Incremented", 1, """{"amount": 3}""");
            await RawAppend.ExecuteAsync(conn, null, "upcast-1", "Incremented", 2, """{"amount": 4, "unit": "x"}""");
        }

        var projection = new UpcastCounter("upcast-replay");
        await using var current = await EventStoreHost.StartAsync(db.ConnectionString, r => r
            .Register<IncrementedV2>("Incremented", schemaVersion: 2)
            .Upcast("Incremented", 1, json =>
            {
                json["amount"] = json["amount"]!.GetValue<int>() * 10;
                json["unit"] = "legacy";
                return json;
            }), s => s.AddInlineProjection(projection));

        var events = await current.Store.ReadStreamAsync("upcast-1");
        Assert.Equal([new IncrementedV2(30, "legacy"), new IncrementedV2(4, "x")], events.Select(e => e.Data));
        Assert.All(events, e => Assert.Equal(2, e.SchemaVersion));

        await current.Projections.WaitForNonStaleAsync(Timeout);
        Assert.Equal([("upcast-1", 2L, 34L, 2L)], await RowsAsync($"SELECT stream_id, events, total, last_version FROM {projection.Tables[0]}"));
    }

    private sealed record IncrementedV2(int Amount, string Unit);

    /// <summary>Counts the upcast payloads: a replay sees the current schema.</summary>
    private sealed class UpcastCounter(string name) : CounterProjection(name)
    {
        protected override long Amount(object data) => data is IncrementedV2 v ? v.Amount : base.Amount(data);
    }

    private async Task<bool> AnalyzedAsync(string table)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = $1", conn)
        {
            Parameters = { new() { Value = table } },
        };
        return await cmd.ExecuteScalarAsync() is true;
    }

    private async Task<List<(string Stream, long Events, long Total, long LastVersion)>> RowsAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, long, long, long)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return rows;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not reached in time: {(describe is null ? "" : await describe())}");
            await Task.Delay(10);
        }
    }
}
