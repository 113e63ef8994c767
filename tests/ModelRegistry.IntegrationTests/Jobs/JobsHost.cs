using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.EventStore.Jobs;
using ModelRegistry.IntegrationTests.EventStore;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Jobs;

/// <summary>A host running the durable job worker with one handler, on a test class's database.</summary>
internal static class JobsHost
{
    public static Task<EventStoreHost> StartAsync(TestDatabase db, IJobHandler? handler, Action<JobOptions>? options = null) =>
        EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register, services =>
        {
            services.AddDurableJobs(o =>
            {
                o.PollInterval = TimeSpan.FromMilliseconds(20);
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(50);
                o.BaseBackoff = TimeSpan.FromMilliseconds(10);
                o.MaxBackoff = TimeSpan.FromMilliseconds(50);
                options?.Invoke(o);
            });
            if (handler is not null)
            {
                services.AddJobHandler(handler);
            }
        });

    public static IJobQueue Queue(this EventStoreHost host) => host.Services.GetRequiredService<IJobQueue>();

    public static NpgsqlDataSource DataSource(this EventStoreHost host) => host.Services.GetRequiredService<NpgsqlDataSource>();

    public static async Task<JobInfo> WaitForAsync(this IJobQueue queue, Guid id, Func<JobInfo, bool> condition)
    {
        JobInfo? job = null;
        await Eventually.HoldsAsync(async () => (job = await queue.GetAsync(id)) is { } found && condition(found),
            () => $"job {id} is {job}");
        return job!;
    }
}

/// <summary>A handler made of delegates, on a queue of its own so tests sharing a database never see each other's jobs.</summary>
internal sealed class TestHandler(Func<JobContext, CancellationToken, Task> handle) : IJobHandler
{
    private int _runs;

    public string Queue { get; init; } = $"test-{Guid.NewGuid():N}";

    public int Runs => Volatile.Read(ref _runs);

    public List<string> DeadLettered { get; } = [];

    public List<Guid> Cancelled { get; } = [];

    public async Task HandleAsync(JobContext job, CancellationToken ct)
    {
        Interlocked.Increment(ref _runs);
        await handle(job, ct);
    }

    public Task OnDeadLetteredAsync(JobContext job, string error, CancellationToken ct)
    {
        lock (DeadLettered)
        {
            DeadLettered.Add(error);
        }

        return Task.CompletedTask;
    }

    public Task OnCancelledAsync(JobContext job, CancellationToken ct)
    {
        lock (Cancelled)
        {
            Cancelled.Add(job.Id);
        }

        return Task.CompletedTask;
    }
}

internal static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, Func<string>? describe = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The condition did not hold in time: {describe?.Invoke()}");
            }

            await Task.Delay(20);
        }
    }
}
