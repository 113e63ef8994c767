using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// An event type this node does not know at all (another module's, written by a newer node) on a stream that is not a model's:
/// the async <c>model-state</c> projection does not read it, so it neither faults on it nor makes a document of that stream.
/// </summary>
public sealed class ModelStateForeignEventTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-model-state-foreign-").FullName;

    [Fact]
    public async Task An_unknown_event_type_on_another_stream_neither_faults_the_model_state_projection_nor_makes_a_document()
    {
        await using var app = await RegistryApp.StartAsync(db.ConnectionString, _root);
        var stream = $"endpoint:{Guid.NewGuid():N}";
        var position = await RawAppend.ExecuteAsync(db.ConnectionString, stream, "EndpointRegistered", 1, """{"url": "http://x.example"}""");

        long progress = 0;
        await Eventually.HoldsAsync(async () =>
        {
            progress = await app.Store.Advanced.ProjectionProgressFor(new ShardName(ModelStateProjection.ProjectionName));
            return progress >= position;
        }, () => $"model-state is at {progress}, not yet at {position}; errors: {string.Join(" | ", app.Errors)}", TimeSpan.FromSeconds(20));

        await using var session = app.Store.QuerySession();
        Assert.Null(await session.LoadAsync<ModelState>(stream));
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
