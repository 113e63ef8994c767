using System.Diagnostics;
using System.Globalization;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Benchmarks.Appends;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.Benchmarks.Rebuild;

/// <summary>
/// The catalog projection rebuilt over 1M events (10,000 models × 100, <see cref="CatalogSeed"/>) by the application's own mechanism,
/// <see cref="CatalogRebuilder.RebuildNowAsync"/> (what <c>registry-projections rebuild catalog</c> and the admin API run): Marten's
/// daemon replays every event through the projection into copies of the catalog's tables, which are analyzed and swapped in. Timed
/// from the request until the copies are live, in the application built by its own registrations in this process, one instance per
/// configuration (<see cref="Configurations"/>: <c>Registry:EventStore:RebuildBatchSize</c>, which is Marten's
/// <c>AsyncOptions.BatchSize</c> for the projection: the application's and two smaller ones), the configurations interleaved,
/// three runs each (one when it takes over a minute); the catalog is checked after every run. Then Marten's daemon alone, replaying
/// the same events into a projection that writes one row per batch, which is the share of Marten's own reading and bookkeeping; and
/// once the command of the built application, timed from process start to exit.
/// </summary>
internal sealed class RebuildScenario : IScenario
{
    private const double EventsPerSecondGoal = 50_000;
    private const double EventsPerSecondFloor = 20_000;

    /// <summary>The application's default batch (<c>EventStoreOptions.RebuildBatchSize</c>).</summary>
    private const int AppBatch = 100_000;

    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(10);

    /// <summary>A run longer than this is not repeated: its spread is small against its length, and three would take most of an hour.</summary>
    private static readonly TimeSpan RepeatUpTo = TimeSpan.FromSeconds(60);

    private sealed record Configuration(int Batch)
    {
        public string Label => $"batch {Batch.ToString("#,0", CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// The application's batch and two smaller ones: the projection folds each batch into the rows it touches, so a larger batch
    /// writes fewer rows per event (10,000 models: at 5,000 a model has half an event in a batch, at 100,000 ten) and holds more
    /// events in memory.
    /// </summary>
    private static readonly Configuration[] Configurations = [new(AppBatch), new(5_000), new(25_000)];

    public string Name => "rebuild";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        var streams = context.Quick ? 1_000 : 10_000;
        var events = streams * CatalogSeed.EventsPerStream;
        var hosts = new Dictionary<Configuration, AppHost>();
        try
        {
            // Every configuration is an instance of the application of its own, alive throughout, so their rebuilds can alternate.
            foreach (var configuration in Configurations)
            {
                hosts[configuration] = await StartAsync(context.ConnectionString, configuration);
            }

            await using var source = NpgsqlDataSource.Create(context.ConnectionString);
            var clock = Stopwatch.StartNew();
            await CatalogSeed.SeedAsync(hosts[Configurations[0]].Store, source, streams, ct);
            BenchContext.Log($"seeded {events:#,0} events into Marten's tables in {clock.Elapsed.TotalSeconds:0.0} s");

            var runs = Configurations.ToDictionary(c => c, _ => new List<TimeSpan>());
            for (var rep = 0; rep < context.Repeats; rep++)
            {
                foreach (var configuration in Configurations.Skip(rep % Configurations.Length).Concat(Configurations.Take(rep % Configurations.Length))
                             .Where(c => runs[c].All(r => r <= RepeatUpTo)))
                {
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var elapsed = await RebuildAsync(hosts[configuration], ct);
                    cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                    await CatalogSeed.VerifyAsync(source, streams, ct);
                    runs[configuration].Add(elapsed);
                    BenchContext.Log($"rebuild, {configuration.Label,-26} {elapsed.TotalSeconds,6:0.0} s  {events / elapsed.TotalSeconds,8:#,0} events/s  " +
                                     $"client CPU {cpu.TotalMicroseconds / events:0} µs/event");
                }
            }

            var rows = new List<ResultRow>();
            foreach (var configuration in Configurations)
            {
                var rate = events / Median(runs[configuration]).TotalSeconds;
                var runsNote = runs[configuration].Count == 1 ? ", one run" : "";
                if (configuration == new Configuration(AppBatch))
                {
                    rows.Add(new ResultRow($"catalog rebuild, {events / 1000:#,0}k events, {configuration.Label} (the app's){runsNote}", rate, "events/s",
                        Goal: Goal.AtLeast(EventsPerSecondGoal)));
                    rows.Add(new ResultRow("  same, its slowest run", events / runs[configuration].Max().TotalSeconds, "events/s", Goal: Goal.AtLeast(EventsPerSecondFloor)));
                }
                else
                {
                    rows.Add(new ResultRow($"  same, {configuration.Label}{runsNote}", rate, "events/s"));
                }
            }

            BenchContext.Log($"fastest: {Configurations.MaxBy(c => events / Median(runs[c]).TotalSeconds)!.Label}");

            foreach (var host in hosts.Values)
            {
                await host.DisposeAsync();
            }

            hosts.Clear();
            rows.Add(await MartenAloneAsync(context, source, events, ct));
            rows.Add(await CommandLineAsync(context, source, streams, ct));
            return rows;
        }
        finally
        {
            foreach (var host in hosts.Values)
            {
                await host.DisposeAsync();
            }
        }
    }

