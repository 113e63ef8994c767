using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Commands;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore;

public sealed class StreamCommandsTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private static readonly StreamDefinition<int> Counter = new("counter", 0, (n, e) => n + ((Incremented)e).Amount);

    private EventStoreHost _host = null!;

    public async Task InitializeAsync() => _host = await EventStoreHost.StartAsync(db.ConnectionString, TestEvents.Register);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Concurrent_commands_without_an_expected_version_all_land_by_retrying_on_the_new_state()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
            _host.Store.HandleAsync(Counter, "decider-race", (n, _) => [new Incremented(n + 1)], null, EventMetadata.None))));

        var events = await _host.Store.ReadStreamAsync("decider-race");
        Assert.Equal(Enumerable.Range(1, 6).Select(v => (long)v), events.Select(e => e.StreamVersion));
        Assert.Equal([1, 2, 4, 8, 16, 32], events.Select(e => ((Incremented)e.Data).Amount));
        Assert.Equal(63, results.Max(r => r.State));
    }

    [Fact]
    public async Task A_command_with_a_stale_expected_version_writes_nothing()
    {
        await _host.Store.HandleAsync(Counter, "decider-stale", (_, _) => [new Incremented(1)], null, EventMetadata.None);
        await _host.Store.HandleAsync(Counter, "decider-stale", (_, _) => [new Incremented(1)], null, EventMetadata.None);

        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            _host.Store.HandleAsync(Counter, "decider-stale", (_, _) => [new Incremented(1)], expectedVersion: 1, EventMetadata.None));
        Assert.Equal(2, await _host.Store.GetStreamVersionAsync("decider-stale"));
    }
}
