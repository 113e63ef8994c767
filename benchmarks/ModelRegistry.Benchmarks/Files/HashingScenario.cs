using System.Diagnostics;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.Common;

namespace ModelRegistry.Benchmarks.Files;

/// <summary>
/// The application's streaming SHA-256 of a 1 GiB file (<see cref="FileSha256"/>, what scans, integrity checks and local
/// registrations use) against <c>openssl dgst -sha256</c> of the same file, both from the page cache; 5 interleaved runs
/// each, medians.
/// </summary>
internal sealed class HashingScenario : IScenario
{
    private const double GoalRatio = 0.9;
    private const int Runs = 5;

    public string Name => "hashing";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        if (!BenchFiles.IsOnPath("openssl"))
        {
            BenchContext.Log("needs openssl: skipped");
            return [];
        }

        using var files = BenchFiles.Create();
        var size = context.Quick ? BenchFiles.GiB / 4 : BenchFiles.GiB;
        var path = files.Write("hash.bin", size);
        await HashAsync(path, ct);

        var ours = new List<double>();
        var openssl = new List<double>();
        for (var run = 0; run < Runs; run++)
        {
            var tool = await BenchFiles.TimeToolAsync("openssl", ct, "dgst", "-sha256", path);
            var clock = Stopwatch.StartNew();
            await HashAsync(path, ct);
            var app = clock.Elapsed;
            openssl.Add(size / tool.TotalSeconds / 1048576);
            ours.Add(size / app.TotalSeconds / 1048576);
            BenchContext.Log($"run {run + 1}: FileSha256 {BenchFiles.MiBPerSecond(size, app)}, openssl dgst -sha256 {BenchFiles.MiBPerSecond(size, tool)}");
        }

        return [new ResultRow($"sha-256 of {size / 1048576} MiB vs openssl", Load.Median(ours), "MiB/s", Load.Median(openssl), Goal.RatioAtLeast(GoalRatio))];
    }

    private static async Task HashAsync(string path, CancellationToken ct)
    {
        using var file = File.OpenHandle(path);
        await FileSha256.ComputeAsync(file, long.MaxValue, ct);
    }
}
