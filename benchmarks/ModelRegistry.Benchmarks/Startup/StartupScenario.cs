using System.Diagnostics;
using System.Globalization;
using System.Net;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.Benchmarks.Startup;

/// <summary>
/// SPEC §8 startup: the built application started as <c>make run</c> starts it (the Release build's own executable, the
/// Production environment, make run's variables, default logging, the download worker on), timed from process start until
/// <c>/health/ready</c> answers 200, and its resident set (VmRSS) after 5 s idle once ready. Five starts on a fresh database
/// each (the start creates the schema), interleaved with five on one database already migrated (a restart), each stopped
/// with SIGTERM; medians of each.
/// </summary>
internal sealed class StartupScenario : IScenario
{
    private const string AdminKey = "bench-startup-admin-key";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    public string Name => "startup";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        var starts = context.Quick ? 3 : 5;
        var idle = context.Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5);
        var server = new NpgsqlConnectionStringBuilder(context.ConnectionString) { Database = "postgres" }.ConnectionString;
        var storage = Directory.CreateTempSubdirectory("mr-bench-startup-").FullName;
        try
        {
            // The migrated database: migrated by one start that is not measured.
            await StartOnceAsync(context.ConnectionString, Path.Combine(storage, "migrated"), TimeSpan.Zero, ct);
            var fresh = new List<Sample>();
            var migrated = new List<Sample>();
            for (var i = 0; i < starts; i++)
            {
                await using (var db = await BenchDatabase.CreateAsync(server, ct))
                {
                    fresh.Add(await StartOnceAsync(db.ConnectionString, Path.Combine(storage, $"fresh-{i}"), idle, ct));
                }

                migrated.Add(await StartOnceAsync(context.ConnectionString, Path.Combine(storage, "migrated"), idle, ct));
                BenchContext.Log($"start {i + 1}: fresh database {fresh[^1]}; migrated database {migrated[^1]}");
            }

            return
            [
                new ResultRow("startup: to ready, fresh database, median", Load.Median(fresh.Select(s => s.Ready.TotalMilliseconds)), "ms", Goal: Goal.NoMoreThan(3000)),
                new ResultRow("startup: idle RSS, fresh database, median", Load.Median(fresh.Select(s => s.RssMiB)), "MiB", Goal: Goal.NoMoreThan(200)),
                new ResultRow("startup: to ready, migrated database, median", Load.Median(migrated.Select(s => s.Ready.TotalMilliseconds)), "ms", Goal: Goal.NoMoreThan(3000)),
                new ResultRow("startup: idle RSS, migrated database, median", Load.Median(migrated.Select(s => s.RssMiB)), "MiB", Goal: Goal.NoMoreThan(200)),
            ];
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    private static async Task<Sample> StartOnceAsync(string connectionString, string storageRoot, TimeSpan idle, CancellationToken ct)
    {
        Directory.CreateDirectory(storageRoot);
        var dll = ServerProcess.ApplicationPath;
        var url = $"http://127.0.0.1:{ServerProcess.FreePort()}";

        // `dotnet run` runs the build's own executable (the apphost), so its process is the application's.
        var apphost = Path.Combine(Path.GetDirectoryName(dll)!, "ModelRegistry");
        var start = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet") { ArgumentList = { dll } };
        start.WorkingDirectory = Path.GetDirectoryName(dll);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        // What make run sets; nothing else (no ASPNETCORE_ENVIRONMENT: Production, as without a launch profile).
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal)
                                                            || k.StartsWith("Registry__", StringComparison.Ordinal) || k.StartsWith("Logging__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ConnectionStrings__Registry"] = connectionString;
        start.Environment["ASPNETCORE_URLS"] = url;
        start.Environment["Registry__Storage__Root"] = storageRoot;
        start.Environment["Registry__Auth__BootstrapAdminKey"] = AdminKey;

        var tail = new Queue<string>();
        void Capture(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 200)
                {
                    tail.Dequeue();
                }
            }
        }

        string Output()
        {
            lock (tail)
            {
                return string.Join(Environment.NewLine, tail);
            }
        }

        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("The application did not start.");
        try
        {
            process.OutputDataReceived += (_, e) => Capture(e.Data);
            process.ErrorDataReceived += (_, e) => Capture(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The application exited with {process.ExitCode}:{Environment.NewLine}{Output()}");
                }

                if (clock.Elapsed > ReadyTimeout)
                {
                    throw new TimeoutException($"The application was not ready within {ReadyTimeout.TotalSeconds} s:{Environment.NewLine}{Output()}");
                }

                try
                {
                    using var response = await client.GetAsync("/health/ready", ct);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested)
                {
                    // Listening but busy starting.
                }

                await Task.Delay(10, ct);
            }

            var ready = clock.Elapsed;
            await Task.Delay(idle, ct);
            return new Sample(ready, ResidentMiB(process.Id));
        }
        finally
        {
            await StopAsync(process);
        }
    }

    /// <summary>SIGTERM, as Ctrl+C on make run, then SIGKILL after 30 s.</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(CultureInfo.InvariantCulture) } }))
        {
            await kill!.WaitForExitAsync();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static double ResidentMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kib = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return kib / 1024.0;
    }

    private sealed record Sample(TimeSpan Ready, double RssMiB)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Ready.TotalMilliseconds:0} ms, {RssMiB:0} MiB");
    }
}
