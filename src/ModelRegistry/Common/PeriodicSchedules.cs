using Wolverine;

namespace ModelRegistry.Common;

/// <summary>
/// Periodic work as Wolverine recurring messages (ADR 15). Each job is a named cron schedule on its own timer agent, which
/// Wolverine runs on one instance of the cluster (placed by the leader in Balanced mode, on the only instance in Solo) and
/// moves to another when that instance stops or dies. The agent invokes each occurrence on its instance and waits for it,
/// skipping any occurrence that comes due while the previous one still runs, so runs of a job never overlap; a run that
/// fails is logged by Wolverine and the next comes on time. The handlers are <c>[Deduplicated]</c>: an occurrence's id
/// (schedule and instant) is claimed in Wolverine's deduplication table, so the occurrence two instances both invoke while
/// the agent moves between them runs once.
/// </summary>
internal static class PeriodicSchedules
{
    private const long Minute = 60;
    private const long Hour = 60 * Minute;
    private const long Day = 24 * Hour;

    /// <summary>
    /// Runs <typeparamref name="T"/> every <paramref name="interval"/> (the configuration value named <paramref name="setting"/>);
    /// zero turns the job off. An interval a cron schedule cannot fire at evenly stops the start.
    /// </summary>
    public static void SchedulePeriodic<T>(this WolverineOptions opts, string name, string setting, TimeSpan interval,
        Func<DateTimeOffset, T> occurrence) where T : class
    {
        if (interval == TimeSpan.Zero)
        {
            return;
        }

        var cron = CronFor(interval) ?? throw new InvalidOperationException(
            $"{setting} is {interval:c}, which a recurring schedule (a cron expression, in UTC) cannot fire at evenly. Use whole " +
            "seconds or minutes that divide a minute or an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30), hours that divide a day " +
            "(1, 2, 3, 4, 6, 8 or 12), a day (1.00:00:00) or a week (7.00:00:00); 00:00:00 turns it off.");
        opts.Schedules.ScheduleRecurring(name, cron, occurrence).SkipWhileRunning();
    }

    /// <summary>
    /// The six-field cron expression (seconds first, in UTC) whose occurrences are exactly <paramref name="interval"/> apart,
    /// aligned on the minute, hour, day or week; null when there is none.
    /// </summary>
    public static string? CronFor(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero || interval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return null;
        }

        var seconds = interval.Ticks / TimeSpan.TicksPerSecond;
        return seconds switch
        {
            < Minute when Minute % seconds == 0 => $"{Every(seconds)} * * * * *",
            < Hour when seconds % Minute == 0 && Hour % seconds == 0 => $"0 {Every(seconds / Minute)} * * * *",
            < Day when seconds % Hour == 0 && Day % seconds == 0 => $"0 0 {Every(seconds / Hour)} * * *",
            Day => "0 0 0 * * *",
            7 * Day => "0 0 0 * * 0",
            _ => null,
        };
    }

    private static string Every(long units) => units == 1 ? "*" : $"*/{units}";
}
