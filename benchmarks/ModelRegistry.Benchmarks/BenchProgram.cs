using System.Runtime.InteropServices;
using BenchmarkDotNet.Running;
using ModelRegistry.Benchmarks.Appends;
using ModelRegistry.Benchmarks.Files;
using ModelRegistry.Benchmarks.Crash;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.Benchmarks.Http;
using ModelRegistry.Benchmarks.Rebuild;
using ModelRegistry.Benchmarks.Startup;

namespace ModelRegistry.Benchmarks;

/// <summary>
/// <c>[--quick] [scenario ...]</c> runs the SPEC §8 scenarios (all by default), each on a fresh database of the server
/// named by ConnectionStrings__Registry, and prints a summary; <c>micro [BenchmarkDotNet args]</c> runs the micro-benchmarks.
/// </summary>
internal static class BenchProgram
{
    private static readonly IScenario[] Scenarios =
        [new AppendScenario(), new RebuildScenario(), new HttpRegisterScenario(), new HttpProductionScenario(), new HttpVersionsScenario(),
            new DownloadScenario(), new HashingScenario(), new DownloadMemoryScenario(), new CrashScenario(), new StartupScenario()];

    public static async Task<int> Main(string[] args)
    {
        if (args is ["download-child", var url, var storageRoot])
        {
            return await DownloadMemoryScenario.ChildAsync(url, storageRoot);
        }

        if (args is ["micro", .. var rest])
        {
            BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run(rest);
            return 0;
        }

        var quick = args.Contains("--quick");
        var names = args.Where(a => a != "--quick").ToList();
        var unknown = names.Where(n => Scenarios.All(s => s.Name != n)).ToList();
        var server = Environment.GetEnvironmentVariable("ConnectionStrings__Registry");
        if (unknown.Count > 0 || string.IsNullOrEmpty(server))
        {
            Console.Error.WriteLine($"usage: [--quick] [{string.Join('|', Scenarios.Select(s => s.Name))} ...] | micro [BenchmarkDotNet args]");
            Console.Error.WriteLine("The server comes from ConnectionStrings__Registry.");
            return 2;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        Console.WriteLine($"{RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} cores, " +
                          $"PostgreSQL {await BenchDatabase.ServerVersionAsync(server, cts.Token)}{(quick ? ", quick run" : "")}, {LoadAverage()}");
        var rows = new List<ResultRow>();
        foreach (var scenario in Scenarios.Where(s => names.Count == 0 || names.Contains(s.Name)))
        {
            Console.WriteLine($"== {scenario.Name} ==");
            await using var db = await BenchDatabase.CreateAsync(server, cts.Token);
            rows.AddRange(await scenario.RunAsync(new BenchContext(db.ConnectionString, quick), cts.Token));
        }

        Console.WriteLine();
        Console.WriteLine($"== summary ({LoadAverage()}) ==");
        Summary.Print(rows);
        return 0;
    }

    // The machine is shared: a reader of the figures should know how busy it was.
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? $"load average {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}" : "load average unknown";
}
