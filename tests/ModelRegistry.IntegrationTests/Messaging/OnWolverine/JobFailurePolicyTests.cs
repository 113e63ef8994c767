using System.Collections.Concurrent;
using JasperFx.Core;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelRegistry.IntegrationTests.Infrastructure;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime;
using Wolverine.Tracking;

namespace ModelRegistry.IntegrationTests.Messaging.OnWolverine;

/// <summary>
/// A job's error policy on a durable local queue: scheduled retries with jitter, then the dead letter queue with a
/// user action that records the failure as an event; a failure that must not be retried goes there at once.
/// </summary>
public sealed class JobFailurePolicyTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private readonly FetchAttempts _attempts = new();

    [Fact]
    public async Task A_transient_failure_is_retried_on_schedule_then_dead_lettered_and_recorded_as_an_event_once()
    {
        using var host = await StartAsync();
        var key = await OpenAsync(host);

        var tracked = await host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).DoNotAssertOnExceptionsDetected()
            .WaitForCondition(new WaitForDeadLetter<FetchFile>())
            .PublishMessageAndWaitAsync(new FetchFile(key, Refused: false));

        Assert.Equal([1, 2, 3], _attempts.Of(key));
        Assert.Equal(2, tracked.Requeued.MessagesOf<FetchFile>().Count());
        Assert.Single(tracked.MovedToErrorQueue.MessagesOf<FetchFile>());
        var failed = await RecordedFailuresAsync(host, key);
        Assert.Equal([new FetchFailed(3, "transfer failed on attempt 3")], failed);
        Assert.Equal(1, await DeadLettersAsync(key, typeof(TransferFailedException)));
        Assert.Equal(0, await IncomingAsync(key));
    }

    [Fact]
    public async Task A_refused_download_goes_to_the_dead_letter_queue_on_its_first_attempt_and_is_recorded_as_an_event()
    {
        using var host = await StartAsync();
        var key = await OpenAsync(host);

        await host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).DoNotAssertOnExceptionsDetected()
            .WaitForCondition(new WaitForDeadLetter<FetchFile>())
            .PublishMessageAndWaitAsync(new FetchFile(key, Refused: true));

        Assert.Equal([1], _attempts.Of(key));
        Assert.Equal([new FetchFailed(1, "refused on attempt 1")], await RecordedFailuresAsync(host, key));
        Assert.Equal(1, await DeadLettersAsync(key, typeof(DownloadRefusedException)));
    }

    [Fact]
    public void Jitter_on_a_rule_without_a_delay_is_refused_when_the_rule_is_written()
    {
        var options = new WolverineOptions();

        var thrown = Assert.Throws<InvalidOperationException>(() =>
            options.Policies.OnException<DownloadRefusedException>().MoveToErrorQueue().WithFullJitter());

        Assert.Contains("delay-carrying", thrown.Message);
    }

    private Task<IHost> StartAsync() =>
        WolverineTestHost.StartAsync(db, o =>
        {
            o.Discovery.IncludeType(typeof(FetchFileHandler));
            o.Policies.AutoApplyTransactions();
            o.LocalQueue("downloads").UseDurableInbox();
            o.PublishMessage<FetchFile>().ToLocalQueue("downloads");
            // Scheduled retries of a durable local queue come back through the durability agent's poll.
            o.Durability.ScheduledJobFirstExecution = TimeSpan.Zero;
            o.Durability.ScheduledJobPollingTime = 200.Milliseconds();

            o.Policies.OnException<DownloadRefusedException>()
                .MoveToErrorQueue().And(FetchFailures.RecordAsync, "record the download's failure");
            o.Policies.OnException<TransferFailedException>()
                .ScheduleRetry(100.Milliseconds(), 200.Milliseconds()).WithFullJitter()
                .Then.MoveToErrorQueue().And(FetchFailures.RecordAsync, "record the download's failure");
        }, s => s.AddSingleton(_attempts));

    private static async Task<string> OpenAsync(IHost host)
    {
        var key = $"fetch-{Guid.NewGuid():N}";
        await using var session = host.Store().LightweightSession();
        session.Events.StartStream<Tally>(key, new TallyOpened(0));
        await session.SaveChangesAsync();
        return key;
    }

    /// <summary>The failure events on the job's stream, once the failure action (which runs after the move) has written one.</summary>
    private static async Task<FetchFailed[]> RecordedFailuresAsync(IHost host, string key)
    {
        FetchFailed[] failed = [];
        await WolverineTestHost.EventuallyAsync(async () =>
            (failed = (await host.StreamAsync(key)).Select(e => e.Data).OfType<FetchFailed>().ToArray()).Length > 0,
            TimeSpan.FromSeconds(30));
        return failed;
    }

    private Task<long> DeadLettersAsync(string key, Type exception) => WolverineTestHost.CountAsync(db,
        $"""
         SELECT count(*) FROM {WolverineTestHost.Schema}.wolverine_dead_letters
          WHERE position(convert_to(@k, 'UTF8') IN body) > 0 AND exception_type = @e AND message_type = @m
         """, ("k", key), ("e", exception.FullName!), ("m", typeof(FetchFile).FullName!));

    private Task<long> IncomingAsync(string key) => WolverineTestHost.CountAsync(db,
        $"SELECT count(*) FROM {WolverineTestHost.Schema}.wolverine_incoming_envelopes WHERE position(convert_to(@k, 'UTF8') IN body) > 0",
        ("k", key));
}

public sealed record FetchFile(string Key, bool Refused);

/// <summary>What the failure action appends to the job's stream, as <c>VersionDownloadFailed</c> will be.</summary>
public sealed record FetchFailed(int Attempts, string Error);

public sealed class TransferFailedException(string message) : Exception(message);

public sealed class DownloadRefusedException(string message) : Exception(message);

public sealed class FetchAttempts
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _attempts = new();

    public void Record(string key, int attempt) => _attempts.GetOrAdd(key, _ => new ConcurrentQueue<int>()).Enqueue(attempt);

    public int[] Of(string key) => _attempts.TryGetValue(key, out var attempts) ? attempts.ToArray() : [];
}

public static class FetchFileHandler
{
    public static void Handle(FetchFile message, Envelope envelope, FetchAttempts attempts)
    {
        attempts.Record(message.Key, envelope.Attempts);
        throw message.Refused
            ? new DownloadRefusedException($"refused on attempt {envelope.Attempts}")
            : new TransferFailedException($"transfer failed on attempt {envelope.Attempts}");
    }
}

public static class FetchFailures
{
    /// <summary>The user action after the move to the dead letter queue: one event on the job's stream, in its own session.</summary>
    public static async ValueTask RecordAsync(IWolverineRuntime runtime, IEnvelopeLifecycle lifecycle, Exception exception)
    {
        var message = (FetchFile)lifecycle.Envelope!.Message!;
        await using var session = runtime.Services.GetRequiredService<IDocumentStore>().LightweightSession();
        session.Events.Append(message.Key, new FetchFailed(lifecycle.Envelope.Attempts, exception.Message));
        await session.SaveChangesAsync();
    }
}

/// <summary>Keeps a tracked session open until a message of the type has been moved to the dead letter queue.</summary>
public sealed class WaitForDeadLetter<T> : ITrackedCondition
{
    private bool _done;

    public void Record(EnvelopeRecord record)
    {
        if (record.MessageEventType == MessageEventType.MovedToErrorQueue && record.Message is T)
        {
            _done = true;
        }
    }

    public bool IsCompleted() => _done;
}