    private static Task<AppHost> StartAsync(string connectionString, Configuration configuration) =>
        AppHost.StartAsync(connectionString,
            new Dictionary<string, string> { ["Registry:EventStore:RebuildBatchSize"] = configuration.Batch.ToString(CultureInfo.InvariantCulture) });

    /// <summary>From the request until the copies are live, with the position the replay has reached every few seconds.</summary>
    private static async Task<TimeSpan> RebuildAsync(AppHost host, CancellationToken ct)
    {
        var rebuilder = host.Services.GetRequiredService<CatalogRebuilder>();
        var projection = host.Services.GetRequiredService<CatalogProjection>();
        var clock = Stopwatch.StartNew();
        var rebuild = rebuilder.RebuildNowAsync(ct);
        while (await Task.WhenAny(rebuild, Task.Delay(ProgressEvery, ct)) != rebuild)
        {
            BenchContext.Log($"  replayed up to position {projection.ReplayedUpTo:#,0} after {clock.Elapsed.TotalSeconds:0} s");
        }

        var state = await rebuild;
        var elapsed = clock.Elapsed;
        return state.State == ProjectionStates.Running
            ? elapsed
            : throw new InvalidOperationException($"The rebuild ended {state.State}: {state.LastError}");
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> runs) => TimeSpan.FromTicks((long)Load.Median(runs.Select(r => (double)r.Ticks)));

    /// <summary>
    /// Marten's daemon replaying the same events into a projection whose work is one upsert per batch (at the application's batch
    /// size, in a store of its own over the same events table): the share of a rebuild that is Marten's reading and bookkeeping.
    /// </summary>
    private static async Task<ResultRow> MartenAloneAsync(BenchContext context, NpgsqlDataSource source, int events, CancellationToken ct)
    {
        using var store = StreamStatsProjection.Store(context.ConnectionString, AppBatch);
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        using var daemon = await store.BuildProjectionDaemonAsync();
        var runs = new List<TimeSpan>();
        for (var rep = 1; rep <= context.Repeats; rep++)
        {
            // Marten tears down only the tables it knows as the projection's; this one is ours, emptied as a rebuild would.
            await AppendScenario.ExecuteAsync(source, $"TRUNCATE {StreamStatsProjection.TableName}", ct);
            var (clock, cpu) = (Stopwatch.StartNew(), Process.GetCurrentProcess().TotalProcessorTime);
            await daemon.RebuildProjectionAsync(StreamStatsProjection.TableName, TimeSpan.FromMinutes(30), ct);
            runs.Add(clock.Elapsed);
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            await StreamStatsProjection.VerifyAsync(source, events / CatalogSeed.EventsPerStream, ct);
            BenchContext.Log($"Marten's daemon alone, batch {AppBatch:#,0}: {runs[^1].TotalSeconds,6:0.0} s  {events / runs[^1].TotalSeconds,8:#,0} events/s  " +
                             $"client CPU {cpu.TotalMicroseconds / events:0} µs/event");
        }

        return new ResultRow($"  Marten's daemon alone (one row per batch), batch {AppBatch:#,0}", events / Median(runs).TotalSeconds, "events/s");
    }

    /// <summary>
    /// <c>registry-projections rebuild catalog</c> of the built application (its Release build, Production environment, default
    /// settings), from process start to exit: the rebuild as an operator runs it, with the start of a process around it.
    /// </summary>
    private static async Task<ResultRow> CommandLineAsync(BenchContext context, NpgsqlDataSource source, int streams, CancellationToken ct)
    {
        var storage = Directory.CreateTempSubdirectory("mr-bench-cli-").FullName;
        try
        {
            var app = ServerProcess.ApplicationPath;
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
            {
                WorkingDirectory = Path.GetDirectoryName(app),
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { app, "registry-projections", "rebuild", CatalogProjection.ProjectionName },
                Environment =
                {
                    ["ASPNETCORE_ENVIRONMENT"] = "Production",
                    ["ConnectionStrings__Registry"] = context.ConnectionString,
                    ["Registry__Storage__Root"] = storage,
                },
            };
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start) ?? throw new InvalidOperationException("The application did not start.");
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var elapsed = clock.Elapsed;
            if (process.ExitCode != 0 || !(await output).Contains("swapped in", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"registry-projections rebuild catalog: exit code {process.ExitCode}: {await output}{await errors}");
            }

            await CatalogSeed.VerifyAsync(source, streams, ct);
            var events = streams * CatalogSeed.EventsPerStream;
            BenchContext.Log($"registry-projections rebuild catalog: {elapsed.TotalSeconds:0.0} s from process start to exit");
            return new ResultRow($"  same, the built app's command (start to exit), batch {AppBatch:#,0}", events / elapsed.TotalSeconds, "events/s");
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }
}
