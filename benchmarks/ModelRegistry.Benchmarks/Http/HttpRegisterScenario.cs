using System.Net;
using System.Text;
using JasperFx.Events;
using ModelRegistry.Benchmarks.Appends;
using ModelRegistry.Benchmarks.Harness;
using Npgsql;

namespace ModelRegistry.Benchmarks.Http;

/// <summary>
/// Register-version commands through the application's HTTP API (remote sources: 202, a download queued, no file I/O) at
/// 16 connections, each connection's loop round-robin over its own 50 models (so a window registers new models first, then
/// versions of existing ones), against Marten's own bare append at 16 writers (one event per save, the application's store
/// configuration and append mode) and the append scenario's raw single-row INSERTs at 16 clients on the same PostgreSQL;
/// interleaved, 5 windows each (3 with --quick), medians. The server is the built application as <c>make run</c> configures it:
/// its download worker runs (each registration's download is taken, and fails at once: the URLs are never resolved) and it logs
/// at its default level; only the per-key rate limit is raised, which would otherwise decide the figure.
/// </summary>
internal sealed class HttpRegisterScenario : IScenario
{
    private const int Connections = 16;
    private const int ModelsPerConnection = 50;
    private const double GoalAgainstMarten = 0.7;

    // Both sides drift from window to window on a shared machine (the database grows, the kernel's share of the CPU
    // changes); two more windows each than the other scenarios keep one slow window from deciding the median.
    private const int Repeats = 5;

    private static readonly byte[] RemoteSource = Encoding.UTF8.GetBytes("""{"source": {"type": "url", "uri": "https://example.com/m.gguf"}}""");

    public string Name => "http-register";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        // The application migrates the database (Marten's tables included) before it reports ready; its download worker runs,
        // so each registration's job is taken and tried as it would be in production.
        await using var server = await RegistryServer.StartAsync(context.ConnectionString, ct, downloads: true, defaultLogging: true);
        using var client = server.CreateClient(Connections);
        await using var raw = NpgsqlDataSource.Create(context.ConnectionString);
        // The bare append in the application's append mode, in a schema of its own beside the application's.
        using var marten = await AppendScenario.MartenAsync(context.ConnectionString, EventAppendMode.QuickWithServerTimestamps);
        await AppendScenario.CreateRawTableAsync(raw, marten, ct);

        var kinds = new (string Name, Func<string, Func<int, Task>> Writer)[]
        {
            ("raw", run => AppendScenario.RawInsert(raw, marten, run)),
            ("http", run => Register(client, run)),
            ("marten", run => AppendScenario.MartenAppend(marten, run)),
        };
        // Both sides are measured warm: the server's code and the raw client's (its first window used to run while it compiled).
        await Load.ThroughputAsync(Connections, TimeSpan.Zero, context.ServerWarmup, Register(client, "warmup"), ct);
        await Load.ThroughputAsync(Connections, TimeSpan.Zero, context.ClientWarmup, AppendScenario.RawInsert(raw, marten, "warmup"), ct);
        await Load.ThroughputAsync(Connections, TimeSpan.Zero, context.ClientWarmup, AppendScenario.MartenAppend(marten, "warmup"), ct);
        var rates = kinds.ToDictionary(k => k.Name, _ => new List<double>());
        var run = 0;
        for (var rep = 0; rep < (context.Quick ? context.Repeats : Repeats); rep++)
        {
            foreach (var (name, writer) in kinds.Skip(rep % kinds.Length).Concat(kinds.Take(rep % kinds.Length)))
            {
                await AppendScenario.ExecuteAsync(raw, "CHECKPOINT", ct);
                var result = await Load.ThroughputAsync(Connections, context.Warmup, context.Window, writer($"r{++run}"), ct);
                rates[name].Add(result.PerSecond);
                BenchContext.Log($"{Connections} connections  {name,-6}  {Summary.Number(result.PerSecond),6} ops/s  client CPU {result.ClientCpuMicroseconds,4:0} µs/op");
            }
        }

        var (http, bare, inserts) = (Load.Median(rates["http"]), Load.Median(rates["marten"]), Load.Median(rates["raw"]));
        return
        [
            new ResultRow($"http register vs Marten's bare append, {Connections}", http, "ops/s", bare, Goal.RatioAtLeast(GoalAgainstMarten)),
            new ResultRow("  http register vs raw inserts", http, "ops/s", inserts),
            new ResultRow("  Marten's bare append vs raw inserts", bare, "ops/s", inserts),
        ];
    }

    // Each run registers into fresh models; the first request for a model creates it, as a first registration does.
    private static Func<int, Task> Register(HttpClient client, string run)
    {
        var counters = new long[Connections];
        return connection =>
        {
            var n = counters[connection]++;
            return RegistryServer.SendAsync(client, HttpMethod.Post, $"api/v1/models/{run}-c{connection}-m{n % ModelsPerConnection}/versions",
                RemoteSource, HttpStatusCode.Accepted);
        };
    }
}
