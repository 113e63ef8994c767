using Marten;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>A conformance test class: the app's store on the class's own database, with what the class adds to it.</summary>
public abstract class ConformanceTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    protected TestDatabase Db { get; } = db;

    protected DocumentStore Store { get; private set; } = null!;

    /// <summary>What this class adds to the app's configuration (test-only projections, a clock).</summary>
    protected virtual void Configure(StoreOptions options)
    {
    }

    public async Task InitializeAsync() => Store = await ConformanceStore.CreateAsync(Db, Configure);

    public Task DisposeAsync()
    {
        Store.Dispose();
        return Task.CompletedTask;
    }
}
