using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelRegistry.Downloads.Cleaning;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Common;

/// <summary>
/// Periodic work on Wolverine's recurring schedules, shown with the storage cleanup on a short interval: one run per occurrence
/// across instances, never two runs of a job at once, a failure that does not stop the schedule, and intervals a schedule
/// cannot keep refused at start.
/// </summary>
public sealed class PeriodicSchedulesTests(TestDatabase db) : IClassFixture<TestDatabase>, IDisposable
{
    private const string CleanupRan = "The periodic storage cleanup of ";

    private readonly string _root = Directory.CreateTempSubdirectory("mr-periodic-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Two_instances_on_one_database_run_each_occurrence_of_a_periodic_job_once()
    {
        await using var first = await StartAsync("Balanced");
        await using var second = await StartAsync("Balanced");

        await Eventually.HoldsAsync(() => Task.FromResult(Runs(first, second).Select(r => r.Occurrence).Distinct().Count() >= 5),
            () => string.Join('\n', first.Logs.Concat(second.Logs)));

        AssertOncePerOccurrence(Runs(first, second));
    }

    /// <summary>
    /// As for a moment while Wolverine moves a schedule's agent from one instance to another: in Solo mode each instance runs
    /// the agent itself, and the occurrence's claim lets one of them run it.
    /// </summary>
    [Fact]
    public async Task An_occurrence_that_two_instances_both_invoke_runs_once()
    {
        await using var first = await StartAsync("Solo");
        await using var second = await StartAsync("Solo");

        await Eventually.HoldsAsync(() => Task.FromResult(Runs(first, second).Select(r => r.Occurrence).Distinct().Count() >= 5),
            () => string.Join('\n', first.Logs.Concat(second.Logs)));

        AssertOncePerOccurrence(Runs(first, second));
    }

    [Fact]
    public async Task When_the_instance_running_a_periodic_job_stops_the_other_takes_it_over()
    {
        await using var first = await StartAsync("Balanced");
        await using var second = await StartAsync("Balanced");
        await Eventually.HoldsAsync(() => Task.FromResult(Runs(first, second).Count != 0));
        var (running, other) = Runs(first, second)[^1].Instance == 0 ? (first, second) : (second, first);

        await running.Host.StopAsync();
        var stopped = DateTimeOffset.UtcNow;

        await Eventually.HoldsAsync(() => Task.FromResult(Runs(other).Count(r => r.Occurrence > stopped) >= 2), () => string.Join('\n', other.Logs));
        AssertOncePerOccurrence(Runs(first, second));
    }

    [Fact]
    public async Task A_run_that_outlasts_the_interval_is_never_overlapped_and_the_occurrences_it_spans_are_skipped()
    {
        var cleanup = new RecordingCleanup(block: true);
        await using var app = await StartSoloAsync(cleanup);
        var blocked = await cleanup.FirstStarted.WaitAsync(TimeSpan.FromSeconds(60));

        await Eventually.HoldsAsync(() => Task.FromResult(DateTimeOffset.UtcNow > blocked + TimeSpan.FromSeconds(3.5)));
        cleanup.Release();
        await Eventually.HoldsAsync(() => Task.FromResult(cleanup.Occurrences.Count >= 2));

        Assert.Equal(1, cleanup.MostAtOnce);
        Assert.True(cleanup.Occurrences.ElementAt(1) >= blocked + TimeSpan.FromSeconds(3),
            $"the next run was of {cleanup.Occurrences.ElementAt(1):O}, the blocked one of {blocked:O}: an occurrence it spanned ran afterwards");
        Assert.Contains(app.Logs, l => l["Name"] == "storage-cleanup" && l.Message.Contains("skipped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_run_is_logged_and_the_next_occurrence_runs_on_time()
    {
        var cleanup = new RecordingCleanup(block: false, failFirst: true);
        // Longer than a pause of a loaded machine, so that the next occurrence is due only after the failure.
        await using var app = await StartSoloAsync(cleanup, "00:00:05");
        var failed = await cleanup.FirstStarted.WaitAsync(TimeSpan.FromSeconds(60));

        await Eventually.HoldsAsync(() => Task.FromResult(cleanup.Occurrences.Count >= 2));

        Assert.Equal(failed + TimeSpan.FromSeconds(5), cleanup.Occurrences.ElementAt(1));
        Assert.Contains(app.Logs, l => l.Level == LogLevel.Error && l.Exception?.Message == RecordingCleanup.Failure);
    }

    [Theory]
    [InlineData("Registry:Integrity:Interval")]
    [InlineData("Registry:Storage:CleanupInterval")]
    public async Task An_interval_no_schedule_can_keep_stops_the_start_naming_the_setting(string setting)
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() =>
            RegistryApp.StartAsync(db.ConnectionString, _root, new Dictionary<string, string?> { [setting] = "00:07:00" }));

        Assert.Contains($"{setting} is 00:07:00, which a recurring schedule (a cron expression, in UTC) cannot fire at evenly",
            refused.ToString(), StringComparison.Ordinal);
    }

    private Task<RegistryApp> StartAsync(string mode) =>
        RegistryApp.StartAsync(db.ConnectionString, _root, new Dictionary<string, string?>
        {
            ["Registry:Durability:Mode"] = mode,
            ["Registry:Storage:CleanupInterval"] = "00:00:01",
        });

    private Task<RegistryApp> StartSoloAsync(RecordingCleanup cleanup, string interval = "00:00:01") =>
        RegistryApp.StartAsync(db.ConnectionString, _root, new Dictionary<string, string?> { ["Registry:Storage:CleanupInterval"] = interval },
            services => services.AddSingleton<IPeriodicStorageCleanup>(cleanup));

    /// <summary>The cleanups the apps logged, by occurrence, with the index of the app that ran each.</summary>
    private static List<(int Instance, DateTimeOffset Occurrence)> Runs(params RegistryApp[] apps) =>
        apps.SelectMany((app, instance) => app.Logs.Where(l => l.Message.StartsWith(CleanupRan, StringComparison.Ordinal))
                .Select(l => (instance, (DateTimeOffset)l.Properties["Occurrence"]!)))
            .OrderBy(r => r.Item2)
            .ToList();

    private static void AssertOncePerOccurrence(List<(int Instance, DateTimeOffset Occurrence)> runs)
    {
        var repeated = runs.GroupBy(r => r.Occurrence).Where(g => g.Count() > 1).Select(g => $"{g.Key:O} by instances {string.Join(", ", g.Select(r => r.Instance))}");
        Assert.Empty(repeated);
    }

    /// <summary>A cleanup that records the occurrences it ran for and how many ran at once; the first may block or fail.</summary>
    private sealed class RecordingCleanup(bool block, bool failFirst = false) : IPeriodicStorageCleanup
    {
        public const string Failure = "the first cleanup fails";

        private readonly TaskCompletionSource<DateTimeOffset> _firstStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _running;
        private int _mostAtOnce;

        public ConcurrentQueue<DateTimeOffset> Occurrences { get; } = new();

        public Task<DateTimeOffset> FirstStarted => _firstStarted.Task;

        public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

        public void Release() => _released.TrySetResult();

        public async Task RunAsync(DateTimeOffset occurrence, CancellationToken ct)
        {
            var running = Interlocked.Increment(ref _running);
            try
            {
                InterlockedMax(ref _mostAtOnce, running);
                Occurrences.Enqueue(occurrence);
                if (_firstStarted.TrySetResult(occurrence))
                {
                    if (failFirst)
                    {
                        throw new InvalidOperationException(Failure);
                    }

                    if (block)
                    {
                        await _released.Task.WaitAsync(ct);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        private static void InterlockedMax(ref int location, int value)
        {
            for (var seen = Volatile.Read(ref location); value > seen; seen = Volatile.Read(ref location))
            {
                if (Interlocked.CompareExchange(ref location, value, seen) == seen)
                {
                    return;
                }
            }
        }
    }
}
