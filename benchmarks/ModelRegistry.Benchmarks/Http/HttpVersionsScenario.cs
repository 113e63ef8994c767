using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Marten;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.Catalog;

namespace ModelRegistry.Benchmarks.Http;

/// <summary>
/// Read latency of <c>GET /api/v1/models/{name}/versions/{v}</c> and <c>GET /api/v1/models/{name}</c> for a model with
/// 10,000 versions against one with 10: one connection, sequential requests over a window after
/// warm-up, the median latency of each window; interleaved, 3 windows each, the median of those.
/// </summary>
internal sealed class HttpVersionsScenario : IScenario
{
    private const int SmallVersions = 10;
    private const int HttpSeeded = 10;
    private const int AppendBatch = 500;
    private const double GoalRatio = 1.5;

    private static readonly byte[] RemoteSource = Encoding.UTF8.GetBytes("""{"source": {"type": "url", "uri": "https://example.com/m.gguf"}}""");

    public string Name => "http-versions";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        const int bigVersions = 10_000;
        await using var server = await RegistryServer.StartAsync(context.ConnectionString, ct);
        using (var seeder = server.CreateClient(1))
        {
            var clock = Stopwatch.StartNew();
            await SeedAsync(seeder, context.ConnectionString, "bench-big", bigVersions, ct);
            await SeedAsync(seeder, context.ConnectionString, "bench-small", SmallVersions, ct);
            BenchContext.Log($"seeded {bigVersions:#,0} + {SmallVersions} versions in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        using var client = server.CreateClient(1);
        var models = new (string Label, string Name, int Versions)[] { ("big", "bench-big", bigVersions), ("small", "bench-small", SmallVersions) };
        var routes = new (string Label, Func<string, int, long, string> Path)[]
        {
            ("version", (name, versions, i) => $"api/v1/models/{name}/versions/{i % versions + 1}"),
            ("model", (name, _, _) => $"api/v1/models/{name}"),
        };

        var rows = new List<ResultRow>();
        foreach (var (route, path) in routes)
        {
            var latencies = models.ToDictionary(m => m.Label, _ => new List<double>());
            for (var rep = 0; rep < context.Repeats; rep++)
            {
                foreach (var (label, name, versions) in models.Skip(rep % models.Length).Concat(models.Take(rep % models.Length)))
                {
                    var median = await MedianLatencyAsync(client, i => path(name, versions, i), context, ct);
                    latencies[label].Add(median);
                    BenchContext.Log($"{route,-7}  {versions,6:#,0} versions  median {median,7:0} µs");
                }
            }

            var what = route == "version" ? "GET version" : "GET model";
            rows.Add(new ResultRow($"{what}, {bigVersions:#,0} vs {SmallVersions} versions", Load.Median(latencies["big"]), "µs",
                Load.Median(latencies["small"]), Goal.RatioAtMost(GoalRatio)));
        }

        return rows;
    }

    /// <summary>
    /// The first <see cref="HttpSeeded"/> versions through HTTP, the rest as copies of version 1's
    /// <c>VersionRegistered</c> with the next numbers, appended in batches of 500 through a Marten session of the application
    /// (in this process, on the same database), fetched for writing as a command fetches it, so the application's inline catalog
    /// projection writes them as a register command's would be. Through HTTP alone, registrations into one model
    /// slow down as it grows (1,000 took 20 s, 2,000 over two minutes on a busy 2-core machine): too long to seed 10,000.
    /// </summary>
    private static async Task SeedAsync(HttpClient client, string connectionString, string model, int versions, CancellationToken ct)
    {
        for (var v = 1; v <= Math.Min(versions, HttpSeeded); v++)
        {
            await RegistryServer.SendAsync(client, HttpMethod.Post, $"api/v1/models/{model}/versions", RemoteSource, HttpStatusCode.Accepted);
        }

        if (versions > HttpSeeded)
        {
            await AppendVersionsAsync(connectionString, model, HttpSeeded + 1, versions, ct);
        }

        // Reads come from projections: wait until the model shows its last version.
        for (var attempt = 0; ; attempt++)
        {
            using var response = await client.GetAsync($"api/v1/models/{model}", ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
                if (json.RootElement.TryGetProperty("latest_version", out var latest) && latest.ValueKind == JsonValueKind.Number && latest.GetInt64() >= versions)
                {
                    return;
                }
            }

            if (attempt == 600)
            {
                throw new TimeoutException($"{model} did not show version {versions} within a minute of its registration");
            }

            await Task.Delay(100, ct);
        }
    }

    private static async Task AppendVersionsAsync(string connectionString, string model, int from, int to, CancellationToken ct)
    {
        await using var app = await AppHost.StartAsync(connectionString);
        var streamId = CatalogStream.StreamId(model);
        VersionRegistered? first = null;
        for (var batch = from; batch <= to; batch += AppendBatch)
        {
            // As a command appends: fetched for writing, so the events carry their stream versions into the inline projection.
            await using var session = app.Store.LightweightSession();
            session.CorrelationId = Guid.NewGuid().ToString();
            session.LastModifiedBy = "bench";
            var stream = await session.Events.FetchForWriting<ModelState>(streamId, ct);
            first ??= (await session.Events.FetchStreamAsync(streamId, token: ct)).Select(e => e.Data).OfType<VersionRegistered>().FirstOrDefault()
                      ?? throw new InvalidOperationException($"{streamId}: no VersionRegistered");
            stream.AppendMany(Enumerable.Range(batch, Math.Min(AppendBatch, to - batch + 1)).Select(v => (object)(first with { Version = v })).ToArray());
            await session.SaveChangesAsync(ct);
        }
    }

    /// <summary>Sequential requests on one connection; the median latency of those completed within the window.</summary>
    private static async Task<double> MedianLatencyAsync(HttpClient client, Func<long, string> path, BenchContext context, CancellationToken ct)
    {
        var latencies = new List<double>();
        long i = 0;
        var warmup = Stopwatch.StartNew();
        while (warmup.Elapsed < context.Warmup)
        {
            await RegistryServer.SendAsync(client, HttpMethod.Get, path(i++), null, HttpStatusCode.OK);
        }

        var window = Stopwatch.StartNew();
        while (window.Elapsed < context.Window)
        {
            ct.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            await RegistryServer.SendAsync(client, HttpMethod.Get, path(i++), null, HttpStatusCode.OK);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return Load.Median(latencies);
    }
}
