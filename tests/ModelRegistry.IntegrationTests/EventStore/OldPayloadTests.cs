using System.Collections.Immutable;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Admin;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.IntegrationTests.EventStore.OnMarten;
using ModelRegistry.IntegrationTests.Infrastructure;
using static Marten.Services.Json.Transformations.SystemTextJson.JsonTransformations;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// A payload stored under an older schema is read in the current one, through Marten's upcaster, wherever the app reads events:
/// the history shows it as the current schema, a command decides on it, and a rebuild of the catalog applies it. Here the app's
/// <c>ModelUpdated</c> is taken to be at schema 2, whose schema 1 called the tags <c>labels</c>.
/// </summary>
public sealed class OldPayloadTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-upcast-").FullName;
    private readonly string _name = NewName("upcast");
    private RegistryApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RegistryApp.StartAsync(db.ConnectionString, _root, services: s => s.ConfigureMarten(o =>
        {
            o.Events.MapEventTypeWithSchemaVersion<ModelUpdated>("ModelUpdated", 2);
            o.Events.Upcast<ModelUpdated>("ModelUpdated", Upcast(json => new ModelUpdated(
                json.RootElement.GetProperty("description").GetString(),
                json.RootElement.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!))));
        }));
        await _app.RegisterModel(_name);
        await RawAppend.ExecuteAsync(db.ConnectionString, CatalogStream.StreamId(_name), "ModelUpdated", 1,
            """{"description": "written by schema 1", "labels": {"team": "nlp"}}""");
        await _app.InvokeAsync(new UpdateModel(_name, "written by schema 2", null));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task The_current_schema_is_stored_under_the_name_with_its_version_and_the_old_one_under_the_plain_name()
    {
        var types = await db.RowsAsync("SELECT type FROM registry.mt_events WHERE stream_id = $1 ORDER BY version", CatalogStream.StreamId(_name));

        Assert.Equal(["ModelRegistered", "ModelUpdated", "ModelUpdated_v2"], types.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task The_history_shows_an_old_payload_in_the_current_schema()
    {
        var history = await _app.Scenario(s => { s.Get.Url($"{Models}/{_name}/history"); s.StatusCodeShouldBe(200); });

        var updates = history.Json.GetProperty("items").EnumerateArray().Skip(1).ToList();
        Assert.Equal([("ModelUpdated", 2), ("ModelUpdated", 2)], updates.Select(u => (u.Str("type"), u.Int("schema_version"))));
        var old = updates[0].GetProperty("data");
        Assert.Equal(("written by schema 1", "nlp"), (old.Str("description"), old.GetProperty("tags").Str("team")));
    }

    [Fact]
    public async Task A_command_decides_on_an_old_payload_read_in_the_current_schema()
    {
        var done = await _app.InvokeAsync(new UpdateModel(_name, null, ImmutableDictionary<string, string>.Empty.Add("team", "nlp")));

        Assert.Empty(done.Events);
        Assert.Equal("nlp", done.State.Tags["team"]);
    }

    [Fact]
    public async Task A_rebuild_of_the_catalog_applies_an_old_payload_read_in_the_current_schema()
    {
        await _app.Scenario(s => { s.Post.Url("/api/v1/admin/projections/catalog/rebuild"); s.StatusCodeShouldBe(202); });
        await _app.Services.GetRequiredService<ProjectionAdmin>().WaitForNonStaleAsync(TimeSpan.FromSeconds(60));
        await Eventually.HoldsAsync(async () => (await _app.Services.GetRequiredService<ProjectionAdmin>().GetStatusAsync())
            .Single(s => s.Name == "catalog").State == "running");

        var model = await _app.Scenario(s => { s.Get.Url($"{Models}/{_name}"); s.StatusCodeShouldBe(200); });
        Assert.Equal(("written by schema 2", "nlp", 3L),
            (model.Json.Str("description"), model.Json.GetProperty("tags").Str("team"), model.Json.GetProperty("stream_version").GetInt64()));
    }
}
