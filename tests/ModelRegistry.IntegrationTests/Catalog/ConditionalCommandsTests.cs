using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog;

public sealed class ConditionalCommandsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task A_command_with_the_current_etag_in_If_Match_succeeds_and_answers_the_next_etag()
    {
        var name = NewName();
        var created = await App.RegisterModel(name);

        var response = await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "checked" }).ToUrl($"{Models}/{name}");
            s.WithRequestHeader("If-Match", created.ETag!);
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("\"2\"", response.ETag);
    }

    [Fact]
    public async Task A_stale_If_Match_is_a_412_and_appends_nothing()
    {
        var name = NewName();
        var created = await App.RegisterModel(name);
        await App.Scenario(s => { s.Patch.SnakeJson(new { description = "someone else" }).ToUrl($"{Models}/{name}"); s.StatusCodeShouldBe(200); });

        var response = await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "mine" }).ToUrl($"{Models}/{name}");
            s.WithRequestHeader("If-Match", created.ETag!);
            s.StatusCodeShouldBe(412);
        });

        response.Problem("precondition-failed");
        Assert.Equal("someone else", (await App.FoldAsync(name)).Description);
        Assert.Equal(2, (await App.StreamAsync(name)).Count);
    }

    [Fact]
    public async Task A_stale_If_Match_is_a_412_even_when_the_command_would_change_nothing()
    {
        var name = NewName();
        await App.RegisterModel(name);
        await App.Lock(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "again" }).ToUrl($"{Models}/{name}/lock");
            s.WithRequestHeader("If-Match", "\"1\"");
            s.StatusCodeShouldBe(412);
        });

        response.Problem("precondition-failed");
    }

    [Theory]
    [InlineData("7")]
    [InlineData("W/\"1\"")]
    [InlineData("\"one\"")]
    [InlineData("\"1\", \"2\"")]
    public async Task A_malformed_If_Match_is_a_400(string ifMatch)
    {
        var name = NewName();
        await App.RegisterModel(name);

        var response = await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "x" }).ToUrl($"{Models}/{name}");
            s.WithRequestHeader("If-Match", ifMatch);
            s.StatusCodeShouldBe(400);
        });

        response.Problem("invalid-if-match");
        Assert.Single(await App.StreamAsync(name));
    }

    [Fact]
    public async Task If_Match_star_accepts_any_version()
    {
        var name = NewName();
        await App.RegisterModel(name);

        await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "any" }).ToUrl($"{Models}/{name}");
            s.WithRequestHeader("If-Match", "*");
            s.StatusCodeShouldBe(200);
        });
    }

    [Fact]
    public async Task Every_mutation_response_carries_the_stream_version_as_etag()
    {
        var name = NewName();

        Assert.Equal("\"1\"", (await App.RegisterModel(name)).ETag);
        Assert.Equal("\"2\"", (await App.RegisterLocalVersion(name)).ETag);
        Assert.Equal("\"3\"", (await App.Promote(name, 1)).ETag);
        Assert.Equal("\"4\"", (await App.Lock(name)).ETag);
    }
}
