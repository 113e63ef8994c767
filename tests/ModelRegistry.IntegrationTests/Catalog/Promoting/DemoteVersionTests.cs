using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Promoting;

public sealed class DemoteVersionTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Demoting_the_production_version_returns_it_to_staging_with_the_reason()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "regression in eval" }).ToUrl($"{Models}/{name}/versions/1/demote");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("staging", response.Json.Str("stage"));
        var demoted = (await App.StreamAsync(name))[^1];
        Assert.Equal(new VersionDemoted(1, Stage.Production, Stage.Staging), demoted.Data);
        Assert.Equal("regression in eval", demoted.Reason());
    }

    [Fact]
    public async Task Demoting_needs_no_body()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);

        await App.Scenario(s => { s.Post.Url($"{Models}/{name}/versions/1/demote"); s.StatusCodeShouldBe(200); });

        Assert.Null((await App.FoldAsync(name)).ProductionVersion);
    }

    [Fact]
    public async Task Demoting_a_staging_version_changes_nothing()
    {
        var name = NewName();
        var registered = await App.RegisterLocalVersion(name);

        var response = await App.Scenario(s => { s.Post.Url($"{Models}/{name}/versions/1/demote"); s.StatusCodeShouldBe(200); });

        Assert.Equal(registered.ETag, response.ETag);
    }
}
