using System.Net;
using ModelRegistry.Cli.Api;

namespace ModelRegistry.Tests.Cli;

public sealed class CommandLineTests
{
    private const string EmptyPage = """{"items": [], "next_cursor": null}""";

    [Fact]
    public async Task A_command_line_the_parser_rejects_exits_with_2_and_says_what_is_missing()
    {
        var registry = new StubRegistry((_, _) => throw new InvalidOperationException("nothing should be sent"));

        var result = await new CliRunner(registry).RunAsync("versions", "register", "tiny", "--source-type", "ftp");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'ftp'", result.Error, StringComparison.Ordinal);
        Assert.Contains("--uri", result.Error, StringComparison.Ordinal);
        Assert.Empty(registry.Requests);
    }

    [Fact]
    public async Task The_url_and_key_come_from_the_environment_and_the_options_override_them()
    {
        var registry = new StubRegistry((_, _) => StubRegistry.Respond(HttpStatusCode.OK, EmptyPage));

        var fromEnvironment = await new CliRunner(registry, key: "env-key").RunAsync("models", "list");
        var fromOptions = await new CliRunner(registry, key: "env-key")
            .RunAsync("models", "list", "--url", "https://mirror.test/registry", "--key", "option-key");

        Assert.Equal((0, 0), (fromEnvironment.ExitCode, fromOptions.ExitCode));
        Assert.Equal("http://registry.test/api/v1/models", registry.Requests[0].RequestUri!.ToString());
        Assert.Equal("Bearer env-key", registry.Requests[0].Headers.Authorization!.ToString());
        Assert.Equal("https://mirror.test/registry/api/v1/models", registry.Requests[1].RequestUri!.ToString());
        Assert.Equal("Bearer option-key", registry.Requests[1].Headers.Authorization!.ToString());
    }

    [Fact]
    public async Task Filters_become_the_query_of_the_listing()
    {
        var registry = new StubRegistry((_, _) => StubRegistry.Respond(HttpStatusCode.OK, EmptyPage));

        await new CliRunner(registry).RunAsync("models", "list", "--q", "llama 3", "--tag", "team:vision", "--tag", "tier:gold",
            "--stage", "production", "--limit", "5");

        Assert.Equal("?q=llama%203&tag=team%3Avision&tag=tier%3Agold&stage=production&limit=5", registry.Requests[0].RequestUri!.Query);
    }

    [Theory]
    [InlineData("tiny", null, "api/v1/models/tiny")]
    [InlineData("TheBloke/TinyLlama-1.1B", "versions/3/promote", "api/v1/models/TheBloke/TinyLlama-1.1B/versions/3/promote")]
    [InlineData("org/a b?c", "history", "api/v1/models/org/a%20b%3Fc/history")]
    public void A_namespaced_name_keeps_its_slash_and_each_part_is_escaped(string name, string? suffix, string path) =>
        Assert.Equal(path, RegistryClient.ModelPath(name, suffix));

    [Fact]
    public async Task A_problem_answer_prints_its_title_detail_and_field_errors_and_exits_with_1()
    {
        var registry = new StubRegistry((_, _) => StubRegistry.Respond(HttpStatusCode.BadRequest, """
            {"type": "https://modelregistry.dev/problems/validation", "title": "Validation", "status": 400,
             "detail": "The request has invalid fields.", "errors": {"source.uri": ["No file is at 'x.gguf' under the storage root."]}}
            """, "application/problem+json"));

        var result = await new CliRunner(registry).RunAsync("versions", "register", "tiny", "--source-type", "local", "--uri", "x.gguf");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: Validation (400): The request has invalid fields.", result.Error, StringComparison.Ordinal);
        Assert.Contains("source.uri: No file is at 'x.gguf' under the storage root.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registry_that_cannot_be_reached_exits_with_3()
    {
        var registry = new StubRegistry((_, _) => throw new HttpRequestException("Connection refused (registry.test:80)"));

        var result = await new CliRunner(registry).RunAsync("models", "show", "tiny");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("cannot reach the registry: Connection refused", result.Error, StringComparison.Ordinal);
    }
}
