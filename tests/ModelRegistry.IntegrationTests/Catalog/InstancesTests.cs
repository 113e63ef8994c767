using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog;

/// <summary>What the catalog keeps is in PostgreSQL, not in a process: restarts and other instances see the same models.</summary>
public sealed class InstancesTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task State_and_history_survive_a_restart()
    {
        var app = await fixture.StartAsync();
        var name = NewName("org") + "/" + NewName();
        await app.RegisterLocalVersion(name);
        await app.RegisterLocalVersion(name);
        await app.RegisterUrlVersion(name);
        await app.Promote(name, 1);
        await app.Promote(name, 2);
        await app.Scenario(s => { s.Post.SnakeJson(new { reason = "v2 regressed" }).ToUrl($"{Models}/{name}/rollback"); s.StatusCodeShouldBe(200); });
        await app.Lock(name, "audit");
        var before = await ReadAllAsync(app, name);

        app = await app.RestartAsync();
        try
        {
            var after = await ReadAllAsync(app, name);

            Assert.Equal(before, after);
            Assert.Contains("\"production_version\":1", before[0], StringComparison.Ordinal);
            Assert.Contains("\"locked\":true", before[0], StringComparison.Ordinal);
            await app.Scenario(s =>
            {
                s.Post.SnakeJson(new { stage = "production" }).ToUrl($"{Models}/{name}/versions/2/promote");
                s.StatusCodeShouldBe(423);
            });
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_command_decides_on_what_another_instance_appended_since_this_one_last_wrote()
    {
        await using var first = await fixture.StartAsync();
        await using var second = await fixture.StartAsync();
        var name = NewName();
        await first.RegisterLocalVersion(name);

        await second.Lock(name, "freeze");
        var refused = await first.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = "https://models.example/m.onnx" } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(423);
        });
        await second.Scenario(s => { s.Post.SnakeJson(new { reason = "thaw" }).ToUrl($"{Models}/{name}/unlock"); s.StatusCodeShouldBe(200); });
        await second.RegisterLocalVersion(name);
        var registered = await first.RegisterLocalVersion(name);

        Assert.Equal("model-locked", refused.Json.Str("type")!.Split('/')[^1]);
        Assert.Equal(3, registered.Json.Int("version"));
        Assert.Equal("\"6\"", registered.ETag);
    }

    private static async Task<string[]> ReadAllAsync(RegistryApp app, string name) =>
    [
        (await app.Scenario(s => { s.Get.Url($"{Models}/{name}"); s.StatusCodeShouldBe(200); })).Text,
        (await app.Scenario(s => { s.Get.Url($"{Models}/{name}/history"); s.StatusCodeShouldBe(200); })).Text,
        (await app.Scenario(s => { s.Get.Url($"{Models}/{name}/production"); s.StatusCodeShouldBe(200); })).Text,
        (await app.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/3"); s.StatusCodeShouldBe(200); })).Text,
        (await app.Scenario(s => { s.Get.Url($"/api/v1/audit?model={Uri.EscapeDataString(name)}"); s.StatusCodeShouldBe(200); })).Text,
    ];
}
