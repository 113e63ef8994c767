using System.Collections.Concurrent;
using System.Diagnostics;
using JasperFx.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelRegistry.IntegrationTests.Infrastructure;
using Wolverine;
using Wolverine.Runtime;
using Wolverine.Tracking;
using Xunit.Abstractions;

namespace ModelRegistry.IntegrationTests.Messaging.OnWolverine;

/// <summary>
/// Durability after a crash, in <c>Balanced</c> mode: node A dies while handling a message of the durable local
/// queue; node B, started afterwards on the same database, ejects A once its heartbeat is stale and runs the message.
/// The crash is real as far as the database can tell: A stops with <see cref="StopMode.Quick"/> (no draining, no release
/// of its envelopes, its node row left in place) and its connections are then cut.
/// </summary>
public sealed class CrashRecoveryTests(TestDatabase db, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    /// <summary>The timings of the plan (§4): ejection about 5 s after the last heartbeat, recovery polled every second.</summary>
    private static void Tuned(DurabilitySettings d)
    {
        d.HealthCheckPollingTime = 1.Seconds();
        d.FirstHealthCheckExecution = 500.Milliseconds();
        d.StaleNodeTimeout = 5.Seconds();
        d.StaleNodeEjectionThreshold = 2;
        d.ScheduledJobFirstExecution = TimeSpan.Zero;
        d.ScheduledJobPollingTime = 1.Seconds();
        d.OrphanedMessageSweepPollingTime = 2.Seconds();
    }

    [Fact]
    public async Task A_message_a_dead_node_was_handling_is_run_by_a_new_node_with_tuned_durability_timings()
    {
        var (sinceStart, sinceCrash) = await CrashAndRecoverAsync(Tuned);

        output.WriteLine($"tuned timings: run by the new node {sinceStart.TotalSeconds:F1} s after it started, " +
                         $"{sinceCrash.TotalSeconds:F1} s after the crash");
        Assert.InRange(sinceStart, TimeSpan.Zero, TimeSpan.FromSeconds(60));
    }

    private async Task<(TimeSpan SinceStart, TimeSpan SinceCrash)> CrashAndRecoverAsync(Action<DurabilitySettings> timings)
    {
        var key = $"slow-{Guid.NewGuid():N}";
        var dying = new JobGate(blocks: true);
        var a = await StartAsync(dying, timings);
        await a.MessageBus().PublishAsync(new SlowJob(key));
        await dying.Entered(key).WaitAsync(TimeSpan.FromSeconds(30));
        var nodeA = a.GetRuntime().DurabilitySettings.AssignedNodeNumber;
        Assert.Equal(nodeA, await OwnerAsync(key));

        a.GetRuntime().StopMode = StopMode.Quick;
        await a.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        a.Dispose();
        await CutOtherConnectionsAsync();
        var crashed = Stopwatch.StartNew();

        Assert.Equal(nodeA, await OwnerAsync(key));
        Assert.Equal("Incoming", await StatusAsync(key));
        Assert.Equal(1, await WolverineTestHost.CountAsync(db,
            $"SELECT count(*) FROM {WolverineTestHost.Schema}.wolverine_nodes WHERE node_number = @n", ("n", nodeA)));

        var next = new JobGate(blocks: false);
        var started = Stopwatch.StartNew();
        using var b = await StartAsync(next, timings);
        await next.Entered(key).WaitAsync(TimeSpan.FromSeconds(240));
        var (sinceStart, sinceCrash) = (started.Elapsed, crashed.Elapsed);

        await WolverineTestHost.EventuallyAsync(async () => await StatusAsync(key) == "Handled", TimeSpan.FromSeconds(30));
        Assert.Equal(1, next.Runs(key));
        Assert.Equal(0, await WolverineTestHost.CountAsync(db,
            $"SELECT count(*) FROM {WolverineTestHost.Schema}.wolverine_nodes WHERE node_number = @n", ("n", nodeA)));
        return (sinceStart, sinceCrash);
    }

    private Task<IHost> StartAsync(JobGate gate, Action<DurabilitySettings> timings) =>
        WolverineTestHost.StartAsync(db, o =>
        {
            o.Discovery.IncludeType(typeof(SlowJobHandler));
            o.LocalQueue("downloads").UseDurableInbox();
            o.PublishMessage<SlowJob>().ToLocalQueue("downloads");
            timings(o.Durability);
        }, s => s.AddSingleton(gate), mode: DurabilityMode.Balanced);

    /// <summary>What a dead process leaves to the database: its sessions end, and with them its advisory locks.</summary>
    private Task CutOtherConnectionsAsync() => WolverineTestHost.ExecuteAsync(db,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");

    private Task<long> OwnerAsync(string key) => WolverineTestHost.CountAsync(db,
        $"SELECT owner_id FROM {WolverineTestHost.Schema}.wolverine_incoming_envelopes WHERE position(convert_to(@k, 'UTF8') IN body) > 0",
        ("k", key));

    private async Task<string?> StatusAsync(string key)
    {
        await using var conn = new Npgsql.NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            $"SELECT status FROM {WolverineTestHost.Schema}.wolverine_incoming_envelopes WHERE position(convert_to(@k, 'UTF8') IN body) > 0", conn);
        cmd.Parameters.AddWithValue("k", key);
        return (string?)await cmd.ExecuteScalarAsync();
    }
}

public sealed record SlowJob(string Key);

/// <summary>
/// Where a host's <see cref="SlowJob"/> handler goes: a blocking gate never lets it finish (the node dies mid-job),
/// an open one counts the run.
/// </summary>
public sealed class JobGate(bool blocks)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _entered = new();
    private readonly ConcurrentDictionary<string, int> _runs = new();

    public Task Entered(string key) => Signal(key).Task;

    public int Runs(string key) => _runs.GetValueOrDefault(key);

    public Task PassAsync(string key)
    {
        _runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        Signal(key).TrySetResult();
        return blocks ? new TaskCompletionSource().Task : Task.CompletedTask;
    }

    private TaskCompletionSource Signal(string key) =>
        _entered.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

public static class SlowJobHandler
{
    public static Task Handle(SlowJob message, JobGate gate) => gate.PassAsync(message.Key);
}
