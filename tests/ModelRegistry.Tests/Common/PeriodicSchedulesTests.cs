using ModelRegistry.Common;
using Wolverine;

namespace ModelRegistry.Tests.Common;

public sealed class PeriodicSchedulesTests
{
    [Theory]
    [InlineData("00:00:01", "* * * * * *")]
    [InlineData("00:00:05", "*/5 * * * * *")]
    [InlineData("00:00:30", "*/30 * * * * *")]
    [InlineData("00:01:00", "0 * * * * *")]
    [InlineData("00:15:00", "0 */15 * * * *")]
    [InlineData("01:00:00", "0 0 * * * *")]
    [InlineData("06:00:00", "0 0 */6 * * *")]
    [InlineData("1.00:00:00", "0 0 0 * * *")]
    [InlineData("7.00:00:00", "0 0 0 * * 0")]
    public void An_interval_that_divides_its_minute_hour_or_day_becomes_a_cron_expression(string interval, string cron) =>
        Assert.Equal(cron, PeriodicSchedules.CronFor(TimeSpan.Parse(interval)));

    [Theory]
    [InlineData("00:00:01")]
    [InlineData("00:00:12")]
    [InlineData("00:20:00")]
    [InlineData("08:00:00")]
    [InlineData("1.00:00:00")]
    [InlineData("7.00:00:00")]
    public void The_cron_expression_fires_exactly_once_per_interval(string text)
    {
        var interval = TimeSpan.Parse(text);
        var schedule = new CronSchedule(PeriodicSchedules.CronFor(interval)!);
        var occurrence = schedule.NextOccurrence(new DateTimeOffset(2026, 12, 31, 23, 0, 7, TimeSpan.Zero))!.Value;

        var gaps = Enumerable.Range(0, 30).Select(_ =>
        {
            var next = schedule.NextOccurrence(occurrence)!.Value;
            (var gap, occurrence) = (next - occurrence, next);
            return gap;
        }).Distinct();

        Assert.Equal([interval], gaps);
    }

    [Theory]
    [InlineData("00:00:00.200")]
    [InlineData("00:00:07")]
    [InlineData("00:01:30")]
    [InlineData("00:45:00")]
    [InlineData("05:00:00")]
    [InlineData("1.12:00:00")]
    [InlineData("2.00:00:00")]
    [InlineData("-01:00:00")]
    public void An_interval_no_cron_expression_fires_at_evenly_has_none(string interval) =>
        Assert.Null(PeriodicSchedules.CronFor(TimeSpan.Parse(interval)));

    [Fact]
    public void A_zero_interval_schedules_nothing()
    {
        var opts = new WolverineOptions();

        opts.SchedulePeriodic("job", "Registry:Job:Interval", TimeSpan.Zero, o => new Job(o));

        Assert.Equal(0, opts.Schedules.Count);
    }

    [Fact]
    public void A_job_is_a_schedule_that_skips_an_occurrence_while_the_previous_one_runs()
    {
        var opts = new WolverineOptions();

        opts.SchedulePeriodic("job", "Registry:Job:Interval", TimeSpan.FromHours(1), o => new Job(o));

        var job = Assert.Single(opts.Schedules);
        Assert.Equal(("job", "0 0 * * * *", RecurringOverlapPolicy.SkipWhileRunning, RecurringExecutionPath.Timer),
            (job.Name, job.Schedule.Expression, job.OverlapPolicy, job.ExecutionPath));
    }

    [Fact]
    public void An_interval_no_schedule_fires_at_evenly_is_refused_naming_the_setting()
    {
        var opts = new WolverineOptions();

        var refused = Assert.Throws<InvalidOperationException>(() =>
            opts.SchedulePeriodic("job", "Registry:Job:Interval", TimeSpan.FromMinutes(7), o => new Job(o)));

        Assert.StartsWith("Registry:Job:Interval is 00:07:00, which a recurring schedule", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, opts.Schedules.Count);
    }

    private sealed record Job(DateTimeOffset Occurrence);
}
