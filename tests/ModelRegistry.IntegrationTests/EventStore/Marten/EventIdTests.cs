using JasperFx.Events;
using Marten;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>Event ids are UUID v7 only when the app sets them.</summary>
public sealed class EventIdTests(TestDatabase db) : ConformanceTests(db)
{
    [Fact]
    public async Task An_event_wrapped_with_a_version_7_id_is_stored_under_that_id()
    {
        var key = CatalogEvents.NewKey("id");
        var wrapped = Event.For(CatalogEvents.Registered(key));
        wrapped.Id = Guid.CreateVersion7();
        await using (var session = Store.LightweightSession())
        {
            session.Events.StartStream(key, wrapped);
            await session.SaveChangesAsync();
        }

        var stored = await Db.ScalarAsync<Guid>("SELECT id FROM registry.mt_events WHERE stream_id = $1", key);
        Assert.Equal((wrapped.Id, 7), (stored, stored.Version));
    }

    [Fact]
    public async Task A_bare_event_gets_a_version_4_comb_id_from_marten()
    {
        var key = CatalogEvents.NewKey("id");
        await using (var session = Store.LightweightSession())
        {
            session.Events.StartStream(key, CatalogEvents.Registered(key));
            await session.SaveChangesAsync();
        }

        var stored = await Db.ScalarAsync<Guid>("SELECT id FROM registry.mt_events WHERE stream_id = $1", key);
        Assert.Equal(4, stored.Version);
    }
}
