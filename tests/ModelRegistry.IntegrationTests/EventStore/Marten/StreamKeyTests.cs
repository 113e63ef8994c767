using Marten;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>String stream keys compare exactly; the app lower-cases a model's name into its key itself.</summary>
public sealed class StreamKeyTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private DocumentStore _store = null!;

    public async Task InitializeAsync() => _store = await ConformanceStore.CreateAsync(db);

    public Task DisposeAsync()
    {
        _store.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Keys_that_differ_only_by_case_are_different_streams()
    {
        var lower = CatalogEvents.NewKey("case");
        var upper = lower.ToUpperInvariant();
        await using (var session = _store.LightweightSession())
        {
            session.Events.StartStream(lower, CatalogEvents.Registered(lower));
            session.Events.StartStream(upper, CatalogEvents.Registered(upper), CatalogEvents.Version(1));
            await session.SaveChangesAsync();
        }

        var reader = _store.QuerySession();
        Assert.Equal((1, 2), ((await reader.Events.FetchStreamAsync(lower)).Count, (await reader.Events.FetchStreamAsync(upper)).Count));
    }
}
