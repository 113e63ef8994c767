using System.Text.Json;
using System.Text.RegularExpressions;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using ModelRegistry.Tests.Cli;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Cli;

public sealed class CatalogCommandsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    private CliRunner Cli(string? key = RegistryApp.AdminKey) => new(App.CreateHandler(), key);

    private async Task<string> ModelWithVersionsAsync(string name, int versions, int? production = null)
    {
        for (var i = 0; i < versions; i++)
        {
            await App.RegisterLocalVersion(name);
        }

        if (production is { } version)
        {
            await App.Promote(name, version);
        }

        return name;
    }

    private async Task<JsonElement> ModelAsync(string name) =>
        (await App.Scenario(s => { s.Get.Url($"{Models}/{name}"); s.StatusCodeShouldBe(200); })).Json;

    private static void Succeeded(CliResult result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Out}\n{result.Error}");

    [Fact]
    public async Task Models_list_shows_each_model_with_its_production_and_latest_version()
    {
        var name = await ModelWithVersionsAsync(NewName("listed"), versions: 2, production: 1);

        var result = await Cli().RunAsync("models", "list", "--q", name);

        Succeeded(result);
        Assert.Matches(new Regex($@"{name}\s+1\s+2\s"), result.Out);
    }

    [Fact]
    public async Task Models_show_prints_a_namespaced_model_with_each_version_its_stage_and_status()
    {
        var name = await ModelWithVersionsAsync($"{NewName("org")}/{NewName()}", versions: 2, production: 1);

        var result = await Cli().RunAsync("models", "show", name);

        Succeeded(result);
        Assert.Contains(name, result.Out, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"(?m)^\s*1\s+production\s+ready\s+gguf\s"), result.Out);
        Assert.Matches(new Regex(@"(?m)^\s*2\s+staging\s+ready\s+gguf\s"), result.Out);
    }

    [Fact]
    public async Task Models_show_as_of_shows_the_model_as_it_was_then()
    {
        var name = await ModelWithVersionsAsync(NewName("then"), versions: 1);
        var then = DateTimeOffset.UtcNow;
        await App.RegisterLocalVersion(name);

        var result = await Cli().RunAsync("models", "show", name, "--as-of", then.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

        Succeeded(result);
        Assert.Matches(new Regex(@"(?m)^\s*1\s+staging\s+ready\s"), result.Out);
        Assert.DoesNotMatch(new Regex(@"(?m)^\s*2\s+staging\s"), result.Out);
    }

    [Fact]
    public async Task Models_history_lists_the_models_events_oldest_first_with_their_reasons()
    {
        var name = await ModelWithVersionsAsync(NewName("history"), versions: 1);
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production", reason = "first release" }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.StatusCodeShouldBe(200);
        });

        var result = await Cli().RunAsync("models", "history", name);

        Succeeded(result);
        var types = Regex.Matches(result.Out, @"Model\w+|Version\w+").Select(m => m.Value).ToList();
        Assert.Equal(["ModelRegistered", "VersionRegistered", "VersionPromoted"], types);
        Assert.Contains("first release", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_json_a_command_prints_the_registrys_answer_instead_of_a_table()
    {
        var name = await ModelWithVersionsAsync(NewName("json"), versions: 2, production: 2);

        var result = await Cli().RunAsync("models", "show", name, "--json");

        Succeeded(result);
        var model = JsonDocument.Parse(result.Out).RootElement;
        Assert.Equal(name, model.Str("name"));
        Assert.Equal(2, model.Int("production_version"));
        Assert.Equal(2, model.GetProperty("versions").GetArrayLength());
    }

    [Fact]
    public async Task Versions_register_adds_a_ready_version_of_a_file_under_the_storage_root()
    {
        var name = $"{NewName("org")}/{NewName("registered")}";
        var file = App.WriteFile($"{NewName("files")}/weights.onnx");

        var result = await Cli().RunAsync("versions", "register", name, "--source-type", "local", "--uri", file);

        Succeeded(result);
        Assert.Contains($"Registered {name} v1: stage staging, status ready", result.Out, StringComparison.Ordinal);
        var version = (await App.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/1"); s.StatusCodeShouldBe(200); })).Json;
        Assert.Equal(("ready", "onnx", file), (version.Str("status"), version.Str("format"), version.Str("local_path")));
    }

    [Fact]
    public async Task Versions_promote_and_rollback_move_production_and_record_the_reason()
    {
        var name = await ModelWithVersionsAsync(NewName("promoted"), versions: 2);

        Succeeded(await Cli().RunAsync("versions", "promote", name, "1"));
        var promoted = await Cli().RunAsync("versions", "promote", name, "2", "--reason", "better recall");
        Assert.Equal(2, (await ModelAsync(name)).Int("production_version"));
        var rolledBack = await Cli().RunAsync("versions", "rollback", name, "--reason", "v2 is slow");

        Succeeded(promoted);
        Assert.Contains($"Promoted {name} v2: stage production", promoted.Out, StringComparison.Ordinal);
        Succeeded(rolledBack);
        Assert.Contains($"Rolled back {name}: production is v1", rolledBack.Out, StringComparison.Ordinal);
        Assert.Equal(1, (await ModelAsync(name)).Int("production_version"));
        var events = await App.StreamAsync(name);
        Assert.Equal(new VersionPromoted(1, Stage.Production, 2, true), events[^1].Data);
        Assert.Equal("v2 is slow", events[^1].Reason());
        Assert.Contains(events, e => e.Data is VersionPromoted { Version: 2 } && e.Reason() == "better recall");
    }

    [Fact]
    public async Task Versions_demote_archive_and_restore_move_a_version_between_stages()
    {
        var name = await ModelWithVersionsAsync(NewName("stages"), versions: 1, production: 1);
        var stages = new List<string?>();

        foreach (var action in new[] { "demote", "archive", "restore" })
        {
            Succeeded(await Cli().RunAsync("versions", action, name, "1", "--reason", $"{action} it"));
            stages.Add((await ModelAsync(name)).GetProperty("versions")[0].Str("stage"));
        }

        Assert.Equal(["staging", "archived", "staging"], stages);
    }

    [Fact]
    public async Task Versions_demote_of_a_staging_version_says_that_it_changed_nothing()
    {
        var name = await ModelWithVersionsAsync(NewName("staged"), versions: 1);

        var result = await Cli().RunAsync("versions", "demote", name, "1");

        Succeeded(result);
        Assert.Equal($"{name} v1 is in staging already; nothing changed", result.Out.Trim());
        Assert.Equal(["ModelRegistered", "VersionRegistered"], (await App.StreamAsync(name)).Types());
    }

    [Fact]
    public async Task A_change_the_registry_refuses_exits_with_1_and_prints_its_reason()
    {
        var name = await ModelWithVersionsAsync(NewName("refused"), versions: 1, production: 1);

        var result = await Cli().RunAsync("versions", "archive", name, "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: Archive production (409)", result.Error, StringComparison.Ordinal);
        Assert.Contains("demote it before archiving", result.Error, StringComparison.Ordinal);
        Assert.Equal("production", (await ModelAsync(name)).GetProperty("versions")[0].Str("stage"));
    }

    [Fact]
    public async Task A_local_source_outside_the_storage_root_prints_the_field_error()
    {
        var result = await Cli().RunAsync("versions", "register", NewName("outside"), "--source-type", "local", "--uri", "../../etc/passwd");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(400)", result.Error, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"(?m)^\s+source\.uri: \S"), result.Error);
    }

    [Fact]
    public async Task A_change_without_a_key_is_refused_as_unauthorized()
    {
        var name = await ModelWithVersionsAsync(NewName("anonymous"), versions: 1);

        var result = await Cli(key: null).RunAsync("versions", "promote", name, "1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: Unauthorized (401)", result.Error, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, (await ModelAsync(name)).GetProperty("production_version").ValueKind);
    }
}
