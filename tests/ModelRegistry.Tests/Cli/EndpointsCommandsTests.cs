using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ModelRegistry.Tests.Cli;

public sealed class EndpointsCommandsTests
{
    private const string Created = """
        {"id": "0193-e1", "name": "gpu-box", "base_url": "http://10.0.0.5:11434", "api_key": "••••t-42", "is_active": true,
         "endpoint_type": "ollama", "owner": "admin", "health_status": "unknown", "last_health_check": null, "response_time_ms": null,
         "health_error": null, "available_models": [], "last_model_discovery": null, "last_used_at": null,
         "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z", "version": 1}
        """;

    private readonly List<string> _bodies = [];

    private StubRegistry Registry(HttpStatusCode status, string body) => new((request, _) =>
    {
        lock (_bodies)
        {
            _bodies.Add(request.Content?.ReadAsStringAsync().GetAwaiter().GetResult() ?? "");
        }

        return StubRegistry.Respond(status, body);
    });

    [Fact]
    public async Task Add_reads_the_endpoint_s_key_from_the_named_environment_variable_and_prints_the_new_id()
    {
        var registry = Registry(HttpStatusCode.Created, Created);
        var cli = new CliRunner(registry) { Variables = { ["GPU_BOX_KEY"] = "secret-42" } };

        var result = await cli.RunAsync("endpoints", "add", "gpu-box", "http://10.0.0.5:11434", "--api-key-env", "GPU_BOX_KEY", "--type", "ollama");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("0193-e1", result.Out.Trim());
        Assert.Contains("Added endpoint gpu-box (ollama, http://10.0.0.5:11434, active)", result.Error, StringComparison.Ordinal);
        Assert.Equal(HttpMethod.Post, registry.Requests[0].Method);
        Assert.Equal("/api/v1/endpoints", registry.Requests[0].RequestUri!.AbsolutePath);
        var body = JsonDocument.Parse(_bodies[0]).RootElement;
        Assert.Equal("secret-42", body.GetProperty("api_key").GetString());
        Assert.Equal("http://10.0.0.5:11434", body.GetProperty("base_url").GetString());
        Assert.False(body.TryGetProperty("is_active", out _));
    }

    [Fact]
    public async Task Add_reads_the_key_from_standard_input_without_its_line_break_and_inactive_is_sent()
    {
        var registry = Registry(HttpStatusCode.Created, Created);

        var result = await new CliRunner(registry) { Input = "piped-key\n" }
            .RunAsync("endpoints", "add", "gpu-box", "http://10.0.0.5:11434", "--api-key-stdin", "--inactive", "--models-path", "/models");

        Assert.Equal(0, result.ExitCode);
        var body = JsonDocument.Parse(_bodies[0]).RootElement;
        Assert.Equal("piped-key", body.GetProperty("api_key").GetString());
        Assert.False(body.GetProperty("is_active").GetBoolean());
        Assert.Equal("/models", body.GetProperty("models_path").GetString());
    }

    [Theory]
    [InlineData("--api-key-stdin", "--api-key-env", "GPU_BOX_KEY")]
    [InlineData("--api-key-env", "UNSET_VARIABLE")]
    [InlineData("--api-key", "secret-42")]
    [InlineData("--type", "triton")]
    public async Task Add_with_a_wrong_key_source_or_type_exits_with_2_and_sends_nothing(params string[] options)
    {
        var registry = Registry(HttpStatusCode.Created, Created);
        var cli = new CliRunner(registry) { Variables = { ["GPU_BOX_KEY"] = "secret-42" }, Input = "piped-key" };

        var result = await cli.RunAsync(["endpoints", "add", "gpu-box", "http://10.0.0.5:11434", .. options]);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(registry.Requests);
    }

    [Fact]
    public async Task List_shows_each_endpoint_with_its_type_health_and_model_count()
    {
        var registry = Registry(HttpStatusCode.OK, $"[{Created.Replace("\"available_models\": []", "\"available_models\": [\"llama3\", \"qwen2\"]", StringComparison.Ordinal)}]");

        var result = await new CliRunner(registry).RunAsync("endpoints", "list");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(new Regex(@"(?m)^\s*0193-e1\s+gpu-box\s+http://10\.0\.0\.5:11434\s+ollama\s+yes\s+unknown\s+2\s*$"), result.Out);
    }

    [Fact]
    public async Task Check_prints_the_status_response_time_and_error_and_exits_with_1_unless_healthy()
    {
        var registry = Registry(HttpStatusCode.OK, """
            {"status": "unhealthy", "response_time_ms": 12, "error_message": "connection refused", "last_checked": "2026-12-01T10:00:00Z", "available_models": 0}
            """);

        var result = await new CliRunner(registry).RunAsync("endpoints", "check", "0193-e1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Checked 0193-e1: unhealthy in 12 ms, 0 models; error: connection refused", result.Out, StringComparison.Ordinal);
        Assert.Equal("/api/v1/endpoints/0193-e1/health", registry.Requests[0].RequestUri!.AbsolutePath);
    }
}
