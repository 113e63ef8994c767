using System.Text.Json;
using ModelRegistry.EventStore.Jobs;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Jobs;

public sealed class SchedulingAndCancellingTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_job_does_not_run_before_its_run_at()
    {
        var ranAt = new Dictionary<Guid, DateTimeOffset>();
        EventStoreHost? host = null;
        var handler = new TestHandler(async (job, _) =>
        {
            await using var now = host!.DataSource().CreateCommand("SELECT now()");
            var at = (DateTime)(await now.ExecuteScalarAsync())!;
            lock (ranAt)
            {
                ranAt[job.Id] = new DateTimeOffset(at, TimeSpan.Zero);
            }
        });
        host = await JobsHost.StartAsync(db, handler);
        await using var _ = host;
        var later = await host.Queue().EnqueueAsync(handler.Queue, new { }, runAt: DateTimeOffset.UtcNow.AddHours(1));
        var soon = await host.Queue().EnqueueAsync(handler.Queue, new { }, runAt: DateTimeOffset.UtcNow.AddMilliseconds(300));
        var now = await host.Queue().EnqueueAsync(handler.Queue, new { });

        await host.Queue().WaitForAsync(now, j => j.State == JobState.Succeeded);
        var scheduled = (await host.Queue().GetAsync(soon))!;
        await host.Queue().WaitForAsync(soon, j => j.State == JobState.Succeeded);

        Assert.True(ranAt[soon] >= scheduled.RunAt, $"ran at {ranAt[soon]:O}, due at {scheduled.RunAt:O}");
        var waiting = await host.Queue().GetAsync(later);
        Assert.Equal(JobState.Scheduled, waiting!.State);
        Assert.Equal(0, waiting.Attempts);
        Assert.False(ranAt.ContainsKey(later));
    }

    [Fact]
    public async Task Cancelling_a_running_job_stops_its_handler_through_its_token()
    {
        var started = new TaskCompletionSource();
        var observed = new TaskCompletionSource();
        var handler = new TestHandler(async (_, ct) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                observed.TrySetResult();
                throw;
            }
        });
        await using var host = await JobsHost.StartAsync(db, handler);
        var id = await host.Queue().EnqueueAsync(handler.Queue, new { });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(CancelOutcome.Requested, await host.Queue().RequestCancelAsync(id));

        var cancelled = await host.Queue().WaitForAsync(id, j => j.State == JobState.Cancelled);
        Assert.True(observed.Task.IsCompleted);
        Assert.True(cancelled.CancelRequested);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.Equal([id], handler.Cancelled);
        Assert.Equal(CancelOutcome.AlreadyFinished, await host.Queue().RequestCancelAsync(id));
    }

    [Fact]
    public async Task Cancelling_a_waiting_job_cancels_it_without_running_it()
    {
        var handler = new TestHandler((_, _) => Task.CompletedTask);
        await using var host = await JobsHost.StartAsync(db, handler);
        var id = await host.Queue().EnqueueAsync(handler.Queue, new { }, runAt: DateTimeOffset.UtcNow.AddHours(1));

        Assert.Equal(CancelOutcome.Requested, await host.Queue().RequestCancelAsync(id));

        await host.Queue().WaitForAsync(id, j => j.State == JobState.Cancelled);
        Assert.Equal(0, handler.Runs);
        Assert.Equal([id], handler.Cancelled);
    }

    [Fact]
    public async Task A_finished_job_cannot_be_cancelled()
    {
        var handler = new TestHandler((_, _) => Task.CompletedTask);
        await using var host = await JobsHost.StartAsync(db, handler);
        var id = await host.Queue().EnqueueAsync(handler.Queue, new { });
        await host.Queue().WaitForAsync(id, j => j.State == JobState.Succeeded);

        Assert.Equal(CancelOutcome.AlreadyFinished, await host.Queue().RequestCancelAsync(id));
        Assert.Equal(JobState.Succeeded, (await host.Queue().GetAsync(id))!.State);
        Assert.Empty(handler.Cancelled);
    }

    [Fact]
    public async Task Progress_a_handler_reports_is_saved_with_its_heartbeat()
    {
        var release = new TaskCompletionSource();
        var handler = new TestHandler(async (job, ct) =>
        {
            job.ReportProgress(new { BytesDone = 42L });
            await release.Task.WaitAsync(ct);
        });
        await using var host = await JobsHost.StartAsync(db, handler);
        var id = await host.Queue().EnqueueAsync(handler.Queue, new { });

        var running = await host.Queue().WaitForAsync(id, j => j.Progress is not null);
        release.SetResult();

        Assert.Equal(JobState.Running, running.State);
        Assert.Equal(42, running.Progress!.Value.GetProperty("bytesDone").GetInt64());
        Assert.Equal(JsonValueKind.Object, running.Progress.Value.ValueKind);
        await host.Queue().WaitForAsync(id, j => j.State == JobState.Succeeded);
    }
}
