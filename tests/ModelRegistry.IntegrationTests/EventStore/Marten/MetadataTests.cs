using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>A command's metadata, set once on the session, on every event it appends (SPEC §3).</summary>
public sealed class MetadataTests(TestDatabase db) : ConformanceTests(db)
{
    protected override void Configure(StoreOptions options) =>
        options.Projections.Add(new WriteModelProjection(), ProjectionLifecycle.Live);

    [Fact]
    public void Enabling_all_metadata_leaves_the_user_name_off()
    {
        var options = new StoreOptions();

        options.Events.MetadataConfig.EnableAll();

        Assert.Equal((true, true, true, false), (options.Events.MetadataConfig.CorrelationIdEnabled, options.Events.MetadataConfig.CausationIdEnabled,
            options.Events.MetadataConfig.HeadersEnabled, options.Events.MetadataConfig.UserNameEnabled));
    }

    [Fact]
    public async Task Correlation_causation_user_and_reason_set_on_the_session_are_stored_on_every_event_of_the_save()
    {
        var key = CatalogEvents.NewKey("meta");
        await using (var session = Store.LightweightSession())
        {
            session.Events.StartStream(key, CatalogEvents.Registered(key));
            await session.SaveChangesAsync();
        }

        await using (var session = Store.LightweightSession())
        {
            session.CorrelationId = "corr-1";
            session.CausationId = "idem-1";
            session.LastModifiedBy = "alice";
            session.SetHeader(RegistryStore.ReasonHeader, "release");
            var stream = await session.Events.FetchForWriting<WriteModel>(key);
            stream.AppendMany(CatalogEvents.Version(1), CatalogEvents.Promoted(1));
            await session.SaveChangesAsync();
        }

        var rows = await Db.RowsAsync(
            "SELECT correlation_id, causation_id, user_name, headers->>'reason' FROM registry.mt_events WHERE stream_id = $1 AND version > 1 ORDER BY version", key);
        Assert.Equal(
            [["corr-1", "idem-1", "alice", "release"], ["corr-1", "idem-1", "alice", "release"]],
            rows.Select(r => r.Select(c => (string?)c).ToArray()));
    }
}
