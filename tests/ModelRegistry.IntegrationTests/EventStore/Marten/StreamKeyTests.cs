using Marten;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>String stream keys compare exactly; the app lower-cases a model's name into its key itself.</summary>
public sealed class StreamKeyTests(TestDatabase db) : ConformanceTests(db)
{
    [Fact]
    public async Task Keys_that_differ_only_by_case_are_different_streams()
    {
        var lower = CatalogEvents.NewKey("case");
        var upper = lower.ToUpperInvariant();
        await using (var session = Store.LightweightSession())
        {
            session.Events.StartStream(lower, CatalogEvents.Registered(lower));
            session.Events.StartStream(upper, CatalogEvents.Registered(upper), CatalogEvents.Version(1));
            await session.SaveChangesAsync();
        }

        var reader = Store.QuerySession();
        Assert.Equal((1, 2), ((await reader.Events.FetchStreamAsync(lower)).Count, (await reader.Events.FetchStreamAsync(upper)).Count));
    }
}
