using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using Marten.Exceptions;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

public sealed class WriteAggregateTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public void An_aggregate_without_an_id_member_is_refused_when_the_store_is_built()
    {
        var refused = Assert.Throws<InvalidDocumentException>(() => DocumentStore.For(o =>
        {
            RegistryStore.Configure(o, db.ConnectionString, CatalogStream.Map);
            o.Projections.Add(new NamelessProjection(), ProjectionLifecycle.Live);
        }));

        Assert.Contains("'id/Id'", refused.Message);
    }

    [Fact]
    public async Task A_live_aggregate_with_an_id_is_folded_from_the_stream_for_writing()
    {
        using var store = await ConformanceStore.CreateAsync(db, o => o.Projections.Add(new WriteModelProjection(), ProjectionLifecycle.Live));
        var key = CatalogEvents.NewKey("agg");
        await using (var session = store.LightweightSession())
        {
            session.Events.StartStream(key, CatalogEvents.Registered(key), CatalogEvents.Version(1));
            await session.SaveChangesAsync();
        }

        await using var writer = store.LightweightSession();
        var stream = await writer.Events.FetchForWriting<WriteModel>(key);

        Assert.Equal((key, key, 2L, 1), (stream.Aggregate!.Id, stream.Aggregate.State.Name, stream.StartingVersion!.Value, stream.Aggregate.State.LatestVersion));
    }

    [Fact]
    public async Task Fetching_a_missing_stream_for_writing_gives_no_aggregate_at_version_0()
    {
        using var store = await ConformanceStore.CreateAsync(db, o => o.Projections.Add(new WriteModelProjection(), ProjectionLifecycle.Live));
        await using var writer = store.LightweightSession();

        var stream = await writer.Events.FetchForWriting<WriteModel>(CatalogEvents.NewKey("missing"));

        Assert.Equal((null, 0L), (stream.Aggregate, stream.StartingVersion));
    }

    private sealed record Nameless(int Events);

    private sealed class NamelessProjection : SingleStreamProjection<Nameless, string>
    {
        public override Nameless? Evolve(Nameless? snapshot, string id, IEvent e) => new((snapshot?.Events ?? 0) + 1);
    }
}
