using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore;

public sealed class InlineProjectionTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Task<EventStoreHost> StartAsync(params CounterProjection[] projections) =>
        EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register, s =>
        {
            foreach (var p in projections)
            {
                s.AddInlineProjection(p);
            }
        });

    [Fact]
    public async Task An_inline_projection_is_written_in_the_same_transaction_as_the_append()
    {
        var projection = new CounterProjection("inline-same-tx");
        await using var host = await StartAsync(projection);

        await host.Store.AppendAsync("inline-1", "test", ExpectedVersion.Any, [TestEvents.Inc(2), TestEvents.Inc(3)], EventMetadata.None);
        Assert.Equal((2L, 5L), await CountAsync(projection, "inline-1"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Store.AppendAsync("inline-1", "test", ExpectedVersion.Any,
            [TestEvents.Inc(100)], EventMetadata.None, (_, _) => throw new InvalidOperationException("rolled back")));
        Assert.Equal((2L, 5L), await CountAsync(projection, "inline-1"));
    }

    [Fact]
    public async Task A_rebuild_request_is_claimed_by_one_instance_only()
    {
        var projection = new CounterProjection("claimed-once");
        await using var host = await StartAsync(projection);
        await host.Store.AppendAsync("claim-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        var store = host.Services.GetRequiredService<ProjectionStore>();
        await using (var pending = host.DataSource.CreateCommand("UPDATE mr_projection_progress SET state = 'rebuild_pending' WHERE name = 'claimed-once'"))
        {
            await pending.ExecuteNonQueryAsync();
        }

        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.TryClaimRebuildAsync(projection.Name, Guid.NewGuid(), default)));

        // This host's own rebuild loop may have been first; either way no two claims succeed. A claim of this test runs no
        // rebuild, so a new request hands it back to the host's loop.
        Assert.True(claims.Count(c => c) <= 1);
        Assert.True(await host.Projections.RequestRebuildAsync(projection.Name));
        await host.Projections.WaitForNonStaleAsync(Timeout);
        Assert.Equal((1L, 1L), await CountAsync(projection, "claim-1"));
    }

    [Fact]
    public async Task A_rebuild_that_keeps_failing_faults_the_projection_with_its_error()
    {
        var projection = new FailingOnNote("rebuild-faulting");
        await using var host = await StartAsync(projection);
        await host.Store.AppendAsync("fault-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        await host.Store.AppendAsync("fault-1", "test", ExpectedVersion.Any, [new NewEvent(new Noted("poison"))], EventMetadata.None);
        await host.Store.AppendAsync("fault-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);

        Assert.True(await host.Projections.RequestRebuildAsync(projection.Name));
        await WaitUntilAsync(async () => (await StateAsync(projection.Name)) == "faulted");
        var status = Assert.Single(await host.Projections.GetStatusAsync(), s => s.Name == projection.Name);
        Assert.Contains("poison", status.LastError);
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Projections.WaitForNonStaleAsync(Timeout));

        // The live table kept every event meanwhile.
        Assert.Equal((3L, 2L), await CountAsync(projection, "fault-1"));
    }

    [Fact]
    public async Task The_status_reports_version_lifecycle_checkpoint_head_and_lag()
    {
        await using var host = await StartAsync(new CounterProjection("inline-status"));
        await host.Store.AppendAsync("status-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        await host.Projections.WaitForNonStaleAsync(Timeout);

        var status = Assert.Single(await host.Projections.GetStatusAsync(), s => s.Name == "inline-status");
        Assert.Equal(("inline", "running", 1, 1, 0L), (status.Lifecycle, status.State, status.Version, status.StoredVersion, status.Lag));
        Assert.Equal(status.Head, status.Checkpoint);
        Assert.True(status.Head > 0);
    }

    private async Task<(long Events, long Total)> CountAsync(CounterProjection projection, string stream)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT events, total FROM {projection.Tables[0]} WHERE stream_id = @s", conn);
        cmd.Parameters.AddWithValue("s", stream);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    private async Task<string> StateAsync(string name)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT state FROM mr_projection_progress WHERE name = @n", conn);
        cmd.Parameters.AddWithValue("n", name);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }

    /// <summary>Projects inline, but its replay cannot get past a note.</summary>
    private sealed class FailingOnNote(string name) : CounterProjection(name)
    {
        public override Task ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredEvent> events,
            Func<string, string> table, CancellationToken ct) =>
            events.FirstOrDefault(e => e.Data is Noted) is { Data: Noted note }
                ? throw new InvalidOperationException($"cannot project note '{note.Text}'")
                : base.ReplayAsync(connection, transaction, events, table, ct);
    }
}
