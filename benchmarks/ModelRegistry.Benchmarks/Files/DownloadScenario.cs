using System.Diagnostics;
using ModelRegistry.Benchmarks.Harness;

namespace ModelRegistry.Benchmarks.Files;

/// <summary>
/// A 1 GiB download from nginx on loopback through the application's transfer path (streaming, SHA-256, fsync, publish by
/// rename and link) against <c>curl -o</c> of the same file to the same disk; 3 interleaved runs each, medians. The source is
/// in the page cache for both. <c>curl -o</c> neither hashes nor syncs, so <c>curl -o</c> followed by <c>sync</c> of the
/// file is shown too, without a goal.
/// </summary>
internal sealed class DownloadScenario : IScenario
{
    private const double GoalRatio = 0.9;

    public string Name => "download";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        if (!BenchFiles.IsOnPath("nginx") || !BenchFiles.IsOnPath("curl"))
        {
            BenchContext.Log("needs nginx and curl (apt-get install nginx curl): skipped");
            return [];
        }

        using var files = BenchFiles.Create();
        var size = context.Quick ? BenchFiles.GiB / 4 : BenchFiles.GiB;
        files.Write("model.bin", size);
        await using var server = await StaticServer.StartAsync(files.Directory, ct);
        var url = server.Url("model.bin");
        var target = Path.Combine(files.Directory, "curl.out");
        var storage = Path.Combine(files.Directory, "storage");
        await BenchFiles.TimeToolAsync("curl", ct, "-sS", "--fail", "-o", "/dev/null", url);

        var runs = new Dictionary<string, List<double>> { ["app"] = [], ["curl"] = [], ["curl+sync"] = [] };
        for (var rep = 0; rep < context.Repeats; rep++)
        {
            var curl = await BenchFiles.TimeToolAsync("curl", ct, "-sS", "--fail", "-o", target, url);
            File.Delete(target);
            var curlSync = await BenchFiles.TimeToolAsync("sh", ct, "-c", "curl -sS --fail -o \"$1\" \"$2\" && sync \"$1\"", "sh", target, url);
            File.Delete(target);
            var clock = Stopwatch.StartNew();
            await AppDownload.RunAsync(new Uri(url), storage, ct);
            var app = clock.Elapsed;
            Directory.Delete(storage, recursive: true);

            runs["curl"].Add(size / curl.TotalSeconds);
            runs["curl+sync"].Add(size / curlSync.TotalSeconds);
            runs["app"].Add(size / app.TotalSeconds);
            BenchContext.Log($"run {rep + 1}: app {BenchFiles.MiBPerSecond(size, app)}, curl -o {BenchFiles.MiBPerSecond(size, curl)}, " +
                             $"curl -o + sync {BenchFiles.MiBPerSecond(size, curlSync)}");
        }

        var label = $"download {size / 1048576} MiB, sha-256 + fsync";
        const double MiB = 1048576;
        return
        [
            new ResultRow($"{label} vs curl -o", Load.Median(runs["app"]) / MiB, "MiB/s", Load.Median(runs["curl"]) / MiB, Goal.RatioAtLeast(GoalRatio)),
            new ResultRow($"{label} vs curl -o + sync", Load.Median(runs["app"]) / MiB, "MiB/s", Load.Median(runs["curl+sync"]) / MiB),
        ];
    }
}
