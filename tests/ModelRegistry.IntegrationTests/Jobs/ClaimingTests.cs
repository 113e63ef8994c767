using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.EventStore.Jobs;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Jobs;

public sealed class ClaimingTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Two_instances_sharing_a_database_never_run_one_job_twice()
    {
        await using var setup = await JobsHost.StartAsync(db, handler: null);
        await ExecuteAsync(setup, "CREATE TABLE IF NOT EXISTS job_runs (job_id uuid NOT NULL)");
        var handler = new TestHandler(async (job, ct) =>
        {
            await Task.Delay(Random.Shared.Next(0, 3), ct);
            await ExecuteAsync(setup, "INSERT INTO job_runs (job_id) VALUES (@id)", ("id", job.Id));
        });
        await using var a = await JobsHost.StartAsync(db, handler, o => o.Concurrency = 4);
        await using var b = await JobsHost.StartAsync(db, handler, o => o.Concurrency = 4);

        var ids = new List<Guid>();
        for (var i = 0; i < 200; i++)
        {
            ids.Add(await setup.Queue().EnqueueAsync(handler.Queue, new { i }));
        }

        await Eventually.HoldsAsync(async () =>
            await ScalarAsync(setup, "SELECT count(*) FROM mr_jobs WHERE queue = @q AND state = 'succeeded'", ("q", handler.Queue)) == 200);

        Assert.Equal(200, await ScalarAsync(setup, "SELECT count(*) FROM job_runs WHERE job_id = ANY (@ids)", ("ids", ids.ToArray())));
        Assert.Equal(200, await ScalarAsync(setup, "SELECT count(DISTINCT job_id) FROM job_runs WHERE job_id = ANY (@ids)", ("ids", ids.ToArray())));
        Assert.Equal(200, handler.Runs);
        Assert.Equal(200, await ScalarAsync(setup, "SELECT count(*) FROM mr_jobs WHERE queue = @q AND attempts = 1 AND fencing_token = 1",
            ("q", handler.Queue)));
    }

    [Fact]
    public async Task A_handler_that_asks_for_its_payload_twice_gets_the_one_instance_read_first()
    {
        var read = new TaskCompletionSource<(Payload First, Payload Again)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestHandler((job, _) =>
        {
            read.TrySetResult((job.PayloadAs<Payload>(), job.PayloadAs<Payload>()));
            return Task.CompletedTask;
        });
        await using var host = await JobsHost.StartAsync(db, handler);

        await host.Queue().EnqueueAsync(handler.Queue, new Payload("once", 1));

        var (first, again) = await read.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new Payload("once", 1), first);
        Assert.Same(first, again);
    }

    [Fact]
    public async Task A_claim_whose_lease_ran_out_can_no_longer_change_the_job()
    {
        await using var host = await JobsHost.StartAsync(db, handler: null, o => o.LeaseDuration = TimeSpan.FromMinutes(5));
        var queue = host.Services.GetRequiredService<PostgresJobQueue>();
        var id = await queue.EnqueueAsync("fenced", new { });

        var stale = await queue.ClaimAsync(["fenced"], default);
        Assert.Equal(id, stale!.Id);
        Assert.Null(await queue.ClaimAsync(["fenced"], default));
        // The lease runs out (its holder stalled for five minutes), without the test waiting for it on a busy machine.
        await ExecuteAsync(host, "UPDATE mr_jobs SET lease_expires_at = now() - interval '1 second' WHERE id = @id", ("id", id));

        var current = await queue.ClaimAsync(["fenced"], default);
        Assert.Equal(id, current!.Id);
        Assert.Equal(stale.FencingToken + 1, current.FencingToken);
        Assert.Equal(2, current.Attempt);

        await Assert.ThrowsAsync<JobLeaseLostException>(() => queue.HeartbeatAsync(stale, null, default));
        await Assert.ThrowsAsync<JobLeaseLostException>(() => queue.CompleteAsync(stale, null, default));
        await Assert.ThrowsAsync<JobLeaseLostException>(() => queue.RetryAsync(stale, "late", TimeSpan.Zero, default));
        await Assert.ThrowsAsync<JobLeaseLostException>(() => queue.DeadLetterAsync(stale, "late", default));
        await Assert.ThrowsAsync<JobLeaseLostException>(() => queue.CancelAsync(stale, default));
        Assert.Equal(JobState.Running, (await queue.GetAsync(id))!.State);

        await queue.CompleteAsync(current, null, default);
        var job = await queue.GetAsync(id);
        Assert.Equal(JobState.Succeeded, job!.State);
        Assert.Null(job.LastError);
    }

    [Fact]
    public async Task A_worker_that_stalls_past_its_lease_loses_the_job_and_its_late_publish_is_refused()
    {
        await using var setup = await JobsHost.StartAsync(db, handler: null);
        await ExecuteAsync(setup, "CREATE TABLE IF NOT EXISTS published (job_id uuid NOT NULL, token bigint NOT NULL)");
        var stalledStarted = new TaskCompletionSource();
        var resume = new TaskCompletionSource();
        var stalledOutcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = $"stall-{Guid.NewGuid():N}";

        // A paused process neither heartbeats nor notices its token: its heartbeat is set to outlast the lease.
        var stalled = new TestHandler(async (job, _) =>
        {
            stalledStarted.TrySetResult();
            await resume.Task;
            try
            {
                await PublishAsync(setup, job);
                stalledOutcome.TrySetResult(null);
            }
            catch (Exception ex)
            {
                stalledOutcome.TrySetResult(ex);
                throw;
            }
        }) { Queue = queue };
        await using var a = await JobsHost.StartAsync(db, stalled, o =>
        {
            o.Concurrency = 1;
            o.LeaseDuration = TimeSpan.FromMilliseconds(300);
            o.HeartbeatInterval = TimeSpan.FromHours(1);
        });
        var id = await setup.Queue().EnqueueAsync(queue, new { });
        await stalledStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var healthy = new TestHandler((job, _) => PublishAsync(setup, job)) { Queue = queue };
        await using var b = await JobsHost.StartAsync(db, healthy);
        var done = await setup.Queue().WaitForAsync(id, j => j.State == JobState.Succeeded);
        Assert.Equal(2, done.FencingToken);

        resume.SetResult();
        var refusal = await stalledOutcome.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.IsType<JobLeaseLostException>(refusal);
        Assert.Equal(1, await ScalarAsync(setup, "SELECT count(*) FROM published WHERE job_id = @id", ("id", id)));
        Assert.Equal(2, await ScalarAsync(setup, "SELECT token FROM published WHERE job_id = @id", ("id", id)));
        var after = await setup.Queue().GetAsync(id);
        Assert.Equal(JobState.Succeeded, after!.State);
        Assert.Equal(2, after.Attempts);
    }

    [Fact]
    public async Task A_running_job_keeps_its_lease_while_its_worker_heartbeats()
    {
        var release = new TaskCompletionSource();
        var handler = new TestHandler((_, ct) => release.Task.WaitAsync(ct));
        var fast = (Action<JobOptions>)(o =>
        {
            // A lease long enough that a busy machine's scheduling pause does not outlast it, beaten many times over.
            o.LeaseDuration = TimeSpan.FromMilliseconds(1500);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        });
        await using var a = await JobsHost.StartAsync(db, handler, fast);
        await using var b = await JobsHost.StartAsync(db, handler, fast);
        var id = await a.Queue().EnqueueAsync(handler.Queue, new { });

        var running = await a.Queue().WaitForAsync(id, j => j.State == JobState.Running);
        await Eventually.HoldsAsync(async () =>
            await ScalarAsync(a, "SELECT count(*) FROM mr_jobs WHERE id = @id AND lease_expires_at > @first + interval '2 seconds'",
                ("id", id), ("first", running.LeaseExpiresAt!.Value)) == 1);
        release.SetResult();

        var done = await a.Queue().WaitForAsync(id, j => j.State == JobState.Succeeded);
        Assert.Equal(1, done.FencingToken);
        Assert.Equal(1, handler.Runs);
    }

    [Fact]
    public async Task A_worker_that_shuts_down_gives_its_running_job_back_at_once()
    {
        var started = new TaskCompletionSource();
        var first = new TestHandler(async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var a = await JobsHost.StartAsync(db, first, o => o.LeaseDuration = TimeSpan.FromHours(1));
        var id = await a.Queue().EnqueueAsync(first.Queue, new { });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await a.DisposeAsync();
        await using var setup = await JobsHost.StartAsync(db, handler: null);
        var released = await setup.Queue().GetAsync(id);
        Assert.Equal(JobState.Scheduled, released!.State);
        Assert.Equal(0, released.Attempts);
        Assert.Null(released.LeaseOwner);

        var second = new TestHandler((_, _) => Task.CompletedTask) { Queue = first.Queue };
        await using var b = await JobsHost.StartAsync(db, second);
        var done = await b.Queue().WaitForAsync(id, j => j.State == JobState.Succeeded);
        Assert.Equal(1, done.Attempts);
        Assert.Equal(1, second.Runs);
    }

    private static async Task PublishAsync(EventStoreHost host, JobContext job)
    {
        await using var connection = await host.DataSource().OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO published (job_id, token) VALUES (@id, @token)", connection, transaction))
        {
            insert.Parameters.AddWithValue("id", job.Id);
            insert.Parameters.AddWithValue("token", job.FencingToken);
            await insert.ExecuteNonQueryAsync();
        }

        await job.CompleteAsync(connection, transaction, default);
        await transaction.CommitAsync();
    }

    private static async Task ExecuteAsync(EventStoreHost host, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = host.DataSource().CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(EventStoreHost host, string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = host.DataSource().CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed record Payload(string Name, int N);
}
