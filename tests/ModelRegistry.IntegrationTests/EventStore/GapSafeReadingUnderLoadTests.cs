using ModelRegistry.EventStore;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore;

public sealed class GapSafeReadingUnderLoadTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_following_concurrent_writers_sees_every_committed_event_exactly_once(bool asSuperuser)
    {
        await using (var migrated = await EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register, options: o => o.RunDaemon = false))
        {
            await ClearAsync();
        }

        await using var host = await EventStoreHost.StartAsync(asSuperuser ? db.ConnectionString : await CreateUnprivilegedRoleAsync(),
            TestEvents.Register, options: o => o.RunDaemon = false);
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var rollbacks = 0;
            for (var i = 0; i < 150; i++)
            {
                if (i % 10 == 0)
                {
                    await AppendAndRollBackAsync($"load-{w}");
                    rollbacks++;
                }

                await host.Store.AppendAsync($"load-{w}-{i % 5}", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
            }

            return rollbacks;
        })).ToList();

        var seen = new List<long>();
        var checkpoint = 0L;
        var allWritten = Task.WhenAll(writers);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!allWritten.IsCompleted || checkpoint < (await PositionsAsync()).LastOrDefault())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the reader is stuck at {checkpoint}");
            var batch = await host.Store.ReadAllAsync(checkpoint, 50);
            seen.AddRange(batch.Select(e => e.Position));
            checkpoint = batch.Count > 0 ? batch[^1].Position : checkpoint;
        }

        await allWritten;
        var stored = await PositionsAsync();
        Assert.Equal(8 * 150, stored.Count);
        Assert.Equal(stored, seen);
    }

    private async Task ClearAsync()
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("TRUNCATE registry.mt_events, registry.mt_streams CASCADE", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>An application role that may not read other sessions' transaction ids.</summary>
    private async Task<string> CreateUnprivilegedRoleAsync()
    {
        var role = $"mr_app_{Guid.NewGuid():N}"[..20];
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"""
            CREATE ROLE {role} LOGIN;
            GRANT ALL ON ALL TABLES IN SCHEMA public TO {role};
            GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role};
            GRANT ALL ON SCHEMA public TO {role};
            GRANT ALL ON SCHEMA registry TO {role};
            GRANT ALL ON ALL TABLES IN SCHEMA registry TO {role};
            GRANT ALL ON ALL SEQUENCES IN SCHEMA registry TO {role};
            GRANT ALL ON ALL FUNCTIONS IN SCHEMA registry TO {role};
            """, conn);
        await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString;
    }

    private async Task AppendAndRollBackAsync(string stream)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
await RawAppend.ExecuteAsync(conn, tx, stream, "Incremented", 1, """{"amount": 1}""");
        await Task.Delay(3);
        await tx.RollbackAsync();
    }

    private async Task<List<long>> PositionsAsync()
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT seq_id FROM registry.mt_events WHERE stream_id <> 'mt_tombstone' ORDER BY seq_id", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<long>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetInt64(0));
        }

        return list;
    }
}
