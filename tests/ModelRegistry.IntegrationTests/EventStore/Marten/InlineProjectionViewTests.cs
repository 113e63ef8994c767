using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>What an inline projection is shown of <c>IEvent.Version</c> and <c>IEvent.Sequence</c> in Quick mode, per way of appending.</summary>
public sealed class InlineProjectionViewTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly Recorder _seen = new();
    private DocumentStore _store = null!;

    public async Task InitializeAsync() => _store = await ConformanceStore.CreateAsync(db, o =>
    {
        o.Projections.Add(new WriteModelProjection(), ProjectionLifecycle.Live);
        o.Projections.Add(_seen, ProjectionLifecycle.Inline, "view_recorder");
    });

    public Task DisposeAsync()
    {
        _store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_plain_append_to_an_existing_stream_shows_version_0_and_sequence_0()
    {
        var key = await StartAsync();
        await using (var session = _store.LightweightSession())
        {
            session.Events.Append(key, CatalogEvents.Version(1), CatalogEvents.Version(2));
            await session.SaveChangesAsync();
        }

        Assert.Equal([(0L, 0L), (0L, 0L)], SeenAfterStart(key));
    }

    [Fact]
    public async Task Starting_a_stream_shows_versions_1_to_n_and_sequence_0()
    {
        var key = await StartAsync(events: 3);

        Assert.Equal([(1L, 0L), (2L, 0L), (3L, 0L)], Seen(key));
    }

    [Fact]
    public async Task Fetch_for_writing_shows_the_fetched_version_plus_i_and_sequence_0()
    {
        var key = await StartAsync(events: 2);
        await using (var session = _store.LightweightSession())
        {
            var stream = await session.Events.FetchForWriting<WriteModel>(key);
            stream.AppendOne(CatalogEvents.Version(2));
            stream.AppendOne(CatalogEvents.Promoted(2));
            await session.SaveChangesAsync();
        }

        Assert.Equal([(3L, 0L), (4L, 0L)], SeenAfterStart(key, started: 2));
    }

    [Fact]
    public async Task After_the_save_the_appended_events_carry_their_stored_version_and_sequence()
    {
        var key = await StartAsync();
        IReadOnlyList<IEvent> appended;
        await using (var session = _store.LightweightSession())
        {
            appended = session.Events.Append(key, CatalogEvents.Version(1), CatalogEvents.Version(2)).Events;
            await session.SaveChangesAsync();
        }

        var stored = (await _store.QuerySession().Events.FetchStreamAsync(key)).Skip(1);
        Assert.Equal(stored.Select(e => (e.Version, e.Sequence)), appended.Select(e => (e.Version, e.Sequence)));
    }

    private async Task<string> StartAsync(int events = 1)
    {
        var key = CatalogEvents.NewKey("view");
        await using var session = _store.LightweightSession();
        session.Events.StartStream(key, [CatalogEvents.Registered(key), .. Enumerable.Range(1, events - 1).Select(v => (object)CatalogEvents.Version(v))]);
        await session.SaveChangesAsync();
        return key;
    }

    private List<(long Version, long Sequence)> Seen(string key) =>
        _seen.Events.Where(e => e.StreamKey == key).Select(e => (e.Version, e.Sequence)).ToList();

    private List<(long Version, long Sequence)> SeenAfterStart(string key, int started = 1) => Seen(key).Skip(started).ToList();
}
