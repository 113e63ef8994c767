using ModelRegistry.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ModelRegistry.IntegrationTests.Crashes;

/// <summary>
/// The real server as a child process, killed with SIGKILL twenty times at random moments while eight clients send
/// catalog commands, and started again on the same database each time (SPEC §8); the facts look at what is left.
/// </summary>
public sealed class KillUnderLoadTests(KillUnderLoadTests.KilledServer run, ITestOutputHelper output) : IClassFixture<KillUnderLoadTests.KilledServer>
{
    private const int Cycles = 20;

    [Fact]
    public void Each_kill_is_a_SIGKILL_of_the_application_process_itself()
    {
        Assert.Equal(Cycles, run.Kills.ExitCodes.Count);
        Assert.All(run.Kills.ExitCodes, code => Assert.Equal(137, code));
    }

    [Fact]
    public void Every_acknowledged_command_is_stored_exactly_once_and_no_command_in_part()
    {
        output.WriteLine($"seed {run.Seed}, {run.Load.Ledger.Count} commands sent, {run.Load.Conflicts} concurrency conflicts sent again: {run.Audit}");
        Assert.True(run.Audit.Clean, $"seed {run.Seed}: {run.Audit}");
        Assert.Equal((0, 0, 0, 0), (run.Audit.Lost, run.Audit.Duplicated, run.Audit.HalfApplied, run.Audit.Gaps));
        Assert.True(run.Audit.Acknowledged > Cycles, $"only {run.Audit.Acknowledged} commands were acknowledged");
    }

    [Fact]
    public void Every_command_the_server_answered_was_accepted_none_refused_or_failed()
    {
        Assert.True(run.Load.Refusals.Count == 0, string.Join(Environment.NewLine, run.Load.Refusals.Take(20)));
    }

    [Fact]
    public async Task The_catalog_tables_equal_a_fold_of_the_events_and_a_rebuild_from_the_first_event()
    {
        using var client = run.Server.CreateClient();
        var models = run.Load.Ledger.Select(c => c.Stream);

        var differing = await CatalogConsistency.TablesDifferingFromFoldAsync(client, models, CancellationToken.None);
        Assert.True(differing.Count == 0, string.Join(Environment.NewLine, differing));

        var before = await CatalogConsistency.SnapshotAsync(run.Database.ConnectionString, CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await CatalogConsistency.RebuildAsync(client, timeout.Token);
        Assert.Equal(before, await CatalogConsistency.SnapshotAsync(run.Database.ConnectionString, CancellationToken.None));
    }

    [Fact]
    public async Task An_Idempotency_Key_sent_again_after_the_restarts_gets_the_first_answer_and_appends_nothing()
    {
        using var client = run.Server.CreateClient();
        var earlier = run.Load.IdempotentAcknowledgedBefore(Cycles).Take(25).ToList();
        var events = await EventCountAsync();

        foreach (var command in earlier)
        {
            var again = await CatalogLoad.SendAsync(client, command, Guid.CreateVersion7().ToString());

            var first = command.Answer!;
            Assert.Equal((first.Status, first.Body, first.ETag), (again.Status, again.Body, again.ETag));
            Assert.True(again.Replayed, $"{command} was answered again without Idempotent-Replayed");
        }

        Assert.NotEmpty(earlier);
        Assert.Equal(events, await EventCountAsync());
    }

    private async Task<long> EventCountAsync()
    {
        await using var source = run.Database.CreateDataSource();
        await using var count = source.CreateCommand("SELECT count(*) FROM registry.mt_events WHERE stream_id <> 'mt_tombstone'");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>One run of the kills for all the facts: the database, the server as it is after the last restart, and the audit.</summary>
    public sealed class KilledServer : IAsyncLifetime
    {
        private readonly string _storageRoot = Directory.CreateTempSubdirectory("mr-crash-").FullName;

        public TestDatabase Database { get; } = new();

        public int Seed { get; } = Random.Shared.Next(1_000_000);

        public ServerProcess Server { get; private set; } = null!;

        internal CatalogLoad Load { get; private set; } = null!;

        internal KillRun Kills { get; private set; } = null!;

        internal EventAudit Audit { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await Database.InitializeAsync();
            Server = ServerProcess.Create(Database.ConnectionString, _storageRoot, new Dictionary<string, string> { ["Registry:Jobs:RunWorker"] = "false" });
            await Server.StartAsync(timeout.Token);
            Load = new CatalogLoad(Server, _storageRoot, clients: 8, Seed);
            await Load.PrepareAsync(timeout.Token);
            Kills = await Load.RunKillingAsync(Cycles, timeout.Token);
            Audit = await EventAudit.RunAsync(Database.ConnectionString, Load.Ledger, timeout.Token);
        }

        public async Task DisposeAsync()
        {
            if (Server is not null)
            {
                await Server.DisposeAsync();
            }

            await Database.DisposeAsync();
            Directory.Delete(_storageRoot, recursive: true);
        }
    }
}
