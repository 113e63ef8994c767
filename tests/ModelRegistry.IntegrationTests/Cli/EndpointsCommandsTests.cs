using System.Text.RegularExpressions;
using ModelRegistry.IntegrationTests.Infrastructure;
using ModelRegistry.Tests.Cli;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Cli;

/// <summary>The serving endpoints through the client, against the real application.</summary>
public sealed class EndpointsCommandsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    private CliRunner Cli(string? key = RegistryApp.AdminKey) => new(App.CreateHandler(), key);

    private static void Succeeded(CliResult result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Out}\n{result.Error}");

    [Fact]
    public async Task Endpoints_add_list_show_and_remove_follow_one_endpoint_through_its_life()
    {
        var name = NewName("gpu-box");

        var added = await Cli().RunAsync("endpoints", "add", name, "http://127.0.0.1:9", "--type", "openai-compatible", "--inactive");
        var id = added.Out.Trim();
        var listed = await Cli().RunAsync("endpoints", "list");
        var shown = await Cli().RunAsync("endpoints", "show", id);
        var removed = await Cli().RunAsync("endpoints", "remove", id);
        var gone = await Cli().RunAsync("endpoints", "show", id);

        Succeeded(added);
        Assert.Matches(new Regex(@"\A[0-9a-f-]{36}\z"), id);
        Assert.Contains($"Added endpoint {name} (openai-compatible, http://127.0.0.1:9, inactive)", added.Error, StringComparison.Ordinal);
        Succeeded(listed);
        Assert.Matches(new Regex($@"(?m)^\s*{id}\s+{name}\s+http://127\.0\.0\.1:9\s+openai-compatible\s+no\s+unknown\s"), listed.Out);
        Succeeded(shown);
        Assert.Matches(new Regex($@"(?m)^\s*name\s+{name}\s*$"), shown.Out);
        Assert.Matches(new Regex(@"(?m)^\s*api key\s+none\s*$"), shown.Out);
        Succeeded(removed);
        Assert.Contains($"Removed endpoint {id}", removed.Out, StringComparison.Ordinal);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("(404)", gone.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endpoints_list_json_prints_the_registry_s_array()
    {
        var name = NewName("json-box");
        Succeeded(await Cli().RunAsync("endpoints", "add", name, "http://127.0.0.1:9", "--inactive"));

        var result = await Cli().RunAsync("endpoints", "list", "--json");

        Succeeded(result);
        var endpoints = System.Text.Json.JsonDocument.Parse(result.Out).RootElement;
        Assert.Contains(endpoints.EnumerateArray(), e => e.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task Endpoints_check_of_an_unknown_endpoint_is_refused_with_404()
    {
        var result = await Cli().RunAsync("endpoints", "check", Guid.NewGuid().ToString());

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(404)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endpoints_add_with_a_base_url_that_is_not_http_prints_the_field_error()
    {
        var result = await Cli().RunAsync("endpoints", "add", NewName("bad"), "ftp://127.0.0.1/", "--inactive");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("base_url:", result.Error, StringComparison.Ordinal);
    }
}
