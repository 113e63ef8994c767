using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>The bounds of per-stream reads and time travel: a stream of four events saved a minute apart.</summary>
public sealed class StreamReadingTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2001, 2, 3, 10, 0, 0, TimeSpan.Zero);

    private readonly SetClock _clock = new();
    private readonly string _key = CatalogEvents.NewKey("read");
    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await ConformanceStore.CreateAsync(db, o =>
        {
            o.Events.TimeProvider = _clock;
            o.Projections.Add(new WriteModelProjection(), ProjectionLifecycle.Live);
        });
        object[] events = [CatalogEvents.Registered(_key), CatalogEvents.Version(1), CatalogEvents.Version(2), CatalogEvents.Promoted(2)];
        for (var i = 0; i < events.Length; i++)
        {
            _clock.Now = T0.AddMinutes(i);
            await using var session = _store.LightweightSession();
            session.Events.Append(_key, events[i]);
            await session.SaveChangesAsync();
        }
    }

    public Task DisposeAsync()
    {
        _store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Fetching_up_to_a_version_includes_that_version()
    {
        var events = await _store.QuerySession().Events.FetchStreamAsync(_key, version: 2);

        Assert.Equal([1L, 2L], events.Select(e => e.Version));
    }

    [Fact]
    public async Task Fetching_from_a_version_includes_that_version()
    {
        var events = await _store.QuerySession().Events.FetchStreamAsync(_key, fromVersion: 3);

        Assert.Equal([3L, 4L], events.Select(e => e.Version));
    }

    [Fact]
    public async Task Fetching_as_of_a_timestamp_includes_an_event_stored_at_exactly_that_instant()
    {
        var events = await _store.QuerySession().Events.FetchStreamAsync(_key, timestamp: T0.AddMinutes(2));

        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Version));
    }

    [Fact]
    public async Task Reading_a_stream_backward_from_a_version_gives_that_version_and_the_earlier_ones_newest_first()
    {
        var events = await _store.QuerySession().Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == _key && e.Version <= 3).OrderByDescending(e => e.Version).Take(2).ToListAsync();

        Assert.Equal([3L, 2L], events.Select(e => e.Version));
    }

    [Fact]
    public async Task Aggregating_up_to_a_version_folds_only_the_events_up_to_it()
    {
        var model = await _store.QuerySession().Events.AggregateStreamAsync<WriteModel>(_key, version: 2);

        Assert.Equal((1, (int?)null), (model!.State.LatestVersion, model.State.ProductionVersion));
    }

    [Fact]
    public async Task Aggregating_as_of_a_timestamp_folds_only_the_events_stored_until_then()
    {
        var model = await _store.QuerySession().Events.AggregateStreamAsync<WriteModel>(_key, timestamp: T0.AddMinutes(2).AddSeconds(30));

        Assert.Equal((2, (int?)null), (model!.State.LatestVersion, model.State.ProductionVersion));
    }

    [Fact]
    public async Task Aggregating_as_of_a_time_before_the_stream_gives_nothing()
    {
        var model = await _store.QuerySession().Events.AggregateStreamAsync<WriteModel>(_key, timestamp: T0.AddMinutes(-1));

        Assert.Null(model);
    }

    private sealed class SetClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
