using System.Globalization;
using System.Text.Json;
using Alba;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Compatibility;

/// <summary>Seed 002's registry API, verbatim: the clients of the JSON-file registry keep working.</summary>
public sealed class RegistryV1EndpointsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private const string Registry = "/api/v1/registry/models";

    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Registering_answers_201_with_the_entry_in_the_seed_shape()
    {
        var name = NewName("yolov8n-coco");
        var path = App.WriteFile($"models/{name}/v3/model.onnx", "onnx");

        var response = await App.Scenario(s =>
        {
            s.Post.RawJson($$"""
                {
                  "model_name": "{{name}}",
                  "version": 3,
                  "path": "{{path}}",
                  "metadata": {"description": "Fine-tuned on custom dataset.", "metrics": {"accuracy": 0.82, "latency_ms": 32} }
                }
                """).ToUrl(Registry);
            s.StatusCodeShouldBe(201);
        });

        var entry = response.Json;
        Assert.Equal(["model_name", "version", "path", "status", "creation_timestamp", "metadata"], entry.EnumerateObject().Select(p => p.Name));
        Assert.Equal(name, entry.Str("model_name"));
        Assert.Equal(3, entry.Int("version"));
        Assert.Equal(path, entry.Str("path"));
        Assert.Equal("staging", entry.Str("status"));
        Assert.True(DateTimeOffset.TryParseExact(entry.Str("creation_timestamp"), "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out _));
        Assert.Equal("Fine-tuned on custom dataset.", entry.GetProperty("metadata").Str("description"));
        Assert.Equal(0.82, entry.GetProperty("metadata").GetProperty("metrics").GetProperty("accuracy").GetDouble());
        Assert.Equal(["ModelRegistered", "VersionRegistered"], (await App.StreamAsync(name)).Types());
    }

    [Fact]
    public async Task Listing_returns_every_entry_under_models_and_filters_by_model_name()
    {
        var first = NewName("alpha");
        var second = NewName("beta");
        await Register(first, 1);
        await Register(first, 2);
        await Register(second, 1);

        var all = await App.Scenario(s => { s.Get.Url(Registry); s.Anonymous(); s.StatusCodeShouldBe(200); });
        var filtered = await App.Scenario(s => { s.Get.Url($"{Registry}?model_name={first}"); s.Anonymous(); s.StatusCodeShouldBe(200); });

        Assert.Equal(["models"], all.Json.EnumerateObject().Select(p => p.Name));
        var everything = Entries(all.Json);
        Assert.Contains((first, 1), everything);
        Assert.Contains((first, 2), everything);
        Assert.Contains((second, 1), everything);
        Assert.Equal([(first, 1), (first, 2)], Entries(filtered.Json));
    }

    [Fact]
    public async Task Listing_an_unknown_model_name_is_an_empty_list()
    {
        var response = await App.Scenario(s => { s.Get.Url($"{Registry}?model_name={NewName()}"); s.StatusCodeShouldBe(200); });

        Assert.Empty(response.Json.GetProperty("models").EnumerateArray());
    }

    [Fact]
    public async Task Activating_makes_a_version_production_and_the_previous_production_staging()
    {
        var name = NewName();
        await Register(name, 1);
        await Register(name, 2);
        await App.Scenario(s => { s.Put.Url($"{Registry}/{name}/1/activate"); s.StatusCodeShouldBe(200); });

        var response = await App.Scenario(s => { s.Put.Url($"{Registry}/{name}/2/activate"); s.StatusCodeShouldBe(200); });

        Assert.Equal("production", response.Json.Str("status"));
        Assert.Equal(2, response.Json.Int("version"));
        var listing = await App.Scenario(s => { s.Get.Url($"{Registry}?model_name={name}"); s.StatusCodeShouldBe(200); });
        var listed = listing.Json.GetProperty("models").EnumerateArray()
            .ToDictionary(e => e.Int("version"), e => e.Str("status"));
        Assert.Equal("staging", listed[1]);
        Assert.Equal("production", listed[2]);
        Assert.Equal(["VersionDemoted", "VersionPromoted"], (await App.StreamAsync(name)).TakeLast(2).Types());
    }

    [Fact]
    public async Task Activating_an_unknown_model_or_version_is_a_404()
    {
        var name = NewName();
        await Register(name, 1);

        (await App.Scenario(s => { s.Put.Url($"{Registry}/{name}/7/activate"); s.StatusCodeShouldBe(404); })).Problem("version-not-found");
        (await App.Scenario(s => { s.Put.Url($"{Registry}/{NewName()}/1/activate"); s.StatusCodeShouldBe(404); })).Problem("model-not-found");
    }

    [Fact]
    public async Task Activating_a_namespaced_model_works_with_an_encoded_slash()
    {
        var name = $"{NewName("org")}/{NewName()}";
        await Register(name, 1);

        await App.Scenario(s =>
        {
            s.Put.Url($"{Registry}/{name.Replace("/", "%2F", StringComparison.Ordinal)}/1/activate");
            s.StatusCodeShouldBe(200);
        });
        await App.Scenario(s => { s.Put.Url($"{Registry}/{name}/1/activate"); s.StatusCodeShouldBe(200); });

        Assert.Equal(1, (await App.FoldAsync(name)).ProductionVersion);
    }

    [Fact]
    public async Task Entries_are_the_versions_the_v1_models_api_shows()
    {
        var name = NewName();
        await Register(name, 1);

        var version = await App.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/1"); s.StatusCodeShouldBe(200); });

        Assert.Equal("local", version.Json.GetProperty("source").Str("type"));
        Assert.Equal("ready", version.Json.Str("status"));
    }

    [Fact]
    public async Task A_version_without_a_ready_file_is_listed_with_the_state_of_its_file()
    {
        var name = NewName();
        await Register(name, 1);
        await App.RegisterUrlVersion(name);
        await App.RegisterUrlVersion(name);
        await App.InvokeAsync(new FailDownload(name, 3, Guid.CreateVersion7(), "404 Not Found") { Context = new CommandContext("downloader", null, null) });

        var listing = await App.Scenario(s => { s.Get.Url($"{Registry}?model_name={name}"); s.StatusCodeShouldBe(200); });
        var listed = listing.Json.GetProperty("models").EnumerateArray()
            .ToDictionary(e => e.Int("version"), e => (e.Str("status"), e.GetProperty("path").ValueKind));

        Assert.Equal(("staging", JsonValueKind.String), listed[1]);
        Assert.Equal(("pending", JsonValueKind.Null), listed[2]);
        Assert.Equal(("failed", JsonValueKind.Null), listed[3]);
    }

    [Fact]
    public async Task A_duplicate_version_is_a_409()
    {
        var name = NewName();
        await Register(name, 1);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_name = name, version = 1, path = App.WriteFile($"{name}/dup.onnx") }).ToUrl(Registry);
            s.StatusCodeShouldBe(409);
        });

        response.Problem("duplicate-version");
    }

    [Theory]
    [InlineData("../registry.json")]
    [InlineData("/etc/passwd")]
    [InlineData("does/not/exist.onnx")]
    public async Task A_path_that_is_not_a_file_under_the_storage_root_is_a_400_on_path(string path)
    {
        var name = NewName();

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_name = name, version = 1, path }).ToUrl(Registry);
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(response.FieldErrors("path"));
        Assert.Empty(await App.StreamAsync(name));
    }

    [Fact]
    public async Task Registering_needs_credentials()
    {
        var name = NewName();

        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_name = name, version = 1, path = App.WriteFile($"{name}/m.onnx") }).ToUrl(Registry);
            s.Anonymous();
            s.StatusCodeShouldBe(401);
        });
    }

    private Task<IScenarioResult> Register(string name, int version) =>
        App.Scenario(s =>
        {
            s.Post.SnakeJson(new
            {
                model_name = name,
                version,
                path = App.WriteFile($"{name.Replace('/', '_')}/v{version}/model.onnx", $"{name} {version}"),
                metadata = new { description = $"v{version}", metrics = new Dictionary<string, double> { ["accuracy"] = 0.5 + (version / 100.0) } },
            }).ToUrl(Registry);
            s.StatusCodeShouldBe(201);
        });

    private static List<(string, int)> Entries(JsonElement list) =>
        list.GetProperty("models").EnumerateArray().Select(e => (e.Str("model_name")!, e.Int("version"))).ToList();
}
