using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Updating;

public sealed class UpdateModelTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Updating_description_and_tags_answers_200_with_the_model_and_its_new_etag()
    {
        var name = $"{NewName("org")}/{NewName()}";
        await App.RegisterModel(name);

        var response = await App.Scenario(s =>
        {
            s.Patch
                .SnakeJson(new { description = "now with tags", tags = new Dictionary<string, string> { ["env"] = "prod" } })
                .ToUrl($"{Models}/{name}");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("\"2\"", response.ETag);
        Assert.Equal("now with tags", response.Json.Str("description"));
        Assert.Equal("prod", response.Json.GetProperty("tags").Str("env"));
        var updated = (ModelUpdated)(await App.StreamAsync(name))[^1].Data;
        Assert.Equal("now with tags", updated.Description);
    }

    [Fact]
    public async Task An_update_through_an_encoded_slash_reaches_the_same_model()
    {
        var name = $"{NewName("org")}/{NewName()}";
        await App.RegisterModel(name);

        await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "encoded" }).ToUrl($"{Models}/{name.Replace("/", "%2F", StringComparison.Ordinal)}");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("encoded", (await App.FoldAsync(name)).Description);
    }

    [Fact]
    public async Task An_update_that_changes_nothing_appends_nothing_and_keeps_the_etag()
    {
        var name = NewName();
        await App.Scenario(s => { s.Post.SnakeJson(new { name, description = "same" }).ToUrl(Models); s.StatusCodeShouldBe(201); });

        var response = await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "same" }).ToUrl($"{Models}/{name}");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("\"1\"", response.ETag);
        Assert.Single(await App.StreamAsync(name));
    }

    [Fact]
    public async Task Updating_an_unknown_model_is_a_404()
    {
        var response = await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "x" }).ToUrl($"{Models}/{NewName()}");
            s.StatusCodeShouldBe(404);
        });

        response.Problem("model-not-found");
    }

    [Fact]
    public async Task A_name_no_model_can_have_is_a_404_without_touching_the_store()
    {
        var response = await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "x" }).ToUrl($"{Models}/-bad/name");
            s.StatusCodeShouldBe(404);
        });

        response.Problem("model-not-found");
    }
}
