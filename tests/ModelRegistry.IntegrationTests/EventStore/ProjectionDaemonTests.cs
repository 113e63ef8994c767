using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore;

public sealed class ProjectionDaemonTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Task<EventStoreHost> StartAsync(params IProjection[] projections) =>
        EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register, s =>
        {
            foreach (var p in projections)
            {
                s.AddSingleton(p);
            }
        });

    [Fact]
    public async Task An_inline_projection_is_written_in_the_same_transaction_as_the_append()
    {
        var projection = new CounterProjection("inline-same-tx", ProjectionLifecycle.Inline);
        await using var host = await StartAsync(projection);

        await host.Store.AppendAsync("inline-1", "test", ExpectedVersion.Any, [TestEvents.Inc(2), TestEvents.Inc(3)], EventMetadata.None);
        Assert.Equal((2L, 5L), await CountAsync(projection, "inline-1"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Store.AppendAsync("inline-1", "test", ExpectedVersion.Any,
            [TestEvents.Inc(100)], EventMetadata.None, (_, _) => throw new InvalidOperationException("rolled back")));
        Assert.Equal((2L, 5L), await CountAsync(projection, "inline-1"));
    }

    [Fact]
    public async Task The_daemon_resumes_from_its_checkpoint_after_a_restart()
    {
        var projection = new CounterProjection("async-resume", ProjectionLifecycle.Async);
        await using (var first = await StartAsync(projection))
        {
            for (var i = 0; i < 20; i++)
            {
                await first.Store.AppendAsync("resume-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
            }

            await first.Projections.WaitForNonStaleAsync(Timeout);
            Assert.Equal((20L, 20L), await CountAsync(projection, "resume-1"));
        }

        await using var writerOnly = await EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register, options: o => o.RunDaemon = false);
        for (var i = 0; i < 10; i++)
        {
            await writerOnly.Store.AppendAsync("resume-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        }

        Assert.Equal((20L, 20L), await CountAsync(projection, "resume-1"));
        var stopped = (await ProgressAsync(projection.Name)).Checkpoint;

        await using var second = await StartAsync(projection);
        await second.Projections.WaitForNonStaleAsync(Timeout);
        Assert.Equal((30L, 30L), await CountAsync(projection, "resume-1"));
        Assert.True((await ProgressAsync(projection.Name)).Checkpoint > stopped);
    }

    [Fact]
    public async Task Of_two_hosts_one_leads_and_the_other_takes_over_when_it_stops()
    {
        var projection = new CounterProjection("async-leader", ProjectionLifecycle.Async);
        var a = await StartAsync(projection);
        await using var b = await StartAsync(projection);
        await WaitUntilAsync(() => Daemon(a).IsLeader || Daemon(b).IsLeader);
        await Task.Delay(300);
        Assert.True(Daemon(a).IsLeader ^ Daemon(b).IsLeader);

        var (leader, follower) = Daemon(a).IsLeader ? (a, b) : (b, a);
        await leader.Store.AppendAsync("leader-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        await leader.Projections.WaitForNonStaleAsync(Timeout);
        await leader.DisposeAsync();

        await WaitUntilAsync(() => Daemon(follower).IsLeader);
        await follower.Store.AppendAsync("leader-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        await follower.Projections.WaitForNonStaleAsync(Timeout);
        Assert.Equal((2L, 2L), await CountAsync(projection, "leader-1"));
        if (!ReferenceEquals(a, leader))
        {
            await a.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_event_that_keeps_failing_faults_the_projection_with_its_error_instead_of_being_skipped()
    {
        var projection = new FailingOnNote("async-faulting");
        await using var host = await StartAsync(projection);
        await host.Store.AppendAsync("fault-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        await host.Store.AppendAsync("fault-1", "test", ExpectedVersion.Any, [new NewEvent(new Noted("poison"))], EventMetadata.None);
        await host.Store.AppendAsync("fault-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);

        await WaitUntilAsync(async () => (await ProgressAsync(projection.Name)).State == "faulted");
        var status = Assert.Single(await host.Projections.GetStatusAsync(), s => s.Name == projection.Name);
        Assert.Contains("poison", status.LastError);
        Assert.True(status.Lag > 0);
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Projections.WaitForNonStaleAsync(Timeout));
    }

    [Fact]
    public async Task The_status_reports_version_lifecycle_checkpoint_head_and_lag()
    {
        var projection = new CounterProjection("async-status", ProjectionLifecycle.Async);
        await using var host = await StartAsync(projection, new CounterProjection("inline-status", ProjectionLifecycle.Inline));
        await host.Store.AppendAsync("status-1", "test", ExpectedVersion.Any, [TestEvents.Inc()], EventMetadata.None);
        await host.Projections.WaitForNonStaleAsync(Timeout);

        var statuses = await host.Projections.GetStatusAsync();
        var async = Assert.Single(statuses, s => s.Name == "async-status");
        Assert.Equal(("async", "running", 1, 0L), (async.Lifecycle, async.State, async.Version, async.Lag));
        Assert.Equal(async.Head, async.Checkpoint);
        Assert.Equal("inline", Assert.Single(statuses, s => s.Name == "inline-status").Lifecycle);
    }

    private static ProjectionDaemon Daemon(EventStoreHost host) => host.Services.GetRequiredService<ProjectionDaemon>();

    private async Task<(long Events, long Total)> CountAsync(CounterProjection projection, string stream)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT events, total FROM {projection.Tables[0]} WHERE stream_id = @s", conn);
        cmd.Parameters.AddWithValue("s", stream);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    private async Task<(long Checkpoint, string State)> ProgressAsync(string name)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT last_seq_id, state FROM mr_projection_progress WHERE name = @n", conn);
        cmd.Parameters.AddWithValue("n", name);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetString(1));
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }

    private sealed class FailingOnNote(string name) : CounterProjection(name, ProjectionLifecycle.Async)
    {
        public override Task ApplyAsync(ProjectionBatch batch, CancellationToken ct) =>
            batch.Events.FirstOrDefault(e => e.Data is Noted) is { Data: Noted note }
                ? throw new InvalidOperationException($"cannot project note '{note.Text}'")
                : base.ApplyAsync(batch, ct);
    }
}
