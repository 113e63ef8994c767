using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Locking;

/// <summary>Seed 003: a locked model cannot change until an admin unlocks it, and both record who and why.</summary>
public sealed class LockModelTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    public static TheoryData<string, string, string?> Mutations => new()
    {
        { "PATCH", "", """{"description": "changed"}""" },
        { "POST", "/versions", """{"source": {"type": "url", "uri": "https://x.example/m.onnx"}}""" },
        { "POST", "/versions/1/promote", """{"stage": "production"}""" },
        { "POST", "/versions/2/demote", null },
        { "POST", "/versions/1/archive", null },
        { "POST", "/versions/3/restore", null },
        { "POST", "/rollback", null },
    };

    [Fact]
    public async Task Locking_records_the_admin_and_the_reason()
    {
        var name = NewName();
        await App.RegisterModel(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "audit in progress" }).ToUrl($"{Models}/{name}/lock");
            s.StatusCodeShouldBe(200);
        });

        Assert.True(response.Json.GetProperty("locked").GetBoolean());
        var locked = (await App.StreamAsync(name))[^1];
        Assert.Equal(new ModelLocked("audit in progress"), locked.Data);
        Assert.Equal("admin", locked.UserName);
        Assert.Equal("audit in progress", locked.Reason());
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"reason": ""}""")]
    public async Task Locking_needs_a_reason(string body)
    {
        var name = NewName();
        await App.RegisterModel(name);

        var response = await App.Scenario(s => { s.Post.RawJson(body).ToUrl($"{Models}/{name}/lock"); s.StatusCodeShouldBe(400); });

        Assert.NotEmpty(response.FieldErrors("reason"));
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public async Task Every_mutation_of_a_locked_model_is_a_423_and_appends_nothing(string method, string suffix, string? body)
    {
        var name = $"{NewName("org")}/{NewName()}";
        await App.RegisterLocalVersion(name);
        await App.RegisterLocalVersion(name);
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 2);
        await App.Scenario(s => { s.Post.Url($"{Models}/{name}/versions/3/archive"); s.StatusCodeShouldBe(200); });
        await App.Lock(name);
        var before = (await App.StreamAsync(name)).Count;

        var response = await App.Scenario(s =>
        {
            s.Method(method).Url($"{Models}/{name.Replace("/", "%2F", StringComparison.Ordinal)}{suffix}");
            if (body is not null)
            {
                s.RawJson(body);
            }

            s.StatusCodeShouldBe(423);
        });

        response.Problem("model-locked");
        Assert.Equal(before, (await App.StreamAsync(name)).Count);
    }

    [Fact]
    public async Task Unlocking_records_the_admin_and_the_reason_and_lets_the_model_change_again()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Lock(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "audit done" }).ToUrl($"{Models}/{name}/unlock");
            s.StatusCodeShouldBe(200);
        });
        await App.Promote(name, 1);

        Assert.False(response.Json.GetProperty("locked").GetBoolean());
        var events = await App.StreamAsync(name);
        var unlocked = Assert.Single(events, e => e.EventTypeName == "ModelUnlocked");
        Assert.Equal(new ModelUnlocked("audit done"), unlocked.Data);
        Assert.Equal("admin", unlocked.UserName);
        Assert.Equal("audit done", unlocked.Reason());
        Assert.Equal("VersionPromoted", events[^1].EventTypeName);
    }

    [Fact]
    public async Task Unlocking_needs_a_reason()
    {
        var name = NewName();
        await App.RegisterModel(name);
        await App.Lock(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = (string?)null }).ToUrl($"{Models}/{name}/unlock");
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(response.FieldErrors("reason"));
        Assert.True((await App.FoldAsync(name)).Locked);
    }

    [Fact]
    public async Task Locking_a_locked_model_again_changes_nothing()
    {
        var name = NewName();
        await App.RegisterModel(name);
        var first = await App.Lock(name);

        var again = await App.Lock(name, "another reason");

        Assert.Equal(first.ETag, again.ETag);
        Assert.Single(await App.StreamAsync(name), e => e.EventTypeName == "ModelLocked");
    }

    [Fact]
    public async Task A_locked_model_refuses_the_seed_002_activation_too()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Lock(name);

        var response = await App.Scenario(s => { s.Put.Url($"/api/v1/registry/models/{name}/1/activate"); s.StatusCodeShouldBe(423); });

        response.Problem("model-locked");
    }
}
