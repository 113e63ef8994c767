using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Promoting;

public sealed class PromoteVersionTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Promoting_a_ready_version_makes_it_production()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production", reason = "best accuracy" }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("production", response.Json.Str("stage"));
        var promoted = (await App.StreamAsync(name))[^1];
        Assert.Equal(new VersionPromoted(1, Stage.Production, null, false), promoted.Data);
        Assert.Equal("best accuracy", promoted.Reason());
        Assert.Equal("admin", promoted.UserName);
    }

    [Fact]
    public async Task Promoting_another_version_demotes_the_current_one_in_the_same_append()
    {
        var name = $"{NewName("org")}/{NewName()}";
        await App.RegisterLocalVersion(name);
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);

        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production" }).ToUrl($"{Models}/{name.Replace("/", "%2F", StringComparison.Ordinal)}/versions/2/promote");
            s.StatusCodeShouldBe(200);
        });

        var events = await App.StreamAsync(name);
        Assert.Equal(new VersionDemoted(1, Stage.Production, Stage.Staging), events[^2].Data);
        Assert.Equal(new VersionPromoted(2, Stage.Production, 1, false), events[^1].Data);
        Assert.Equal(events[^2].Timestamp, events[^1].Timestamp);
        Assert.Equal((events[^2].UserName, events[^2].CorrelationId, events[^2].CausationId, events[^2].Reason()),
            (events[^1].UserName, events[^1].CorrelationId, events[^1].CausationId, events[^1].Reason()));
    }

    [Fact]
    public async Task Promoting_to_staging_takes_a_version_out_of_production()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "staging" }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("staging", response.Json.Str("stage"));
        Assert.Null((await App.FoldAsync(name)).ProductionVersion);
    }

    [Fact]
    public async Task Promoting_a_version_that_is_not_ready_is_a_422()
    {
        var name = NewName();
        await App.RegisterUrlVersion(name);

        var response = await App.Promote(name, 1, expect: 422);

        response.Problem("version-not-ready");
    }

    [Fact]
    public async Task Promoting_an_archived_version_is_a_422()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Scenario(s => { s.Post.Url($"{Models}/{name}/versions/1/archive"); s.StatusCodeShouldBe(200); });

        var response = await App.Promote(name, 1, expect: 422);

        response.Problem("version-archived");
    }

    [Fact]
    public async Task Promoting_an_unknown_version_or_model_is_a_404()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);

        (await App.Promote(name, 9, expect: 404)).Problem("version-not-found");
        (await App.Promote(NewName(), 1, expect: 404)).Problem("model-not-found");
    }

    [Theory]
    [InlineData("archived")]
    [InlineData("live")]
    [InlineData("")]
    public async Task A_stage_other_than_production_or_staging_is_a_400_on_stage(string stage)
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(response.FieldErrors("stage"));
    }

    [Fact]
    public async Task A_version_that_is_not_a_number_is_not_a_route()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production" }).ToUrl($"{Models}/{name}/versions/one/promote");
            s.StatusCodeShouldBe(404);
        });

        response.Problem("not-found");
    }

    [Fact]
    public async Task Thirty_two_concurrent_promotions_of_different_versions_leave_exactly_one_production_version()
    {
        const int versions = 32;
        var name = NewName("race");
        for (var i = 0; i < versions; i++)
        {
            await App.RegisterLocalVersion(name);
        }

        var responses = await Task.WhenAll(Enumerable.Range(1, versions).Select(v => App.Promote(name, v, expect: null)));

        Assert.All(responses, r => Assert.Contains(r.Status, new[] { 200, 409 }));
        Assert.All(responses.Where(r => r.Status == 409), r => r.Problem("concurrency-conflict"));
        Assert.Contains(responses, r => r.Status == 200);
        var state = ModelState.Initial;
        foreach (var e in await App.StreamAsync(name))
        {
            state = CatalogStream.Evolve(state, e.Data);
            Assert.True(state.Versions.Values.Count(v => v.Stage == Stage.Production) <= 1, $"two production versions after event {e.Version}");
        }

        var production = Assert.Single(state.Versions.Values, v => v.Stage == Stage.Production);
        Assert.Equal(production.Version, state.ProductionVersion);
        var model = await App.Scenario(s => { s.Get.Url($"{Models}/{name}"); s.StatusCodeShouldBe(200); });
        Assert.Equal(production.Version, model.Json.Int("production_version"));
    }
}
