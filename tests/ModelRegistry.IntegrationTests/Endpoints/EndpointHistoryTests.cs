using Microsoft.AspNetCore.Http;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;
using static ModelRegistry.IntegrationTests.Endpoints.EndpointScenarios;

namespace ModelRegistry.IntegrationTests.Endpoints;

/// <summary>An endpoint's check history: bounded per endpoint, paged newest first; and discovery asked for by hand.</summary>
public sealed class EndpointHistoryTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-endpoint-history-").FullName;
    private LoopbackServer _server = null!;
    private RegistryApp _app = null!;
    private volatile string _models = "tiny:latest";

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.Map("/api/tags", http =>
        {
            http.Response.ContentType = "application/json";
            return http.Response.WriteAsync($$"""{"models":[{"name":"{{_models}}"}]}""");
        });
        _app = await RegistryApp.StartAsync(db.ConnectionString, _root, new Dictionary<string, string?>
        {
            ["Registry:Endpoints:HealthCheckInterval"] = "00:00:01",
            ["Registry:Endpoints:HealthHistory"] = "3",
            ["Registry:Endpoints:ManualCheckInterval"] = "00:00:00",
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task The_history_keeps_the_newest_checks_up_to_its_bound_and_pages_newest_first()
    {
        var id = (await _app.AddEndpointAsync(new { name = NewName("bounded"), base_url = _server.Url("") })).Str("id")!;
        await Eventually.HoldsAsync(() => Task.FromResult(_server.RequestsTo("/api/tags").Count >= 6));

        var first = (await _app.Scenario(s => s.Get.Url($"{V1}/{id}/health/history?limit=2"))).Json;
        var cursor = first.Str("next_cursor");
        Assert.NotNull(cursor);
        var second = (await _app.Scenario(s => s.Get.Url($"{V1}/{id}/health/history?limit=2&cursor={Uri.EscapeDataString(cursor!)}"))).Json;

        var times = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray())
            .Select(i => DateTimeOffset.Parse(i.Str("checked_at")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, times.Count);
        Assert.Equal(times.OrderByDescending(t => t), times);
        Assert.Null(second.Str("next_cursor"));
    }

    [Fact]
    public async Task Discovery_asked_for_by_hand_answers_the_models_the_endpoint_lists_now()
    {
        var id = (await _app.AddEndpointAsync(new { name = NewName("refresh"), base_url = _server.Url(""), is_active = false })).Str("id")!;
        _models = "qwen2:7b";

        var refreshed = (await _app.Scenario(s => s.Post.Url($"{Seed}/{id}/models"))).Json;

        Assert.Equal(["qwen2:7b"], refreshed.GetProperty("availableModels").EnumerateArray().Select(m => m.GetString()));
        Assert.NotNull(refreshed.Str("lastModelDiscovery"));
        var listed = (await _app.Scenario(s => s.Get.Url($"{Seed}/{id}/models"))).Json;
        Assert.Equal(["qwen2:7b"], listed.GetProperty("availableModels").EnumerateArray().Select(m => m.GetString()));
    }
}
