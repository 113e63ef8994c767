using System.Diagnostics;
using System.Text.Json;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Common;

/// <summary>/openapi/v1.json is a document tools can use: Redocly's recommended rules pass, and it says what the routes take.</summary>
public sealed class OpenApiDocumentTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private const string LintTool = "tools/openapi-lint";

    [Fact]
    public async Task The_document_passes_redocly_recommended_rules_without_errors()
    {
        var document = await fixture.App.Scenario(s => { s.Get.Url("/openapi/v1.json"); s.Anonymous(); s.StatusCodeShouldBe(200); });
        var file = Path.Combine(Directory.CreateTempSubdirectory("mr-openapi-").FullName, "openapi.json");
        await File.WriteAllBytesAsync(file, document.Bytes);

        var report = await LintAsync(file);

        var problems = report.GetProperty("problems").EnumerateArray().ToList();
        var errors = problems.Where(p => p.GetProperty("severity").GetString() == "error").Select(Describe).ToList();
        Assert.True(errors.Count == 0, $"{errors.Count} errors:\n{string.Join('\n', errors)}");
    }

    [Fact]
    public async Task Every_operation_takes_a_bearer_key_and_reads_may_go_without_one()
    {
        var document = await DocumentAsync();

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.Equal(["bearer"], SecurityOf(Operation(document, "post", "/api/v1/models")));
        Assert.Equal(["bearer", "(none)"], SecurityOf(Operation(document, "get", "/api/v1/models")));
    }

    [Fact]
    public async Task Query_parameters_read_by_hand_are_declared()
    {
        var document = await DocumentAsync();

        Assert.Equal(["cursor", "limit", "q", "stage", "status", "tag"], ParameterNames(Operation(document, "get", "/api/v1/models"), "query"));
        Assert.Equal(["actor", "cursor", "from", "limit", "model", "to", "type"], ParameterNames(Operation(document, "get", "/api/v1/audit"), "query"));
        Assert.Equal(["name", "namespace"], ParameterNames(Operation(document, "get", "/api/v1/models/{namespace}/{name}"), "path"));
    }

    [Fact]
    public async Task Optional_body_fields_are_not_required()
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");

        Assert.Equal(["source"], Required(schemas.GetProperty("RegisterVersionRequest")));
        Assert.Equal(["type", "uri"], Required(schemas.GetProperty("SourceRequest")));
        Assert.Empty(Required(schemas.GetProperty("MetadataRequest")));
        Assert.Equal(["model_ref"], Required(schemas.GetProperty("DownloadRequest")));
    }

    [Fact]
    public async Task Each_operation_documents_its_success_and_its_problems()
    {
        var document = await DocumentAsync();

        var register = Operation(document, "post", "/api/v1/models/{name}/versions").GetProperty("responses");
        Assert.Equal("#/components/schemas/VersionResource",
            register.GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        foreach (var status in new[] { "400", "401", "403", "404", "default" })
        {
            Assert.True(register.GetProperty(status).GetProperty("content").TryGetProperty("application/problem+json", out _), status);
        }
    }

    private async Task<JsonElement> DocumentAsync() =>
        (await fixture.App.Scenario(s => { s.Get.Url("/openapi/v1.json"); s.Anonymous(); s.StatusCodeShouldBe(200); })).Json;

    private static JsonElement Operation(JsonElement document, string method, string path) =>
        document.GetProperty("paths").GetProperty(path).GetProperty(method);

    private static string[] SecurityOf(JsonElement operation) =>
        operation.GetProperty("security").EnumerateArray()
            .Select(requirement => requirement.EnumerateObject().Select(p => p.Name).FirstOrDefault() ?? "(none)").ToArray();

    private static string[] ParameterNames(JsonElement operation, string location) =>
        operation.GetProperty("parameters").EnumerateArray()
            .Where(p => p.GetProperty("in").GetString() == location).Select(p => p.GetProperty("name").GetString()!).Order().ToArray();

    private static string[] Required(JsonElement schema) =>
        schema.TryGetProperty("required", out var required) ? required.EnumerateArray().Select(r => r.GetString()!).Order().ToArray() : [];

    private static string Describe(JsonElement problem)
    {
        var where = problem.TryGetProperty("location", out var locations)
            ? string.Join(", ", locations.EnumerateArray().Select(l => l.TryGetProperty("pointer", out var pointer) ? pointer.GetString() : ""))
            : "";
        return $"{problem.GetProperty("ruleId").GetString()}: {problem.GetProperty("message").GetString()} at {where}";
    }

    /// <summary>Runs the linter that <c>make test</c> installs from tools/openapi-lint (pinned in its package-lock.json).</summary>
    private static async Task<JsonElement> LintAsync(string file)
    {
        var tool = Path.Combine(RepositoryRoot(), LintTool);
        var cli = Path.Combine(tool, "node_modules", "@redocly", "cli", "bin", "cli.js");
        Assert.True(File.Exists(cli), $"Redocly CLI is not installed: run 'npm ci --prefix {LintTool}' (make test does).");

        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = tool };
        foreach (var arg in new[] { cli, "lint", "--config", Path.Combine(tool, "redocly.yaml"), "--format=json", "--max-problems=1000", file })
        {
            start.ArgumentList.Add(arg);
        }

        // The linter would otherwise report usage and look for a newer version of itself over the network.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var json = await output;
        Assert.True(json.TrimStart().StartsWith('{'), $"redocly lint exited {process.ExitCode} without a report:\n{json}\n{await error}");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, LintTool)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {LintTool} above {AppContext.BaseDirectory}.");
    }
}
