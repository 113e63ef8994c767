using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Archiving;

public sealed class ArchiveVersionTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Archiving_a_staging_version_answers_200_with_the_archived_version()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "superseded" }).ToUrl($"{Models}/{name}/versions/1/archive");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("archived", response.Json.Str("stage"));
        var archived = (await App.StreamAsync(name))[^1];
        Assert.Equal(new VersionArchived(1), archived.Data);
        Assert.Equal("superseded", archived.Reason());
    }

    [Fact]
    public async Task Archiving_the_production_version_is_a_409()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);

        var response = await App.Scenario(s => { s.Post.Url($"{Models}/{name}/versions/1/archive"); s.StatusCodeShouldBe(409); });

        response.Problem("archive-production");
        Assert.Equal(1, (await App.FoldAsync(name)).ProductionVersion);
    }

    [Fact]
    public async Task Restoring_an_archived_version_returns_it_to_staging()
    {
        var name = $"{NewName("org")}/{NewName()}";
        await App.RegisterLocalVersion(name);
        await App.Scenario(s => { s.Post.Url($"{Models}/{name}/versions/1/archive"); s.StatusCodeShouldBe(200); });

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "needed again" }).ToUrl($"{Models}/{name}/versions/1/restore");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("staging", response.Json.Str("stage"));
        Assert.Equal(new VersionRestored(1), (await App.StreamAsync(name))[^1].Data);
    }

    [Fact]
    public async Task Archiving_an_unknown_version_is_a_404()
    {
        var name = NewName();
        await App.RegisterModel(name);

        var response = await App.Scenario(s => { s.Post.Url($"{Models}/{name}/versions/4/archive"); s.StatusCodeShouldBe(404); });

        response.Problem("version-not-found");
    }
}
