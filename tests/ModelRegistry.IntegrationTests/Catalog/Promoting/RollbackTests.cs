using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Promoting;

public sealed class RollbackTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Rolling_back_returns_production_to_the_previous_production_version()
    {
        var name = $"{NewName("org")}/{NewName()}";
        await App.RegisterLocalVersion(name);
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);
        await App.Promote(name, 2);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "v2 broke latency" }).ToUrl($"{Models}/{name}/rollback");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal(1, response.Json.Int("production_version"));
        var events = await App.StreamAsync(name);
        Assert.Equal(new VersionPromoted(1, Stage.Production, 2, true), events[^1].Data);
        Assert.Equal("v2 broke latency", events[^1].Reason());
    }

    [Fact]
    public async Task Rolling_back_without_a_previous_production_version_is_a_409()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);

        var response = await App.Scenario(s => { s.Post.Url($"{Models}/{name}/rollback"); s.StatusCodeShouldBe(409); });

        response.Problem("no-previous-production");
    }

    [Fact]
    public async Task Rolling_back_an_unknown_model_is_a_404()
    {
        var response = await App.Scenario(s => { s.Post.Url($"{Models}/{NewName()}/rollback"); s.StatusCodeShouldBe(404); });

        response.Problem("model-not-found");
    }
}
