using System.Net;
using ModelRegistry.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ModelRegistry.IntegrationTests.Crashes;

/// <summary>The real server on a PostgreSQL cluster of this test's own, which is restarted in immediate mode under load.</summary>
public sealed class DatabaseRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Restarts = 2;
    private const int AcknowledgedAfterEachRestart = 20;

    private readonly string _storageRoot = Directory.CreateTempSubdirectory("mr-pg-restart-").FullName;
    private PrivateCluster _cluster = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _cluster = await PrivateCluster.StartAsync();
        _server = ServerProcess.Create(_cluster.ConnectionString, _storageRoot, new Dictionary<string, string> { ["Registry:Jobs:RunWorker"] = "false" });
        await _server.StartAsync();
    }

    [Fact]
    public async Task The_app_answers_503_during_an_immediate_database_restart_then_again_2xx_without_being_restarted_and_keeps_what_it_acknowledged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var seed = Random.Shared.Next(1_000_000);
        var load = new CatalogLoad(_server, _storageRoot, clients: 6, seed);
        await load.PrepareAsync(timeout.Token);
        var app = _server.ProcessId;

        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        try
        {
            for (var restart = 1; restart <= Restarts; restart++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
                await _cluster.RestartImmediatelyAsync();
                load.Cycle = restart;
                var restarted = load.Elapsed;
                while (load.AcknowledgedAfter(restarted) < AcknowledgedAfterEachRestart)
                {
                    await Task.Delay(50, timeout.Token);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }

        Assert.Equal(app, _server.ProcessId);
        Assert.All(load.Refusals, r => Assert.True(
            r is { Status: 503, ContentType: "application/problem+json" } && r.Body.Contains("/problems/database-unavailable", StringComparison.Ordinal),
            $"{r}{Environment.NewLine}The application's log:{Environment.NewLine}{_server.Output()}"));
        var audit = await EventAudit.RunAsync(_cluster.ConnectionString, load.Ledger, timeout.Token);
        output.WriteLine($"seed {seed}, {load.Ledger.Count} commands sent, {load.Refusals.Count} answered {string.Join('/', load.Refusals.Select(r => r.Status).Distinct())}: {audit}");
        Assert.True(audit.Clean, $"seed {seed}: {audit}");
        using var client = _server.CreateClient();
        var differing = await CatalogConsistency.TablesDifferingFromFoldAsync(client, load.Ledger.Select(c => c.Stream), timeout.Token);
        Assert.True(differing.Count == 0, string.Join(Environment.NewLine, differing));
        // Readiness comes back by itself: the checks that lost their connections (Marten's daemon, Wolverine's agents) reconnect.
        var readiness = "";
        await Eventually.HoldsAsync(async () =>
        {
            using var ready = await client.GetAsync("/health/ready", timeout.Token);
            readiness = await ready.Content.ReadAsStringAsync(timeout.Token);
            return ready.StatusCode == HttpStatusCode.OK;
        }, () => readiness, TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(_storageRoot, recursive: true);
    }
}
