using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// The async <c>model-state</c> snapshot Marten's daemon keeps: it folds every event of a model's stream, and only those, so a
/// node without the model in its write cache (here the cache is off) decides on the same state as the stream does.
/// </summary>
public sealed class ModelStateProjectionTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-model-state-").FullName;
    private RegistryApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RegistryApp.StartAsync(db.ConnectionString, _root,
            new Dictionary<string, string?> { ["Registry:EventStore:CachedModelStates"] = "0" });

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task After_the_daemon_has_applied_an_unlock_an_uncached_mutation_of_the_model_succeeds()
    {
        var name = NewName();
        await _app.RegisterModel(name);
        await _app.Lock(name);
        await _app.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "freeze over" }).ToUrl($"{Models}/{name}/unlock");
            s.StatusCodeShouldBe(200);
        });
        var unlocked = (await _app.StreamAsync(name))[^1];
        Assert.IsType<ModelUnlocked>(unlocked.Data);

        await DaemonPassedAsync(unlocked.Sequence);

        await using (var session = _app.Store.QuerySession())
        {
            var snapshot = await session.LoadAsync<ModelState>(CatalogStream.StreamId(name));
            Assert.NotNull(snapshot);
            Assert.False(snapshot.Locked);
            Assert.Null(snapshot.LockReason);
        }

        await _app.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "changed after the unlock" }).ToUrl($"{Models}/{name}");
            s.StatusCodeShouldBe(200);
        });
        Assert.Equal("changed after the unlock", (await _app.FoldAsync(name)).Description);
    }

    [Fact]
    public async Task An_event_of_another_modules_stream_makes_no_model_state()
    {
        var stream = $"endpoint:{Guid.NewGuid():N}";
        long position;
        await using (var session = _app.Store.LightweightSession())
        {
            session.Events.Append(stream, new EndpointProbed("http://x.example/health"));
            await session.SaveChangesAsync();
            position = (await session.Events.FetchStreamAsync(stream))[^1].Sequence;
        }

        await DaemonPassedAsync(position);

        await using var query = _app.Store.QuerySession();
        Assert.Null(await query.LoadAsync<ModelState>(stream));
    }

    private async Task DaemonPassedAsync(long position)
    {
        long progress = 0;
        await Eventually.HoldsAsync(async () =>
        {
            progress = await _app.Store.Advanced.ProjectionProgressFor(new ShardName(ModelStateProjection.ProjectionName));
            return progress >= position;
        }, () => $"model-state is at {progress}, not yet at {position}");
    }

    /// <summary>An event of some other module's stream, unknown to the catalog.</summary>
    private sealed record EndpointProbed(string Url);
}
