using JasperFx;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.Hosting;
using ModelRegistry.IntegrationTests.Infrastructure;
using Wolverine;
using Wolverine.Marten;
using Wolverine.Persistence;
using Wolverine.Tracking;

namespace ModelRegistry.IntegrationTests.Messaging.OnWolverine;

/// <summary>
/// The aggregate handler workflow on a string-keyed stream: <c>[WriteAggregate]</c> loads the stream for writing, the
/// handler's events and its reply come back from one <c>InvokeAsync</c>, and they are written in one transaction.
/// Pins the two traps of the plan: a command member named <c>Version</c> is the expected stream version unless
/// <c>VersionSource</c> names something else, and a missing stream stops the handler by default.
/// </summary>
public sealed class AggregateHandlerTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_WriteAggregate_handler_returns_its_reply_to_InvokeAsync_and_its_events_are_appended_to_the_stream()
    {
        using var host = await StartAsync(typeof(TickTallyHandler));
        var key = await OpenAsync(host, start: 10);

        var outcome = await host.MessageBus().InvokeAsync<TallyOutcome>(new TickTally(key, By: 5));

        Assert.Equal(new TallyOutcome(StartingVersion: 1, Total: 17), outcome);
        var events = await host.StreamAsync(key);
        Assert.Equal([typeof(TallyOpened), typeof(TallyTicked), typeof(TallyTicked)], events.Select(e => e.EventType));
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Version));
        Assert.Equal(17, (await LoadAsync(host, key))!.Total);
    }

    [Fact]
    public async Task The_events_and_any_other_work_of_the_handlers_session_commit_together_or_not_at_all()
    {
        await WolverineTestHost.ExecuteAsync(db, "CREATE TABLE IF NOT EXISTS public.tally_claims (claim text PRIMARY KEY)");
        await WolverineTestHost.ExecuteAsync(db, "INSERT INTO public.tally_claims VALUES ('taken') ON CONFLICT DO NOTHING");
        using var host = await StartAsync(typeof(ClaimingTickHandler));
        var key = await OpenAsync(host, start: 0);

        await Assert.ThrowsAnyAsync<Exception>(() => host.MessageBus().InvokeAsync<TallyOutcome>(new ClaimingTick(key, "taken")));
        var claimed = await host.MessageBus().InvokeAsync<TallyOutcome>(new ClaimingTick(key, "free"));

        Assert.Equal(1, claimed.StartingVersion);
        Assert.Equal([1L, 2L, 3L], (await host.StreamAsync(key)).Select(e => e.Version));
        Assert.Equal(1, await WolverineTestHost.CountAsync(db, "SELECT count(*) FROM public.tally_claims WHERE claim = 'free'"));
    }

    [Fact]
    public async Task A_lone_event_beside_the_reply_in_a_returned_tuple_is_published_as_a_message_and_not_appended()
    {
        using var host = await StartAsync(typeof(TickBesideReplyHandler));
        var key = await OpenAsync(host, start: 0);

        var (tracked, outcome) = await host.TrackActivity().Timeout(TimeSpan.FromSeconds(30))
            .InvokeAndWaitAsync<TallyOutcome>(new TickBesideReply(key));

        Assert.Equal(new TallyOutcome(StartingVersion: 1, Total: 1), outcome);
        Assert.Single(tracked.NoRoutes.MessagesOf<TallyTicked>());
        Assert.Single(await host.StreamAsync(key));
    }

    [Fact]
    public async Task A_command_member_named_Version_is_taken_as_the_expected_stream_version()
    {
        using var host = await StartAsync(typeof(TickAtVersionHandler));
        var key = await OpenAsync(host, start: 0);

        await host.MessageBus().InvokeAsync<TallyOutcome>(new TickAtVersion(key, Version: 1, By: 1));
        var stale = await Assert.ThrowsAnyAsync<ConcurrencyException>(() =>
            host.MessageBus().InvokeAsync<TallyOutcome>(new TickAtVersion(key, Version: 7, By: 1)));

        Assert.Equal(typeof(ConcurrencyException), stale.GetType());
        Assert.Equal(2, (await host.StreamAsync(key)).Count);
    }

    [Fact]
    public async Task A_VersionSource_naming_no_member_turns_the_expected_version_check_off()
    {
        using var host = await StartAsync(typeof(TickModelVersionHandler));
        var key = await OpenAsync(host, start: 0);

        var outcome = await host.MessageBus().InvokeAsync<TallyOutcome>(new TickModelVersion(key, Version: 7, By: 1));

        Assert.Equal(1, outcome.StartingVersion);
        Assert.Equal(2, (await host.StreamAsync(key)).Count);
    }

    [Fact]
    public async Task A_nullable_long_named_by_VersionSource_is_silently_not_used_as_the_expected_version()
    {
        using var host = await StartAsync(typeof(TickIfMatchHandler));
        var key = await OpenAsync(host, start: 0);

        var outcome = await host.MessageBus().InvokeAsync<TallyOutcome>(new TickIfMatch(key, IfMatch: 7, By: 1));

        Assert.Equal(1, outcome.StartingVersion);
        Assert.Equal(2, (await host.StreamAsync(key)).Count);
    }

    [Fact]
    public async Task A_missing_stream_by_default_skips_the_handler_and_InvokeAsync_returns_null()
    {
        using var host = await StartAsync(typeof(TickTallyHandler));

        var outcome = await host.MessageBus().InvokeAsync<TallyOutcome>(new TickTally("tally-nobody", By: 1));

        Assert.Null(outcome);
        Assert.Empty(await host.StreamAsync("tally-nobody"));
    }

    [Fact]
    public async Task A_missing_stream_with_OnMissing_ThrowException_throws_RequiredDataMissingException_from_InvokeAsync()
    {
        using var host = await StartAsync(typeof(TickOrThrowHandler));

        var thrown = await Assert.ThrowsAsync<RequiredDataMissingException>(() =>
            host.MessageBus().InvokeAsync<TallyOutcome>(new TickOrThrow("tally-nobody-either")));

        Assert.Contains("tally-nobody-either", thrown.Message);
    }

    [Fact]
    public async Task With_Required_false_the_handler_sees_a_missing_stream_as_a_null_aggregate_and_can_start_it()
    {
        using var host = await StartAsync(typeof(OpenOrTickHandler));
        var key = $"tally-{Guid.NewGuid():N}";

        var first = await host.MessageBus().InvokeAsync<TallyOutcome>(new OpenOrTick(key));
        var second = await host.MessageBus().InvokeAsync<TallyOutcome>(new OpenOrTick(key));

        Assert.Equal(new TallyOutcome(StartingVersion: 0, Total: 100), first);
        Assert.Equal(new TallyOutcome(StartingVersion: 1, Total: 101), second);
        Assert.Equal([typeof(TallyOpened), typeof(TallyTicked)], (await host.StreamAsync(key)).Select(e => e.EventType));
    }

    [Fact]
    public async Task Starting_a_stream_that_already_exists_fails_with_ExistingStreamIdCollisionException_which_is_no_ConcurrencyException()
    {
        using var host = await StartAsync(typeof(StartTallyHandler));
        var key = $"tally-{Guid.NewGuid():N}";
        await host.MessageBus().InvokeAsync(new StartTally(key));

        var thrown = await Assert.ThrowsAsync<Marten.Exceptions.ExistingStreamIdCollisionException>(() =>
            host.MessageBus().InvokeAsync(new StartTally(key)));

        Assert.IsNotAssignableFrom<ConcurrencyException>(thrown);
        Assert.Single(await host.StreamAsync(key));
    }

    private Task<IHost> StartAsync(Type handler) =>
        WolverineTestHost.StartAsync(db, o => o.Discovery.IncludeType(handler));

    private static async Task<string> OpenAsync(IHost host, int start)
    {
        var key = $"tally-{Guid.NewGuid():N}";
        await using var session = host.Store().LightweightSession();
        session.Events.StartStream<Tally>(key, new TallyOpened(start));
        await session.SaveChangesAsync();
        return key;
    }

    private static async Task<Tally?> LoadAsync(IHost host, string key)
    {
        await using var session = host.Store().QuerySession();
        return await session.LoadAsync<Tally>(key);
    }
}

