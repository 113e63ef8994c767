using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Registering;

public sealed class RegisterModelTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Registering_a_model_answers_201_with_its_location_etag_and_the_model()
    {
        var name = NewName();

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name, description = "a vision model", tags = new Dictionary<string, string> { ["team"] = "cv" } }).ToUrl(Models);
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal($"{Models}/{name}", response.Location);
        Assert.Equal("\"1\"", response.ETag);
        Assert.StartsWith("application/json", response.ContentType, StringComparison.Ordinal);
        var model = response.Json;
        Assert.Equal(name, model.Str("name"));
        Assert.Equal("a vision model", model.Str("description"));
        Assert.Equal("cv", model.GetProperty("tags").Str("team"));
        Assert.False(model.GetProperty("locked").GetBoolean());
        Assert.Equal(1, model.GetProperty("stream_version").GetInt64());
    }

    [Fact]
    public async Task A_namespaced_model_keeps_its_case_and_its_location_names_both_parts()
    {
        var name = $"TheBloke/{NewName("TinyLlama")}";

        var response = await App.Scenario(s => { s.Post.SnakeJson(new { name }).ToUrl(Models); s.StatusCodeShouldBe(201); });

        Assert.Equal($"{Models}/{name}", response.Location);
        Assert.Equal(name, response.Json.Str("name"));
        var registered = (ModelRegistered)Assert.Single(await App.StreamAsync(name)).Data;
        Assert.Equal(name, registered.Name);
        Assert.Equal("admin", registered.Owner);
    }

    [Fact]
    public async Task A_second_model_with_the_same_name_in_any_case_is_a_409()
    {
        var name = NewName("Case");
        await App.RegisterModel(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = name.ToLowerInvariant() }).ToUrl(Models);
            s.StatusCodeShouldBe(409);
        });

        response.Problem("duplicate-model");
        Assert.Single(await App.StreamAsync(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData("a/b/c")]
    [InlineData("org/lock")]
    [InlineData("versions")]
    [InlineData("with space")]
    [InlineData("percent%2Fname")]
    public async Task A_name_that_breaks_the_rules_is_a_400_on_name(string name)
    {
        var response = await App.Scenario(s => { s.Post.SnakeJson(new { name }).ToUrl(Models); s.StatusCodeShouldBe(400); });

        response.Problem("validation");
        Assert.NotEmpty(response.FieldErrors("name"));
    }
}
