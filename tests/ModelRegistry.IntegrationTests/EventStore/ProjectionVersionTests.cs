using Marten;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Admin;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.IntegrationTests.EventStore.OnMarten;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// The catalog's state records the projection version that built its tables: code with another version rebuilds them when it
/// starts (<see cref="ProjectionVersionCheck"/>), code with the same version leaves them as they are.
/// </summary>
public sealed class ProjectionVersionTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-version-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_catalog_built_by_another_projection_version_is_rebuilt_when_the_code_starts()
    {
        var name = NewName("bumped");
        await using (var previous = await RegistryApp.StartAsync(db.ConnectionString, _root))
        {
            await previous.RegisterLocalVersion(name);
            await previous.Promote(name, 1);
            await RecordBuiltWithAsync(previous, CatalogProjection.Version - 1);
        }

        await DamageAsync(name);

        await using var current = await RegistryApp.StartAsync(db.ConnectionString, _root);
        var projections = current.Services.GetRequiredService<ProjectionAdmin>();
        await Eventually.HoldsAsync(async () => (await projections.GetStatusAsync()).Single(s => s.Name == "catalog") is
            { State: "running", StoredVersion: CatalogProjection.Version });
        // The swapped-in tables went live with statistics (ANALYZE by the rebuild, not autovacuum's).
        await Eventually.HoldsAsync(async () => await db.ScalarAsync<bool>(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = $1", CatalogProjection.Models));
        var model = await current.Scenario(s => { s.Get.Url($"{Models}/{name}"); s.StatusCodeShouldBe(200); });
        Assert.Equal((null, 1, 1), (model.Json.Str("description"), model.Json.Int("latest_version"), model.Json.Int("production_version")));
    }

    [Fact]
    public async Task Code_of_the_projection_version_that_built_the_catalog_starts_without_rebuilding_it()
    {
        var name = NewName("same");
        await using (var previous = await RegistryApp.StartAsync(db.ConnectionString, _root))
        {
            await previous.RegisterLocalVersion(name);
            await RecordBuiltWithAsync(previous, CatalogProjection.Version);
        }

        await DamageAsync(name);

        await using var current = await RegistryApp.StartAsync(db.ConnectionString, _root);
        await using var session = current.Store.QuerySession();
        var state = await session.LoadAsync<CatalogProjectionState>(CatalogProjectionState.Key);
        Assert.Equal((ProjectionStates.Running, null, CatalogProjection.Version), (state!.State, state.RebuildId, state.Version));
        var model = await current.Scenario(s => { s.Get.Url($"{Models}/{name}"); s.StatusCodeShouldBe(200); });
        Assert.Equal("damaged", model.Json.Str("description"));
    }

    private static async Task RecordBuiltWithAsync(RegistryApp app, int version)
    {
        await using var session = app.Store.LightweightSession();
        var state = await session.LoadAsync<CatalogProjectionState>(CatalogProjectionState.Key) ?? new CatalogProjectionState();
        state.Version = version;
        session.Store(state);
        await session.SaveChangesAsync();
    }

    /// <summary>Changes the model's row behind the projection's back: only a rebuild puts it right.</summary>
    private Task DamageAsync(string name) =>
        db.RowsAsync($"UPDATE {CatalogProjection.Models} SET description = 'damaged', latest_version = 0, production_version = NULL WHERE key = $1", CatalogStream.StreamId(name));
}
