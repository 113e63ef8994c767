using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.Benchmarks.Http;
using ModelRegistry.IntegrationTests.Crashes;

namespace ModelRegistry.Benchmarks.Crash;

/// <summary>
/// SPEC §8 under kill -9: the crash tests' load (eight clients sending catalog commands) against the real server, which
/// is killed with SIGKILL 100 times at random moments and started again; then every acknowledged command is looked up
/// by its correlation id. Reports what was lost, duplicated or left with gaps (all must be 0) and how long a restart
/// takes until the server is ready.
/// </summary>
internal sealed class CrashScenario : IScenario
{
    private const int Clients = 8;

    public string Name => "crash";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        var cycles = context.Quick ? 10 : 100;
        var seed = Random.Shared.Next(1_000_000);
        await using var server = await RegistryServer.StartAsync(context.ConnectionString, ct);
        var load = new CatalogLoad(server.Process, server.StorageRoot, Clients, seed);
        await load.PrepareAsync(ct);
        var kills = await load.RunKillingAsync(cycles, ct);
        var audit = await EventAudit.RunAsync(context.ConnectionString, load.Ledger, ct);

        BenchContext.Log($"seed {seed}, {load.Ledger.Count} commands sent, {load.Conflicts} concurrency conflicts sent again, {load.Refusals.Count} refused or failed: {audit}");
        foreach (var refusal in load.Refusals.Take(10))
        {
            BenchContext.Log(refusal.ToString());
        }

        var killed = kills.ExitCodes.Count(code => code == 137);
        return
        [
            new ResultRow("crash: kill -9 cycles (SIGKILL)", killed, "cycles", Goal: Goal.AtLeast(cycles)),
            new ResultRow("crash: acknowledged commands", audit.Acknowledged, "commands"),
            new ResultRow("crash: lost", audit.Lost, "commands", Goal: Goal.NoMoreThan(0)),
            new ResultRow("crash: duplicated", audit.Duplicated, "commands", Goal: Goal.NoMoreThan(0)),
            new ResultRow("crash: half applied", audit.HalfApplied, "commands", Goal: Goal.NoMoreThan(0)),
            new ResultRow("crash: gaps", audit.Gaps, "streams", Goal: Goal.NoMoreThan(0)),
            new ResultRow("crash: refused or failed answers", load.Refusals.Count, "answers", Goal: Goal.NoMoreThan(0)),
            new ResultRow("crash: restart to ready, median", Load.Median(kills.RestartToReady.Select(t => t.TotalMilliseconds)), "ms"),
        ];
    }
}
