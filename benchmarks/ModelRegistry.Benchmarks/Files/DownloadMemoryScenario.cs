using System.Diagnostics;
using System.Globalization;
using ModelRegistry.Benchmarks.Harness;

namespace ModelRegistry.Benchmarks.Files;

/// <summary>
/// Peak memory of a download: a child process (this program, <c>download-child URL ROOT</c>) runs the application's
/// download path (<see cref="AppDownload"/>) for a 1 GiB and a 4 GiB file from nginx and reports its peak resident set
/// (VmHWM); 3 runs of each, interleaved, medians. The goal is on the growth from the small file to the large one.
/// </summary>
internal sealed class DownloadMemoryScenario : IScenario
{
    private const double GoalGrowthMiB = 64;

    public string Name => "download-memory";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        if (!BenchFiles.IsOnPath("nginx") || !File.Exists("/proc/self/status"))
        {
            BenchContext.Log("needs nginx and /proc: skipped");
            return [];
        }

        using var files = BenchFiles.Create();
        long[] sizes = context.Quick ? [BenchFiles.GiB / 4, BenchFiles.GiB] : [BenchFiles.GiB, 4 * BenchFiles.GiB];
        foreach (var size in sizes)
        {
            files.Write($"{size}.bin", size);
        }

        await using var server = await StaticServer.StartAsync(files.Directory, ct);
        var peaks = sizes.ToDictionary(s => s, _ => new List<double>());
        for (var rep = 0; rep < context.Repeats; rep++)
        {
            foreach (var size in rep % 2 == 0 ? sizes : sizes.Reverse())
            {
                var storage = Path.Combine(files.Directory, "storage");
                var peakKiB = await RunChildAsync(server.Url($"{size}.bin"), storage, ct);
                Directory.Delete(storage, recursive: true);
                peaks[size].Add(peakKiB / 1024.0);
                BenchContext.Log($"run {rep + 1}: {size / 1048576,5} MiB download, peak resident {peakKiB / 1024.0:0} MiB");
            }
        }

        var (small, large) = (Load.Median(peaks[sizes[0]]), Load.Median(peaks[sizes[1]]));
        return
        [
            new ResultRow($"download peak RSS, {sizes[0] / 1048576} MiB", small, "MiB"),
            new ResultRow($"download peak RSS, {sizes[1] / 1048576} MiB", large, "MiB"),
            new ResultRow($"download peak RSS growth {sizes[0] / 1048576} -> {sizes[1] / 1048576} MiB", large - small, "MiB", null,
                Goal.NoMoreThan(GoalGrowthMiB)),
        ];
    }

    /// <summary>What <c>download-child</c> does in the child: the download, then its peak resident set in KiB on stdout.</summary>
    public static async Task<int> ChildAsync(string url, string storageRoot)
    {
        await AppDownload.RunAsync(new Uri(url), storageRoot, CancellationToken.None);
        Console.WriteLine(AppDownload.PeakResidentKiB().ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    private static async Task<long> RunChildAsync(string url, string storageRoot, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "ModelRegistry.Benchmarks.dll"), "download-child", url, storageRoot })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The download child did not start.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0 && long.TryParse((await output).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kiB)
            ? kiB
            : throw new InvalidOperationException($"The download child exited with {process.ExitCode}: {await error}");
    }
}
