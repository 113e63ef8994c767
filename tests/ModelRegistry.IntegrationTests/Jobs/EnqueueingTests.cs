using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Jobs;
using ModelRegistry.IntegrationTests.EventStore;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Jobs;

public sealed class EnqueueingTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private EventStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await JobsHost.StartAsync(db, handler: null);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private sealed record Payload(string Name, int Count);

    [Fact]
    public async Task A_job_enqueued_in_a_transaction_that_rolls_back_is_never_stored()
    {
        await using var connection = await _host.DataSource().OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var id = await _host.Queue().EnqueueAsync(connection, transaction, "outbox", new Payload("x", 1));
        await transaction.RollbackAsync();

        Assert.Null(await _host.Queue().GetAsync(id));
    }

    [Fact]
    public async Task A_job_enqueued_in_a_transaction_appears_when_it_commits()
    {
        await using var connection = await _host.DataSource().OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var id = await _host.Queue().EnqueueAsync(connection, transaction, "outbox", new Payload("x", 1), maxAttempts: 7);
        Assert.Null(await _host.Queue().GetAsync(id));

        await transaction.CommitAsync();

        var job = await _host.Queue().GetAsync(id);
        Assert.NotNull(job);
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal("outbox", job.Queue);
        Assert.Equal(0, job.Attempts);
        Assert.Equal(7, job.MaxAttempts);
        Assert.Equal(0, job.FencingToken);
        Assert.Equal("x", job.Payload.GetProperty("name").GetString());
        Assert.Equal(1, job.Payload.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Enqueueing_an_id_twice_stores_one_job()
    {
        var id = Guid.CreateVersion7();
        await _host.Queue().EnqueueAsync("outbox", new Payload("first", 1), id: id);
        await _host.Queue().EnqueueAsync("outbox", new Payload("second", 2), id: id);

        var job = await _host.Queue().GetAsync(id);
        Assert.Equal("first", job!.Payload.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Jobs_queued_by_an_append_commit_with_it_and_a_repeated_id_in_one_transaction_stores_the_first()
    {
        var (kept, other) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var later = DateTimeOffset.UtcNow.AddHours(1);
        await _host.Store.AppendAsync($"jobs-{Guid.NewGuid():N}", "test", ExpectedVersion.NoStream, [TestEvents.Inc()],
            EventMetadata.None, (transaction, _) =>
            {
                _host.Queue().Enqueue(transaction, "outbox", new Payload("first", 1), id: kept);
                _host.Queue().Enqueue(transaction, "outbox", new Payload("second", 2), id: kept);
                _host.Queue().Enqueue(transaction, "later", new Payload("other", 3), runAt: later, maxAttempts: 2, id: other);
                return Task.CompletedTask;
            });

        Assert.Equal("first", (await _host.Queue().GetAsync(kept))!.Payload.GetProperty("name").GetString());
        var scheduled = await _host.Queue().GetAsync(other);
        Assert.Equal(("later", 2, later.ToUnixTimeMilliseconds()), (scheduled!.Queue, scheduled.MaxAttempts, scheduled.RunAt.ToUnixTimeMilliseconds()));
    }

    [Fact]
    public async Task An_unknown_job_is_not_found_and_cannot_be_cancelled()
    {
        Assert.Null(await _host.Queue().GetAsync(Guid.NewGuid()));
        Assert.Equal(CancelOutcome.NotFound, await _host.Queue().RequestCancelAsync(Guid.NewGuid()));
    }
}
