using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using ModelRegistry.IntegrationTests.Infrastructure;
using static Marten.Services.Json.Transformations.SystemTextJson.JsonTransformations;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>
/// An event stored under an older schema is read as the current type: schema 1 keeps the plain name, schema n is stored
/// as <c>{name}_v{n}</c>, and an upcaster keyed by the old name turns old payloads into the new type.
/// </summary>
public sealed class UpcastingTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _key = CatalogEvents.NewKey("upcast");
    private DocumentStore _current = null!;

    public async Task InitializeAsync()
    {
        using (var old = await ConformanceStore.CreateAsync(db, o => o.Events.MapEventType<IncrementedV1>("Incremented")))
        {
            await using var session = old.LightweightSession();
            session.Events.StartStream(_key, new IncrementedV1(3));
            await session.SaveChangesAsync();
        }

        _current = await ConformanceStore.CreateAsync(db, o =>
        {
            o.Events.MapEventTypeWithSchemaVersion<IncrementedV2>("Incremented", 2);
            o.Events.Upcast<IncrementedV2>("Incremented", Upcast(json => new IncrementedV2(json.RootElement.GetProperty("amount").GetInt32() * 10, "legacy")));
            o.Projections.Add(new CounterProjection(), ProjectionLifecycle.Async);
        });
        await using (var session = _current.LightweightSession())
        {
            session.Events.Append(_key, new IncrementedV2(4, "x"));
            await session.SaveChangesAsync();
        }
    }

    public Task DisposeAsync()
    {
        _current.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_current_schema_is_stored_under_the_name_with_its_version_suffix()
    {
        var names = await db.RowsAsync("SELECT type FROM registry.mt_events WHERE stream_id = $1 ORDER BY version", _key);

        Assert.Equal(["Incremented", "Incremented_v2"], names.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task An_old_payload_is_read_upcast_to_the_current_type()
    {
        var events = await _current.QuerySession().Events.FetchStreamAsync(_key);

        Assert.Equal([new IncrementedV2(30, "legacy"), new IncrementedV2(4, "x")], events.Select(e => e.Data));
    }

    [Fact]
    public async Task A_rebuilt_async_projection_sees_old_payloads_upcast()
    {
        using var daemon = await _current.BuildProjectionDaemonAsync();

        await daemon.RebuildProjectionAsync<Counter>(TimeSpan.FromMinutes(1), CancellationToken.None);

        var counter = await _current.QuerySession().LoadAsync<Counter>(_key);
        Assert.Equal(new Counter(_key, 2, 34), counter);
    }

    private sealed record IncrementedV1(int Amount);

    private sealed record IncrementedV2(int Amount, string Unit);

    private sealed record Counter(string Id, int Events, int Total);

    private sealed class CounterProjection : SingleStreamProjection<Counter, string>
    {
        public override Counter? Evolve(Counter? snapshot, string id, IEvent e) => e.Data is IncrementedV2 inc
            ? new Counter(id, (snapshot?.Events ?? 0) + 1, (snapshot?.Total ?? 0) + inc.Amount)
            : snapshot;
    }
}
