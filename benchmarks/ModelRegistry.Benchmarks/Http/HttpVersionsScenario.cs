using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ModelRegistry.Benchmarks.Harness;

namespace ModelRegistry.Benchmarks.Http;

/// <summary>
/// Read latency of <c>GET /api/v1/models/{name}/versions/{v}</c> and <c>GET /api/v1/models/{name}</c> for a model with
/// 10,000 versions (1,000 in a quick run) against one with 10: one connection, sequential requests over a window after
/// warm-up, the median latency of each window; interleaved, 3 windows each, the median of those.
/// </summary>
internal sealed class HttpVersionsScenario : IScenario
{
    private const int SmallVersions = 10;
    private const int SeedLoops = 16;
    private const double GoalRatio = 1.5;

    private static readonly byte[] RemoteSource = Encoding.UTF8.GetBytes("""{"source": {"type": "url", "uri": "https://example.com/m.gguf"}}""");

    public string Name => "http-versions";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        var bigVersions = context.Quick ? 1_000 : 10_000;
        await using var server = await RegistryServer.StartAsync(context.ConnectionString, ct);
        using (var seeder = server.CreateClient(SeedLoops))
        {
            var clock = Stopwatch.StartNew();
            await SeedAsync(seeder, "bench-big", bigVersions, ct);
            await SeedAsync(seeder, "bench-small", SmallVersions, ct);
            BenchContext.Log($"seeded {bigVersions:#,0} + {SmallVersions} versions through HTTP in {clock.Elapsed.TotalSeconds:0.0} s");
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

    // Concurrent registrations into one model: tickets keep the count exact, and a 409 (a race lost after the server's
    // own retries) is simply tried again.
    private static async Task SeedAsync(HttpClient client, string model, int versions, CancellationToken ct)
    {
        long issued = 0;
        var loops = Enumerable.Range(0, Math.Min(SeedLoops, versions)).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref issued) <= versions)
            {
                while (true)
                {
                    using var content = new ByteArrayContent(RemoteSource) { Headers = { ContentType = new("application/json") } };
                    using var response = await client.PostAsync($"api/v1/models/{model}/versions", content, ct);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        break;
                    }

                    if (response.StatusCode != HttpStatusCode.Conflict)
                    {
                        throw new InvalidOperationException($"register into {model}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                    }
                }
            }
        }, ct)).ToArray();
        await Task.WhenAll(loops);

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
