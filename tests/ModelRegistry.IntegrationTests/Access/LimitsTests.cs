using Alba;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Access;

public sealed class LimitsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task Changes_beyond_a_keys_rate_are_a_429_with_retry_after_and_other_keys_and_reads_go_on()
    {
        await using var app = await fixture.StartAsync(new Dictionary<string, string?>
        {
            ["Registry:Limits:MutationsPerSecond"] = "1",
            ["Registry:Limits:MutationBurst"] = "3",
        });
        var busy = await app.CreateKeyAsync("publisher");
        var calm = await app.CreateKeyAsync("publisher");

        var statuses = new List<int>();
        IScenarioResult? limited = null;
        for (var i = 0; i < 6; i++)
        {
            var response = await app.Scenario(s =>
            {
                s.Post.SnakeJson(new { name = NewName() }).ToUrl(Models);
                s.WithBearerToken(busy);
                s.IgnoreStatusCode();
            });
            statuses.Add(response.Status);
            limited ??= response.Status == 429 ? response : null;
        }

        Assert.Contains(201, statuses);
        Assert.NotNull(limited);
        Assert.Equal("application/problem+json", limited.ContentType);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), limited.Headers.RetryAfter?.ToString());
        await app.Scenario(s => { s.Post.SnakeJson(new { name = NewName() }).ToUrl(Models); s.WithBearerToken(calm); s.StatusCodeShouldBe(201); });
        for (var i = 0; i < 10; i++)
        {
            await app.Scenario(s => { s.Get.Url(Models); s.WithBearerToken(busy); s.StatusCodeShouldBe(200); });
        }
    }

    [Fact]
    public async Task A_stage_smuggled_into_a_registration_is_a_400_and_appends_nothing()
    {
        var name = NewName();

        var refused = await fixture.App.Scenario(s =>
        {
            s.Post
                .SnakeJson(new { source = new { type = "url", uri = "https://models.example/m.onnx" }, stage = "production" })
                .ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(400);
        });

        Assert.True(refused.Json.GetProperty("errors").TryGetProperty("stage", out _), refused.Text);
        Assert.Empty(await fixture.App.StreamAsync(name));
    }

    [Theory]
    [InlineData("/api/v1/models")]
    [InlineData("/api/v1/models/nobody-here")]
    [InlineData("/api/v1/nothing")]
    public async Task Every_answer_carries_headers_that_stop_sniffing_framing_and_referrers(string url)
    {
        var response = await fixture.App.Scenario(s => { s.Get.Url(url); s.IgnoreStatusCode(); });

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }
}
