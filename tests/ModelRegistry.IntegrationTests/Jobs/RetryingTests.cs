using ModelRegistry.EventStore.Jobs;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Jobs;

public sealed class RetryingTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_failed_attempt_is_scheduled_again_after_a_backoff()
    {
        var handler = new TestHandler((job, _) => job.Attempt == 1 ? throw new InvalidOperationException("first attempt fails") : Task.CompletedTask);
        await using var host = await JobsHost.StartAsync(db, handler, o =>
        {
            o.BaseBackoff = TimeSpan.FromHours(1);
            o.MaxBackoff = TimeSpan.FromHours(4);
        });
        var id = await host.Queue().EnqueueAsync(handler.Queue, new { });

        var waiting = await host.Queue().WaitForAsync(id, j => j is { State: JobState.Scheduled, Attempts: 1 });
        Assert.Equal("first attempt fails", waiting.LastError);
        Assert.Null(waiting.LeaseOwner);
        Assert.InRange(waiting.RunAt - waiting.UpdatedAt, TimeSpan.FromMinutes(30), TimeSpan.FromHours(1));
        Assert.Equal(1, handler.Runs);

        await using (var due = host.DataSource().CreateCommand("UPDATE mr_jobs SET run_at = now() WHERE id = @id"))
        {
            due.Parameters.AddWithValue("id", id);
            await due.ExecuteNonQueryAsync();
        }

        var done = await host.Queue().WaitForAsync(id, j => j.State == JobState.Succeeded);
        Assert.Equal(2, done.Attempts);
        Assert.Equal(2, handler.Runs);
    }

    [Fact]
    public void Backoff_doubles_with_each_attempt_up_to_its_cap_and_is_jittered()
    {
        var random = new Random(7);
        var first = TimeSpan.FromSeconds(5);
        var cap = TimeSpan.FromMinutes(10);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var ceiling = TimeSpan.FromTicks(Math.Min(first.Ticks << (attempt - 1), cap.Ticks));
            var delays = Enumerable.Range(0, 50).Select(_ => JobWorker.Backoff(attempt, first, cap, random)).ToList();
            Assert.All(delays, d => Assert.InRange(d, ceiling / 2, ceiling));
            Assert.True(delays.Distinct().Count() > 1);
        }
    }

    [Fact]
    public async Task A_job_that_keeps_failing_is_dead_lettered_after_its_last_attempt()
    {
        var handler = new TestHandler((job, _) => throw new InvalidOperationException($"attempt {job.Attempt} failed"));
        await using var host = await JobsHost.StartAsync(db, handler);
        var id = await host.Queue().EnqueueAsync(handler.Queue, new { file = "x" }, maxAttempts: 3);

        var dead = await host.Queue().WaitForAsync(id, j => j.State == JobState.DeadLettered);

        Assert.Equal(3, dead.Attempts);
        Assert.Equal("attempt 3 failed", dead.LastError);
        Assert.NotNull(dead.FinishedAt);
        Assert.Equal(3, handler.Runs);
        Assert.Equal(["attempt 3 failed"], handler.DeadLettered);
        await using var letter = host.DataSource().CreateCommand("SELECT queue, attempts, error, payload->>'file' FROM mr_jobs_dead_letter WHERE id = @id");
        letter.Parameters.AddWithValue("id", id);
        await using var reader = await letter.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(handler.Queue, reader.GetString(0));
        Assert.Equal(3, reader.GetInt32(1));
        Assert.Equal("attempt 3 failed", reader.GetString(2));
        Assert.Equal("x", reader.GetString(3));
    }

    [Fact]
    public async Task A_permanent_failure_is_dead_lettered_without_a_retry()
    {
        var handler = new TestHandler((_, _) => throw new PermanentJobFailureException("the file is gone"));
        await using var host = await JobsHost.StartAsync(db, handler);
        var id = await host.Queue().EnqueueAsync(handler.Queue, new { }, maxAttempts: 5);

        var dead = await host.Queue().WaitForAsync(id, j => j.State == JobState.DeadLettered);

        Assert.Equal(1, dead.Attempts);
        Assert.Equal("the file is gone", dead.LastError);
        Assert.Equal(1, handler.Runs);
        Assert.Equal(["the file is gone"], handler.DeadLettered);
    }

    [Fact]
    public async Task A_job_whose_worker_died_on_its_last_attempt_is_dead_lettered_by_the_next_claim()
    {
        var handler = new TestHandler((_, _) => Task.CompletedTask);
        await using var host = await JobsHost.StartAsync(db, handler);
        var id = Guid.CreateVersion7();
        await using (var orphan = host.DataSource().CreateCommand("""
            INSERT INTO mr_jobs (id, queue, payload, state, attempts, max_attempts, lease_owner, lease_expires_at, fencing_token)
            VALUES (@id, @queue, '{}', 'running', 2, 2, 'a worker that died', now() - interval '1 second', 2)
            """))
        {
            orphan.Parameters.AddWithValue("id", id);
            orphan.Parameters.AddWithValue("queue", handler.Queue);
            await orphan.ExecuteNonQueryAsync();
        }

        var dead = await host.Queue().WaitForAsync(id, j => j.State == JobState.DeadLettered);

        Assert.Equal(2, dead.Attempts);
        Assert.Equal(0, handler.Runs);
        Assert.Single(handler.DeadLettered);
    }
}
