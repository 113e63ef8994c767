using System.Collections.Concurrent;
using JasperFx;
using JasperFx.Core;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Marten;
using Wolverine.Tracking;

namespace ModelRegistry.IntegrationTests.Messaging.OnWolverine;

/// <summary>
/// The Marten outbox: a handler that appends an event and publishes a message to the durable local queue
/// <c>downloads</c> writes both in its session's one transaction, so a failed commit leaves neither, and a
/// committed one has its message handled exactly once.
/// </summary>
public sealed class OutboxTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly JobRuns _runs = new();

    public Task InitializeAsync() => WolverineTestHost.ExecuteAsync(db,
        "CREATE TABLE IF NOT EXISTS public.job_claims (claim text PRIMARY KEY); INSERT INTO public.job_claims VALUES ('taken') ON CONFLICT DO NOTHING");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task When_the_handlers_transaction_commits_the_event_is_stored_and_the_message_is_handled_exactly_once()
    {
        using var host = await StartAsync();
        var key = NewKey();

        var tracked = await host.TrackActivity().Timeout(TimeSpan.FromSeconds(30))
            .InvokeMessageAndWaitAsync(new RegisterJob(key, Claim: key));

        Assert.Equal(key, tracked.MessageSucceeded.SingleMessage<RunJob>().Key);
        Assert.Equal(new Uri("local://downloads"), tracked.MessageSucceeded.SingleEnvelope<RunJob>().Destination);
        Assert.Equal(1, _runs.Of(key));
        Assert.Single(await host.StreamAsync(key));
        Assert.Equal(1, await EnvelopeRowsAsync(key, "Handled"));
    }

    [Fact]
    public async Task When_queued_sql_in_the_handlers_session_violates_a_constraint_neither_the_event_nor_the_message_exists()
    {
        using var host = await StartAsync();
        var key = NewKey();

        var (tracked, thrown) = await InvokeFailingAsync(host, new RegisterJob(key, Claim: "taken"));

        var command = Assert.IsType<MartenCommandException>(thrown);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, Assert.IsType<PostgresException>(command.InnerException).SqlState);
        await AssertNothingOfAsync(host, tracked, key);
    }

    [Fact]
    public async Task When_another_writer_appends_to_the_stream_before_the_commit_neither_the_event_nor_the_message_exists()
    {
        using var host = await StartAsync();
        var key = NewKey();
        await using (var session = host.Store().LightweightSession())
        {
            session.Events.StartStream<Tally>(key, new TallyOpened(0));
            await session.SaveChangesAsync();
        }

        var (tracked, thrown) = await InvokeFailingAsync(host, new TickAndRunJob(key));

        Assert.IsAssignableFrom<ConcurrencyException>(thrown);
        Assert.Equal("JasperFx.Events.EventStreamUnexpectedMaxEventIdException", thrown.GetType().FullName);
        Assert.Equal([typeof(TallyOpened), typeof(TallyTicked)], (await host.StreamAsync(key)).Select(e => e.EventType));
        Assert.Equal(1000, ((TallyTicked)(await host.StreamAsync(key))[1].Data).By);
        Assert.Empty(tracked.Sent.MessagesOf<RunJob>());
        Assert.Equal(0, await EnvelopeRowsAsync(key));
        Assert.Equal(0, _runs.Of(key));
    }

    [Fact]
    public async Task A_commit_that_lost_a_race_retried_inline_leaves_one_event_and_one_message_of_the_attempt_that_won()
    {
        using var host = await StartAsync(o => o.Policies.OnException<ConcurrencyException>().RetryWithCooldown(10.Milliseconds(), 20.Milliseconds()));
        var key = NewKey();
        await using (var session = host.Store().LightweightSession())
        {
            session.Events.StartStream<Tally>(key, new TallyOpened(0));
            await session.SaveChangesAsync();
        }

        var (tracked, outcome) = await host.TrackActivity().Timeout(TimeSpan.FromSeconds(30)).DoNotAssertOnExceptionsDetected()
            .InvokeAndWaitAsync<TallyOutcome>(new TickOnceAndRunJob(key));

        Assert.Equal(new TallyOutcome(StartingVersion: 2, Total: 1001), outcome);
        Assert.Equal([1000, 1], (await host.StreamAsync(key)).Skip(1).Select(e => ((TallyTicked)e.Data).By));
        Assert.Equal(key, tracked.MessageSucceeded.SingleMessage<RunJob>().Key);
        Assert.Equal(1, _runs.Of(key));
        Assert.Equal(1, await EnvelopeRowsAsync(key));
    }

    private Task<IHost> StartAsync(Action<WolverineOptions>? policies = null) =>
        WolverineTestHost.StartAsync(db, o =>
        {
            policies?.Invoke(o);
            o.Discovery.IncludeType(typeof(RegisterJobHandler));
            o.Discovery.IncludeType(typeof(RunJobHandler));
            o.Discovery.IncludeType(typeof(TickOnceAndRunJobHandler));
            o.Policies.AutoApplyTransactions();
            o.LocalQueue("downloads").UseDurableInbox();
            o.PublishMessage<RunJob>().ToLocalQueue("downloads");
        }, s => s.AddSingleton(_runs).AddSingleton<Rival>());

    /// <summary>Invokes a command that must fail, tracking everything it set off until the host is quiet again.</summary>
    private static async Task<(ITrackedSession, Exception)> InvokeFailingAsync(IHost host, object command)
    {
        Exception? thrown = null;
        var tracked = await host.TrackActivity().Timeout(TimeSpan.FromSeconds(30)).DoNotAssertOnExceptionsDetected()
            .ExecuteAndWaitAsync(async Task (IMessageContext bus) => thrown = await Record.ExceptionAsync(() => bus.InvokeAsync(command)));
        return (tracked, thrown ?? throw new Xunit.Sdk.XunitException("the command did not fail"));
    }

    private async Task AssertNothingOfAsync(IHost host, ITrackedSession tracked, string key)
    {
        Assert.Empty(await host.StreamAsync(key));
        Assert.Empty(tracked.Sent.MessagesOf<RunJob>());
        Assert.Equal(0, await EnvelopeRowsAsync(key));
        Assert.Equal(0, await WolverineTestHost.CountAsync(db, "SELECT count(*) FROM public.job_claims WHERE claim = @k", ("k", key)));
        Assert.Equal(0, _runs.Of(key));
    }

    /// <summary>Rows of the inbox and outbox that carry the key in their message body.</summary>
    private Task<long> EnvelopeRowsAsync(string key, string? status = null) => WolverineTestHost.CountAsync(db,
        $"""
         SELECT (SELECT count(*) FROM {WolverineTestHost.Schema}.wolverine_incoming_envelopes
                  WHERE position(convert_to(@k, 'UTF8') IN body) > 0 AND (@s = '' OR status = @s))
              + (SELECT count(*) FROM {WolverineTestHost.Schema}.wolverine_outgoing_envelopes
                  WHERE position(convert_to(@k, 'UTF8') IN body) > 0)
         """, ("k", key), ("s", status ?? ""));

    private static string NewKey() => $"job-{Guid.NewGuid():N}";
}

