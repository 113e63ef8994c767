using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>What <c>QuickWithServerTimestamps</c> stores in <c>mt_events.timestamp</c>.</summary>
public sealed class TimestampTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);

    private readonly SteppingClock _clock = new(Start);
    private readonly Recorder _seen = new();
    private DocumentStore _store = null!;

    public async Task InitializeAsync() => _store = await ConformanceStore.CreateAsync(db, o =>
    {
        o.Events.TimeProvider = _clock;
        o.Projections.Add(_seen, ProjectionLifecycle.Inline, "timestamp_recorder");
    });

    public Task DisposeAsync()
    {
        _store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_stored_timestamp_comes_from_the_configured_time_provider_not_the_database()
    {
        var key = await StartAsync(CatalogEvents.NewKey("ts"));

        var stored = await StoredAsync(key);

        Assert.All(stored, t => Assert.InRange(t, Start, Start.AddHours(1)));
    }

    [Fact]
    public async Task All_events_of_one_stream_in_one_save_share_one_timestamp()
    {
        var key = await StartAsync(CatalogEvents.NewKey("ts"), 3);

        Assert.Single((await StoredAsync(key)).Distinct());
    }

    [Fact]
    public async Task Two_streams_in_one_save_get_a_timestamp_each()
    {
        var (a, b) = (CatalogEvents.NewKey("ts"), CatalogEvents.NewKey("ts"));
        await using (var session = _store.LightweightSession())
        {
            session.Events.StartStream(a, CatalogEvents.Registered(a));
            session.Events.StartStream(b, CatalogEvents.Registered(b));
            await session.SaveChangesAsync();
        }

        Assert.NotEqual(Assert.Single(await StoredAsync(a)), Assert.Single(await StoredAsync(b)));
    }

    [Fact]
    public async Task An_inline_projection_sees_the_timestamp_that_is_stored()
    {
        var key = await StartAsync(CatalogEvents.NewKey("ts"), 2);

        Assert.Equal(await StoredAsync(key), _seen.Events.Where(e => e.StreamKey == key).Select(e => e.Timestamp));
    }

    private async Task<string> StartAsync(string key, int events = 1)
    {
        await using var session = _store.LightweightSession();
        session.Events.StartStream(key, [CatalogEvents.Registered(key), .. Enumerable.Range(1, events - 1).Select(v => (object)CatalogEvents.Version(v))]);
        await session.SaveChangesAsync();
        return key;
    }

    private async Task<List<DateTimeOffset>> StoredAsync(string key) =>
        (await db.RowsAsync("SELECT timestamp FROM registry.mt_events WHERE stream_id = $1 ORDER BY version", key))
            .Select(r => new DateTimeOffset((DateTime)r[0]!, TimeSpan.Zero)).ToList();

    /// <summary>A clock that moves on one second each time it is read, so each read is visible.</summary>
    private sealed class SteppingClock(DateTimeOffset start) : TimeProvider
    {
        private long _reads;

        public override DateTimeOffset GetUtcNow() => start.AddSeconds(Interlocked.Increment(ref _reads));
    }
}
