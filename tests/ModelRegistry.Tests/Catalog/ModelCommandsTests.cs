using System.Collections.Immutable;
using JasperFx.Events;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Catalog;

/// <summary>What <see cref="ModelCommands.Decide"/> makes of a decision on a model's stream as Marten fetched it for writing.</summary>
public sealed class ModelCommandsTests : IDisposable
{
    private readonly DocumentStore _store = DocumentStore.For(o => RegistryStore.Configure(o, "Host=localhost", CatalogStream.Map));

    private static readonly ModelState Registered = new object[]
    {
        new ModelRegistered("Acme/Llama", "first", ImmutableDictionary<string, string>.Empty, "alice"),
        new ModelUpdated("second", null),
    }.Aggregate(ModelState.Initial with { Id = "acme/llama" }, CatalogStream.Evolve);

    public void Dispose() => _store.Dispose();

    [Fact]
    public void A_decision_is_appended_to_the_fetched_stream_and_answers_the_model_and_version_after_it()
    {
        var stream = new FetchedStream(Registered, 2);
        using var session = _store.LightweightSession();

        var done = stream.Decide(Update(), session, state => [new ModelUpdated($"after {state.Description}", null)]);

        Assert.Equal([new ModelUpdated("after second", null)], stream.Events.Select(e => e.Data));
        Assert.Equal(stream.Events, done.Events);
        Assert.Equal((3L, "after second"), (done.Version, done.State.Description));
    }

    [Fact]
    public void A_decision_without_events_appends_nothing_and_answers_the_fetched_model_and_version()
    {
        var stream = new FetchedStream(Registered, 2);
        using var session = _store.LightweightSession();

        var done = stream.Decide(Update(), session, _ => []);

        Assert.Empty(stream.Events);
        Assert.Empty(done.Events);
        Assert.Equal((2L, Registered), (done.Version, done.State));
    }

    [Fact]
    public void A_stale_If_Match_is_refused_with_412_before_deciding()
    {
        var stream = new FetchedStream(Registered, 2);
        using var session = _store.LightweightSession();
        var decided = false;

        var refused = Assert.Throws<DomainException>(() => stream.Decide(Update() with { Context = CommandContext.None with { IfMatch = 1 } }, session, _ =>
        {
            decided = true;
            return [new ModelUpdated("late", null)];
        }));

        Assert.Equal((412, "precondition-failed"), (refused.Status, refused.Code));
        Assert.False(decided);
        Assert.Empty(stream.Events);
    }

    [Fact]
    public void If_Match_naming_the_fetched_version_is_decided()
    {
        var stream = new FetchedStream(Registered, 2);
        using var session = _store.LightweightSession();

        var done = stream.Decide(Update() with { Context = CommandContext.None with { IfMatch = 2 } }, session, _ => [new ModelUpdated("third", null)]);

        Assert.Equal(3, done.Version);
    }

    [Fact]
    public void A_missing_stream_is_decided_as_a_model_not_registered_yet_under_the_streams_key()
    {
        var stream = new FetchedStream(null, 0);
        using var session = _store.LightweightSession();
        ModelState? seen = null;

        var done = stream.Decide(new UpdateModel("New/Model", "d", null), session, state =>
        {
            seen = state;
            return [];
        });

        Assert.Equal(ModelState.Initial with { Id = "new/model" }, seen);
        Assert.Equal(0, done.Version);
    }

    [Fact]
    public void Each_decided_event_gets_a_UUID_v7_id_of_its_own_and_the_session_carries_the_commands_context()
    {
        var stream = new FetchedStream(Registered, 2);
        using var session = _store.LightweightSession();

        stream.Decide(Update() with { Context = new CommandContext("bob", "corr-1", "cause-1", "tidy up") }, session,
            _ => [new ModelUpdated("third", null), new ModelLocked("freeze")]);

        Assert.All(stream.Events, e => Assert.Equal(7, e.Id.Version));
        Assert.NotEqual(stream.Events[0].Id, stream.Events[1].Id);
        Assert.Equal(("bob", "corr-1", "cause-1", "tidy up"),
            (session.LastModifiedBy, session.CorrelationId, session.CausationId, session.GetHeader(RegistryStore.ReasonHeader)));
    }

    private static UpdateModel Update() => new("Acme/Llama", "ignored", null);

    /// <summary>A stream as <c>FetchForWriting</c> hands it over: the model and the version it was fetched at, and what was appended since.</summary>
    private sealed class FetchedStream(ModelState? aggregate, long version) : IEventStream<ModelState>
    {
        private readonly List<IEvent> _events = [];

        public ModelState? Aggregate => aggregate;

        public long? StartingVersion => version;

        public long? CurrentVersion => version + _events.Count;

        public CancellationToken Cancellation => CancellationToken.None;

        public Guid Id => Guid.Empty;

        public string? Key => aggregate?.Id;

        public IReadOnlyList<IEvent> Events => _events;

        public bool AlwaysEnforceConsistency { get; set; }

        public void AppendOne(object @event) => _events.Add(@event as IEvent ?? Event.For(@event));

        public void AppendMany(params object[] events) => AppendMany(events.AsEnumerable());

        public void AppendMany(IEnumerable<object> events)
        {
            foreach (var e in events)
            {
                AppendOne(e);
            }
        }

        public void TryFastForwardVersion()
        {
        }
    }
}
