using System.Collections.Immutable;
using JasperFx.Events.Fetching;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// <c>Registry:EventStore:CachedModelStates</c>: how many models' states the instance keeps between their commands in Marten's
/// write cache (on by default), or none at all.
/// </summary>
public sealed class ModelStateCacheTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-state-cache-").FullName;

    [Fact]
    public async Task A_models_next_command_starts_from_the_state_its_last_command_left_in_the_cache()
    {
        await using var app = await RegistryApp.StartAsync(db.ConnectionString, _root);
        var cache = Assert.IsType<RecentlyUsedAggregateWriteCache>(CacheOf(app));
        var name = NewName();
        await app.InvokeAsync(new RegisterModel(name, null, ImmutableDictionary<string, string>.Empty, "tester"));
        await app.InvokeAsync(new UpdateModel(name, "described", null));
        var (hits, misses) = (cache.Hits, cache.Misses);

        await app.InvokeAsync(new UpdateModel(name, "described again", null));

        Assert.Equal((hits + 1, misses), (cache.Hits, cache.Misses));
    }

    [Fact]
    public async Task Zero_cached_states_turns_the_cache_off_and_commands_still_decide_on_the_stream()
    {
        await using var app = await RegistryApp.StartAsync(db.ConnectionString, _root,
            new Dictionary<string, string?> { ["Registry:EventStore:CachedModelStates"] = "0" });
        var name = NewName();
        await app.InvokeAsync(new RegisterModel(name, null, ImmutableDictionary<string, string>.Empty, "tester"));

        var done = await app.InvokeAsync(new UpdateModel(name, "described", null));

        Assert.IsType<NulloAggregateWriteCache>(CacheOf(app));
        Assert.Equal("described", done.State.Description);
        Assert.Equal(2, done.Version);
    }

    private static IAggregateWriteCache CacheOf(RegistryApp app) =>
        ((DocumentStore)app.Store).Options.Events.AggregateWriteCaching.ResolveCache(typeof(ModelState));

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