/// <summary>The reply of a tally command: the stream version it was decided on and the total after its events.</summary>
public sealed record TallyOutcome(long StartingVersion, int Total);

public sealed record TickTally(string TallyId, int By);

public static class TickTallyHandler
{
    public static (TallyOutcome, Events) Handle(TickTally command, [WriteAggregate] IEventStream<Tally> tally)
    {
        var events = new Events { new TallyTicked(command.By), new TallyTicked(2) };
        return (new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate!.Total + command.By + 2), events);
    }
}

public sealed record ClaimingTick(string TallyId, string Claim);

public static class ClaimingTickHandler
{
    public static TallyOutcome Handle(ClaimingTick command, [WriteAggregate] IEventStream<Tally> tally, IDocumentSession session)
    {
        tally.AppendMany(new TallyTicked(1), new TallyTicked(1));
        session.QueueSqlCommand("INSERT INTO public.tally_claims (claim) VALUES (?)", command.Claim);
        return new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate!.Total + 2);
    }
}

public sealed record TickAtVersion(string TallyId, int Version, int By);

public static class TickAtVersionHandler
{
    public static (TallyOutcome, Events) Handle(TickAtVersion command, [WriteAggregate] IEventStream<Tally> tally) =>
        (new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate!.Total + command.By), [new TallyTicked(command.By)]);
}

