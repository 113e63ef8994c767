using System.Net;
using System.Text;
using ModelRegistry.Benchmarks.Harness;

namespace ModelRegistry.Benchmarks.Http;

/// <summary>
/// Production-pointer reads (<c>GET /api/v1/models/{name}/production</c> of a promoted local version) at 16 connections
/// against the same server's <c>GET /health/live</c> at the same concurrency, both authenticated; interleaved, 3 windows
/// each, medians.
/// </summary>
internal sealed class HttpProductionScenario : IScenario
{
    private const int Connections = 16;
    private const string Model = "bench-production";
    private const double GoalRatio = 0.8;

    public string Name => "http-production";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        await using var server = await RegistryServer.StartAsync(context.ConnectionString, ct);
        using var client = server.CreateClient(Connections);
        await SeedProductionAsync(server, client, Model);

        var kinds = new (string Name, string Path)[]
        {
            ("health/live", "health/live"),
            ("production", $"api/v1/models/{Model}/production"),
        };
        var rates = kinds.ToDictionary(k => k.Name, _ => new List<double>());
        for (var rep = 0; rep < context.Repeats; rep++)
        {
            foreach (var (name, path) in kinds.Skip(rep % kinds.Length).Concat(kinds.Take(rep % kinds.Length)))
            {
                var result = await Load.ThroughputAsync(Connections, context.Warmup, context.Window,
                    _ => RegistryServer.SendAsync(client, HttpMethod.Get, path, null, HttpStatusCode.OK), ct);
                rates[name].Add(result.PerSecond);
                BenchContext.Log($"{Connections} connections  {name,-11}  {Summary.Number(result.PerSecond),6} req/s  client CPU {result.ClientCpuMicroseconds,4:0} µs/req");
            }
        }

        return [new ResultRow($"http production pointer, {Connections} connections", Load.Median(rates["production"]), "req/s",
            Load.Median(rates["health/live"]), Goal.RatioAtLeast(GoalRatio))];
    }

    /// <summary>A small file under the storage root, registered as version 1 (201, ready) and promoted to production.</summary>
    public static async Task SeedProductionAsync(RegistryServer server, HttpClient client, string model)
    {
        Directory.CreateDirectory(Path.Combine(server.StorageRoot, "m"));
        await File.WriteAllBytesAsync(Path.Combine(server.StorageRoot, "m", "file.gguf"), Encoding.ASCII.GetBytes("GGUF bench"));
        await RegistryServer.SendAsync(client, HttpMethod.Post, $"api/v1/models/{model}/versions",
            """{"source": {"type": "local", "uri": "m/file.gguf"}}"""u8.ToArray(), HttpStatusCode.Created);
        await RegistryServer.SendAsync(client, HttpMethod.Post, $"api/v1/models/{model}/versions/1/promote",
            """{"stage": "production"}"""u8.ToArray(), HttpStatusCode.OK);
        // The pointer is read from a projection: wait until it shows the promotion.
        for (var attempt = 0; ; attempt++)
        {
            using var response = await client.GetAsync($"api/v1/models/{model}/production");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (attempt == 100)
            {
                throw new InvalidOperationException($"GET production: {(int)response.StatusCode} 10 s after the promotion");
            }

            await Task.Delay(100);
        }
    }
}
