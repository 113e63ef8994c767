using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;
using static ModelRegistry.IntegrationTests.Endpoints.EndpointScenarios;

namespace ModelRegistry.IntegrationTests.Endpoints;

/// <summary>Checks and discovery through the whole app, against real servers on loopback, with checks every second.</summary>
public sealed class EndpointChecksTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string Digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private readonly string _root = Directory.CreateTempSubdirectory("mr-endpoints-").FullName;
    private LoopbackServer _server = null!;
    private RegistryApp _app = null!;

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Registry:Endpoints:HealthCheckInterval"] = "00:00:01",
        ["Registry:Endpoints:ManualCheckInterval"] = "00:00:30",
        ["Registry:Endpoints:Timeout"] = "00:00:02",
    };

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.Map("/api/tags", http => Json(http, $$$"""
            {"models":[{"name":"tinyllama:latest","model":"tinyllama:latest","size":637700138,"digest":"{{{Digest}}}","modified_at":"2026-11-01T10:00:00Z",
              "details":{"format":"gguf","family":"llama","parameter_size":"1B","quantization_level":"Q4_0"}},
             {"name":"qwen2:7b","size":4400000000,"digest":"sha256:{{{Digest.Replace('0', 'f')}}}"}]}
            """));
        _server.Map("/v1/models", http => http.Request.Headers.Authorization == "Bearer sk-test-secret-key-1234"
            ? Json(http, """{"object":"list","data":[{"id":"gpt-local","object":"model","created":1700000000,"owned_by":"me"}]}""")
            : Status(http, 401));
        _app = await RegistryApp.StartAsync(db.ConnectionString, _root, Settings);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task An_active_ollama_endpoint_is_checked_and_its_models_discovered_by_itself()
    {
        var id = (await _app.AddEndpointAsync(new { name = NewName("ollama"), base_url = _server.Url("") })).Str("id")!;

        var endpoint = await UntilAsync($"{V1}/{id}", e => e.Str("health_status") == "healthy" && e.GetProperty("available_models").GetArrayLength() == 2);
        Assert.Equal(["tinyllama:latest", "qwen2:7b"], endpoint.GetProperty("available_models").EnumerateArray().Select(m => m.GetString()));
        var models = (await _app.Scenario(s => s.Get.Url($"{V1}/{id}/models"))).Json.GetProperty("models");
        Assert.Equal(Digest, models[0].Str("digest"));
        Assert.Equal(637700138, models[0].GetProperty("size_bytes").GetInt64());

        // The schedule keeps checking: the history grows past the first check by itself.
        await Eventually.HoldsAsync(async () =>
            (await _app.Scenario(s => s.Get.Url($"{V1}/{id}/health/history?limit=10"))).Json.GetProperty("items").GetArrayLength() >= 3);
        var seedHealth = (await _app.Scenario(s => s.Get.Url($"{Seed}/{id}/health"))).Json;
        Assert.Equal("healthy", seedHealth.Str("status"));
        Assert.Equal(2, seedHealth.GetProperty("availableModels").GetInt32());
        Assert.True(seedHealth.TryGetProperty("responseTimeMs", out _) && seedHealth.TryGetProperty("lastChecked", out _));

        // The stream records the change of health and the models once, not every check.
        await using var session = _app.Store.QuerySession();
        var events = (await session.Events.FetchStreamAsync($"endpoint:{id}")).Select(e => e.EventTypeName).ToList();
        Assert.Equal(1, events.Count(e => e == "EndpointHealthChecked"));
        Assert.Equal(1, events.Count(e => e == "EndpointModelsDiscovered"));
    }

    [Fact]
    public async Task An_openai_compatible_endpoint_is_healthy_with_the_right_key_and_unhealthy_without()
    {
        var keyed = (await _app.AddEndpointAsync(new
        {
            name = NewName("openai"), base_url = _server.Url(""), endpoint_type = "openai-compatible", api_key = "sk-test-secret-key-1234",
        })).Str("id")!;
        var keyless = (await _app.AddEndpointAsync(new { name = NewName("openai"), base_url = _server.Url(""), endpoint_type = "openai-compatible" })).Str("id")!;

        var good = await UntilAsync($"{V1}/{keyed}", e => e.Str("health_status") == "healthy");
        Assert.Equal(["gpt-local"], good.GetProperty("available_models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("••••1234", good.Str("api_key"));
        var bad = await UntilAsync($"{V1}/{keyless}", e => e.Str("health_status") == "unhealthy");
        Assert.Contains("401", bad.Str("health_error"), StringComparison.Ordinal);

        // The key is in no table, in no response, in no log line.
        Assert.DoesNotContain("sk-test-secret-key-1234", await DumpDatabaseAsync(db.ConnectionString), StringComparison.Ordinal);
        Assert.DoesNotContain(_app.Logs, l => l.ToString().Contains("sk-test-secret-key-1234", StringComparison.Ordinal));
        var listed = (await _app.Scenario(s => s.Get.Url(Seed))).Text;
        Assert.DoesNotContain("sk-test-secret-key-1234", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manual_check_answers_at_once_and_another_right_after_is_rate_limited()
    {
        var id = (await _app.AddEndpointAsync(new { name = NewName("manual"), base_url = _server.Url(""), is_active = false })).Str("id")!;

        var first = (await _app.Scenario(s => s.Post.Url($"{Seed}/{id}/health"))).Json;
        Assert.Equal("healthy", first.Str("status"));
        Assert.Equal(2, first.GetProperty("availableModels").GetInt32());

        var second = await _app.Scenario(s => { s.Post.Url($"{V1}/{id}/health"); s.StatusCodeShouldBe(429); });
        second.Problem("too-many-checks");
        Assert.NotNull(second.Header("Retry-After"));
    }

    [Fact]
    public async Task Dead_slow_and_malformed_endpoints_are_unhealthy_and_the_registry_keeps_answering()
    {
        _server.Map("/slow/api/tags", async http => { await Task.Delay(TimeSpan.FromSeconds(30), http.RequestAborted); });
        _server.Map("/bad/api/tags", http => Json(http, """{"models": [ {"name": """));
        var dead = (await _app.AddEndpointAsync(new { name = NewName("dead"), base_url = "http://127.0.0.1:9" })).Str("id")!;
        var slow = (await _app.AddEndpointAsync(new { name = NewName("slow"), base_url = _server.Url("/slow") })).Str("id")!;
        var bad = (await _app.AddEndpointAsync(new { name = NewName("bad"), base_url = _server.Url("/bad") })).Str("id")!;

        foreach (var id in new[] { dead, slow, bad })
        {
            var endpoint = await UntilAsync($"{V1}/{id}", e => e.Str("health_status") == "unhealthy");
            Assert.False(string.IsNullOrEmpty(endpoint.Str("health_error")));
        }

        await _app.Scenario(s => s.Get.Url("/health/live"));
    }

    [Fact]
    public async Task A_version_whose_sha256_an_endpoint_reports_lists_that_endpoint_with_its_health()
    {
        var model = NewName("tinyllama");
        var path = $"models/{model}/tiny.gguf";
        var sha = RegisterLocalVersionWithContent(path, out var content);
        _server.Map($"/{model}/api/tags", http => Json(http, $$$"""{"models":[{"name":"{{{model}}}:q4","digest":"{{{sha}}}"},{"name":"other"}]}"""));
        await _app.Scenario(s => { s.Post.SnakeJson(new { source = new { type = "local", uri = _app.WriteFile(path, content) } }).ToUrl($"/api/v1/models/{model}/versions"); s.StatusCodeShouldBe(201); });
        var id = (await _app.AddEndpointAsync(new { name = NewName("serving"), base_url = _server.Url($"/{model}") })).Str("id")!;
        await UntilAsync($"{V1}/{id}", e => e.Str("health_status") == "healthy");

        var serving = (await _app.Scenario(s => s.Get.Url($"{V1}/serving?model={model}&version=1"))).Json;
        var endpoint = Assert.Single(serving.GetProperty("endpoints").EnumerateArray());
        Assert.Equal(id, endpoint.Str("id"));
        Assert.Equal("sha256", endpoint.Str("match"));
        Assert.Equal("healthy", endpoint.Str("health_status"));
        await _app.Scenario(s => { s.Get.Url($"{V1}/serving?model={model}&version=9"); s.StatusCodeShouldBe(404); });
    }

    [Fact]
    public async Task Usage_is_counted_per_model_and_day_and_sets_last_used()
    {
        var id = (await _app.AddEndpointAsync(new { name = NewName("used"), base_url = _server.Url(""), is_active = false })).Str("id")!;
        await _app.Scenario(s => { s.Post.SnakeJson(new { model = "qwen2:7b", tokens = 120, latency_ms = 300 }).ToUrl($"{V1}/{id}/usage"); s.StatusCodeShouldBe(204); });
        await _app.Scenario(s => { s.Post.SnakeJson(new { model = "qwen2:7b", tokens = 30, latency_ms = 100 }).ToUrl($"{V1}/{id}/usage"); s.StatusCodeShouldBe(204); });
        await _app.Scenario(s => { s.Post.SnakeJson(new { model = "tinyllama" }).ToUrl($"{V1}/{id}/usage"); s.StatusCodeShouldBe(204); });
        await _app.Scenario(s => { s.Post.SnakeJson(new { tokens = -1 }).ToUrl($"{V1}/{id}/usage"); s.StatusCodeShouldBe(400); });

        var usage = (await _app.Scenario(s => s.Get.Url($"{Seed}/{id}/usage"))).Json;
        Assert.Equal(3, usage.GetProperty("totalUses").GetInt64());
        var qwen = usage.GetProperty("models")[0];
        Assert.Equal("qwen2:7b", qwen.Str("model"));
        Assert.Equal(2, qwen.GetProperty("uses").GetInt64());
        Assert.Equal(150, qwen.GetProperty("tokens").GetInt64());
        Assert.Equal(200, qwen.GetProperty("averageLatencyMs").GetDouble());
        Assert.Equal(3, Assert.Single(usage.GetProperty("daily").EnumerateArray()).GetProperty("uses").GetInt64());
        Assert.NotNull((await _app.Scenario(s => s.Get.Url($"{V1}/{id}"))).Json.Str("last_used_at"));
    }

    [Fact]
    public async Task Removing_an_endpoint_erases_its_key_and_stops_its_checks()
    {
        var id = (await _app.AddEndpointAsync(new { name = NewName("gone"), base_url = _server.Url(""), api_key = "sk-removed-key-abcdef" })).Str("id")!;
        await UntilAsync($"{V1}/{id}", e => e.Str("health_status") == "healthy");

        await _app.Scenario(s => { s.Delete.Url($"{V1}/{id}"); s.StatusCodeShouldBe(204); });

        await using var conn = new Npgsql.NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand(
            "SELECT (SELECT count(*) FROM registry.mt_doc_endpoint_secret WHERE id = @id) + (SELECT count(*) FROM mr_endpoint_checks WHERE endpoint_id = @id)", conn);
        count.Parameters.AddWithValue("id", id);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
        var seen = _server.RequestsTo("/api/tags").Count;
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.InRange(_server.RequestsTo("/api/tags").Count - seen, 0, 1);
    }

    [Fact]
    public async Task A_restart_keeps_endpoints_their_keys_and_their_checks()
    {
        var id = (await _app.AddEndpointAsync(new
        {
            name = NewName("durable"), base_url = _server.Url(""), endpoint_type = "openai-compatible", api_key = "sk-test-secret-key-1234",
        })).Str("id")!;
        await UntilAsync($"{V1}/{id}", e => e.Str("health_status") == "healthy");

        await _app.DisposeAsync();
        _app = await RegistryApp.StartAsync(db.ConnectionString, _root, Settings);
        var restarted = _app;

        var before = (await restarted.Scenario(s => s.Get.Url($"{V1}/{id}/health/history?limit=200"))).Json.GetProperty("items").GetArrayLength();
        await Eventually.HoldsAsync(async () =>
            (await restarted.Scenario(s => s.Get.Url($"{V1}/{id}/health/history?limit=200"))).Json.GetProperty("items").GetArrayLength() > before + 1);
        var endpoint = (await restarted.Scenario(s => s.Get.Url($"{V1}/{id}"))).Json;
        Assert.Equal("healthy", endpoint.Str("health_status"));
        Assert.Equal("••••1234", endpoint.Str("api_key"));
    }

    private string RegisterLocalVersionWithContent(string path, out string content)
    {
        content = $"gguf bytes of {path}";
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(content)));
    }

    private async Task<JsonElement> UntilAsync(string url, Func<JsonElement, bool> condition)
    {
        JsonElement last = default;
        await Eventually.HoldsAsync(async () => condition(last = (await _app.Scenario(s => s.Get.Url(url))).Json), () => last.ToString());
        return last;
    }

    private static Task Json(Microsoft.AspNetCore.Http.HttpContext http, string body)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(body);
    }

    private static Task Status(Microsoft.AspNetCore.Http.HttpContext http, int status)
    {
        http.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}