public sealed record RegisterJob(string Key, string Claim);

public sealed record TickAndRunJob(string Key);

public sealed record TickOnceAndRunJob(string TallyId);

/// <summary>Another writer that gets to each stream first, once.</summary>
public sealed class Rival(IDocumentStore store)
{
    private readonly ConcurrentDictionary<string, bool> _done = new();

    public async Task AppendFirstAsync(string key)
    {
        if (_done.TryAdd(key, true))
        {
            await using var session = store.LightweightSession();
            session.Events.Append(key, new TallyTicked(1000));
            await session.SaveChangesAsync();
        }
    }
}

/// <summary>The job message that goes to the durable local queue.</summary>
public sealed record RunJob(string Key);

/// <summary>Counts how often each job's handler ran.</summary>
public sealed class JobRuns
{
    private readonly ConcurrentDictionary<string, int> _runs = new();

    public void Record(string key) => _runs.AddOrUpdate(key, 1, (_, n) => n + 1);

    public int Of(string key) => _runs.GetValueOrDefault(key);
}

public static class RegisterJobHandler
{
    public static RunJob Handle(RegisterJob command, IDocumentSession session)
    {
        session.Events.StartStream<Tally>(command.Key, new TallyOpened(0));
        session.QueueSqlCommand("INSERT INTO public.job_claims (claim) VALUES (?)", command.Claim);
        return new RunJob(command.Key);
    }

    /// <summary>Loads the stream for writing, then lets another writer append before this session commits.</summary>
    public static async Task<RunJob> Handle(TickAndRunJob command, IDocumentSession session, IDocumentStore store)
    {
        var stream = await session.Events.FetchForWriting<Tally>(command.Key);
        stream.AppendOne(new TallyTicked(1));
        await using var rival = store.LightweightSession();
        rival.Events.Append(command.Key, new TallyTicked(1000));
        await rival.SaveChangesAsync();
        return new RunJob(command.Key);
    }
}

public static class TickOnceAndRunJobHandler
{
    /// <summary>The shape of a registration: an aggregate handler that appends an event and queues the download.</summary>
    public static async Task<(TallyOutcome, Events, RunJob)> Handle(TickOnceAndRunJob command,
        [WriteAggregate] IEventStream<Tally> tally, Rival rival)
    {
        await rival.AppendFirstAsync(command.TallyId);
        return (new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate!.Total + 1), [new TallyTicked(1)], new RunJob(command.TallyId));
    }
}

public static class RunJobHandler
{
    public static void Handle(RunJob message, JobRuns runs) => runs.Record(message.Key);
}
