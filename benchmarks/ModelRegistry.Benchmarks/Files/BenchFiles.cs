using System.Diagnostics;
using System.Globalization;

namespace ModelRegistry.Benchmarks.Files;

/// <summary>
/// Large files for the file scenarios, in a directory of their own under /var/tmp (where the disk is, not a tmpfs), deleted
/// with it on dispose; and the external tools the figures are compared with.
/// </summary>
internal sealed class BenchFiles : IDisposable
{
    public const long GiB = 1024L * 1024 * 1024;

    private BenchFiles(string directory) => Directory = directory;

    public string Directory { get; }

    public static BenchFiles Create()
    {
        var directory = System.IO.Directory.CreateDirectory(Path.Combine("/var/tmp", $"mr-bench-files-{Guid.NewGuid():N}")).FullName;
        // nginx's workers may run as another user: they need to read the files served from here.
        ReadableByAll(directory, (UnixFileMode)0b111_101_101);
        return new BenchFiles(directory);
    }

    /// <summary>A file of <paramref name="size"/> pseudo-random bytes (no run of it repeats within a MiB, none is compressible).</summary>
    public string Write(string name, long size)
    {
        var path = Path.Combine(Directory, name);
        var block = new byte[1024 * 1024];
        var random = new Random(42);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0))
        {
            for (long written = 0; written < size; written += block.Length)
            {
                random.NextBytes(block);
                file.Write(block, 0, (int)Math.Min(block.Length, size - written));
            }
        }

        ReadableByAll(path, (UnixFileMode)0b110_100_100);
        return path;
    }

    /// <summary>Runs a tool to completion and answers how long it took; a non-zero exit ends the scenario with its error output.</summary>
    public static async Task<TimeSpan> TimeToolAsync(string tool, CancellationToken ct, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        clock.Stop();
        await output;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}");
        }

        return clock.Elapsed;
    }

    public static bool IsOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Any(d => File.Exists(Path.Combine(d, tool)));

    public static string MiBPerSecond(long bytes, TimeSpan elapsed) =>
        (bytes / 1048576.0 / elapsed.TotalSeconds).ToString("#,0", CultureInfo.InvariantCulture) + " MiB/s";

    private static void ReadableByAll(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