public sealed record StartTally(string TallyId);

public static class StartTallyHandler
{
    public static IStartStream Handle(StartTally command) => MartenOps.StartStream<Tally>(command.TallyId, new TallyOpened(0));
}

public sealed record TickBesideReply(string TallyId);

public static class TickBesideReplyHandler
{
    public static (TallyOutcome, TallyTicked) Handle(TickBesideReply command, [WriteAggregate] IEventStream<Tally> tally) =>
        (new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate!.Total + 1), new TallyTicked(1));
}

/// <summary>A command whose <c>Version</c> is a model's version number, not the stream's.</summary>
public sealed record TickModelVersion(string TallyId, int Version, int By);

public static class TickModelVersionHandler
{
    public const string NoExpectedVersion = "__none__";

    public static (TallyOutcome, Events) Handle(TickModelVersion command,
        [WriteAggregate(VersionSource = NoExpectedVersion)] IEventStream<Tally> tally) =>
        (new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate!.Total + command.By), [new TallyTicked(command.By)]);
}

public sealed record TickIfMatch(string TallyId, long? IfMatch, int By);

public static class TickIfMatchHandler
{
    public static (TallyOutcome, Events) Handle(TickIfMatch command,
        [WriteAggregate(VersionSource = nameof(TickIfMatch.IfMatch))] IEventStream<Tally> tally) =>
        (new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate!.Total + command.By), [new TallyTicked(command.By)]);
}

public sealed record TickOrThrow(string TallyId);

public static class TickOrThrowHandler
{
    public static (TallyOutcome, Events) Handle(TickOrThrow command,
        [WriteAggregate(OnMissing = OnMissing.ThrowException)] IEventStream<Tally> tally) =>
        (new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate!.Total + 1), [new TallyTicked(1)]);
}

public sealed record OpenOrTick(string TallyId);

public static class OpenOrTickHandler
{
    public static TallyOutcome Handle(OpenOrTick command, [WriteAggregate(Required = false)] IEventStream<Tally> tally)
    {
        if (tally.Aggregate is null)
        {
            tally.AppendOne(new TallyOpened(100));
            return new TallyOutcome(tally.StartingVersion ?? 0, 100);
        }

        tally.AppendOne(new TallyTicked(1));
        return new TallyOutcome(tally.StartingVersion ?? 0, tally.Aggregate.Total + 1);
    }
}
