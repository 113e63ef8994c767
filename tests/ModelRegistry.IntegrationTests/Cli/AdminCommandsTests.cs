using System.Text.Json;
using System.Text.RegularExpressions;
using ModelRegistry.IntegrationTests.Infrastructure;
using ModelRegistry.Tests.Cli;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Cli;

/// <summary>The commands beyond the everyday catalog: updating and locking models, verifying files, scanning, audit and keys.</summary>
public sealed class AdminCommandsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    private CliRunner Cli(string? key = RegistryApp.AdminKey) => new(App.CreateHandler(), key);

    private async Task<JsonElement> ModelAsync(string name) =>
        (await App.Scenario(s => { s.Get.Url($"{Models}/{name}"); s.StatusCodeShouldBe(200); })).Json;

    private static void Succeeded(CliResult result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\n{result.Out}\n{result.Error}");

    [Fact]
    public async Task Models_update_sets_the_description_and_replaces_the_tags()
    {
        var name = NewName("updated");
        await App.RegisterLocalVersion(name);

        var result = await Cli().RunAsync("models", "update", name, "--description", "small chat model", "--tag", "team=nlp", "--tag", "tier:gold");

        Succeeded(result);
        Assert.Contains($"Updated {name}: description small chat model; tags team:nlp, tier:gold", result.Out, StringComparison.Ordinal);
        var model = await ModelAsync(name);
        Assert.Equal("small chat model", model.Str("description"));
        Assert.Equal("""{"team":"nlp","tier":"gold"}""", JsonSerializer.Serialize(model.GetProperty("tags")));
    }

    [Fact]
    public async Task Models_update_without_a_change_is_a_wrong_command_line()
    {
        var result = await Cli().RunAsync("models", "update", NewName("unchanged"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--description", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_lock_refuses_changes_until_models_unlock()
    {
        var name = NewName("locked");
        await App.RegisterLocalVersion(name);

        var locked = await Cli().RunAsync("models", "lock", name, "--reason", "release freeze");
        var refused = await Cli().RunAsync("versions", "promote", name, "1");
        var unlocked = await Cli().RunAsync("models", "unlock", name, "--reason", "freeze over");
        var promoted = await Cli().RunAsync("versions", "promote", name, "1");

        Succeeded(locked);
        Assert.Contains($"Locked {name}: release freeze", locked.Out, StringComparison.Ordinal);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("(423)", refused.Error, StringComparison.Ordinal);
        Succeeded(unlocked);
        Assert.Contains($"Unlocked {name}", unlocked.Out, StringComparison.Ordinal);
        Succeeded(promoted);
        Assert.Equal(2, (await Cli().RunAsync("models", "lock", name)).ExitCode);
    }

    [Fact]
    public async Task Versions_verify_says_ready_for_a_whole_file_and_exits_1_once_it_is_gone()
    {
        var name = NewName("verified");
        var version = (await App.RegisterLocalVersion(name)).Json;

        var whole = await Cli().RunAsync("versions", "verify", name, "1");
        File.Delete(Path.Combine(App.StorageRoot, version.Str("local_path")!));
        var gone = await Cli().RunAsync("versions", "verify", name, "1");

        Succeeded(whole);
        Assert.Contains($"Verified {name} v1: stage staging, status ready", whole.Out, StringComparison.Ordinal);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains($"Verified {name} v1: stage staging, status missing", gone.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_registers_a_file_that_no_version_points_at()
    {
        var name = NewName("scanned");
        App.WriteFile($"{name}/weights.onnx");

        var result = await Cli().RunAsync("scan");

        Succeeded(result);
        Assert.Matches(new Regex($@"(?m)^\s*{name}\s+1\s+{name}/weights\.onnx\s"), result.Out);
        Assert.Matches(new Regex(@"registered [1-9]\d*, known \d+, skipped \d+, ignored \d+"), result.Out);
        Assert.Equal(1, (await ModelAsync(name)).Int("latest_version"));
    }

    [Fact]
    public async Task Audit_lists_the_events_of_a_type_a_model_and_an_actor()
    {
        var name = NewName("audited");
        await App.RegisterLocalVersion(name);
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 2);

        var result = await Cli().RunAsync("audit", "--model", name, "--type", "VersionPromoted", "--actor", "admin",
            "--from", "2000-01-01T00:00:00Z", "--limit", "10");

        Succeeded(result);
        var types = Regex.Matches(result.Out, @"Model\w+|Version\w+").Select(m => m.Value).ToList();
        Assert.Equal(["VersionPromoted"], types);
        Assert.Contains(name, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_create_prints_the_secret_once_list_shows_the_key_and_revoke_ends_it()
    {
        var name = NewName("ci");

        var created = await Cli().RunAsync("keys", "create", name, "--role", "publisher");
        var secret = created.Out.Trim();
        var listed = await Cli().RunAsync("keys", "list");
        var revoked = await Cli().RunAsync("keys", "revoke", name);
        var afterwards = await Cli(key: secret).RunAsync("keys", "list");

        Succeeded(created);
        Assert.Matches(new Regex(@"\Amr_[0-9a-f]{16}_\S+\z"), secret);
        Assert.Contains($"Created key {name} (publisher)", created.Error, StringComparison.Ordinal);
        Succeeded(listed);
        Assert.Matches(new Regex($@"(?m)^\s*{name}\s+publisher\s"), listed.Out);
        Assert.DoesNotContain(secret, listed.Out, StringComparison.Ordinal);
        Succeeded(revoked);
        Assert.Contains($"Revoked key {name}", revoked.Out, StringComparison.Ordinal);
        Assert.Equal(1, afterwards.ExitCode);
        Assert.Contains("(401)", afterwards.Error, StringComparison.Ordinal);
    }
}
