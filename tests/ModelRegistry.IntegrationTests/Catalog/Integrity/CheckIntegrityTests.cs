using System.Security.Cryptography;
using System.Text.Json;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using ModelRegistry.IntegrationTests.Jobs;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Integrity;

public sealed class CheckIntegrityTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task An_intact_file_stays_ready_and_its_check_appends_nothing()
    {
        var (name, _) = await RegisterAsync("intact");

        var version = (await App.Scenario(s => s.Post.ToUrl(Verify(name)), expect: 200)).Json;

        Assert.Equal("ready", version.Str("status"));
        Assert.Equal(["ModelRegistered", "VersionRegistered"], (await App.StreamAsync(name)).Types());
    }

    [Fact]
    public async Task A_deleted_file_makes_its_version_missing_and_the_restored_file_makes_it_ready_again()
    {
        var (name, path) = await RegisterAsync("deleted");
        var content = await File.ReadAllBytesAsync(path);
        File.Delete(path);

        var missing = (await App.Scenario(s => s.Post.ToUrl(Verify(name)), expect: 200)).Json;

        Assert.Equal("missing", missing.Str("status"));
        Assert.Equal("missing", (await App.Scenario(s => s.Get.ToUrl($"{Models}/{name}/versions/1"), expect: 200)).Json.Str("status"));
        Assert.Equal(new ArtifactMissing(1), (await App.StreamAsync(name))[^1].Data);
        await App.Scenario(s => s.Post.ToUrl(Verify(name)), expect: 200);
        Assert.Equal(3, (await App.StreamAsync(name)).Count);

        await File.WriteAllBytesAsync(path, content);
        var restored = (await App.Scenario(s => s.Post.ToUrl(Verify(name)), expect: 200)).Json;

        Assert.Equal("ready", restored.Str("status"));
        Assert.Equal(["ModelRegistered", "VersionRegistered", "ArtifactMissing", "ArtifactVerified"], (await App.StreamAsync(name)).Types());
    }

    [Fact]
    public async Task A_changed_file_makes_its_version_corrupted_and_the_model_list_shows_it()
    {
        var (name, path) = await RegisterAsync("changed");
        var expected = (await App.Scenario(s => s.Get.ToUrl($"{Models}/{name}/versions/1"), expect: 200)).Json.Str("sha256")!;
        await File.WriteAllTextAsync(path, "tampered");

        var corrupted = (await App.Scenario(s => s.Post.ToUrl(Verify(name)), expect: 200)).Json;

        Assert.Equal("corrupted", corrupted.Str("status"));
        var recorded = Assert.IsType<ArtifactCorrupted>((await App.StreamAsync(name))[^1].Data);
        Assert.Equal(new ArtifactCorrupted(1, expected, Convert.ToHexStringLower(SHA256.HashData("tampered"u8))), recorded);
        var listed = (await App.Scenario(s => s.Get.ToUrl($"{Models}?status=corrupted&q={name}"), expect: 200)).Json;
        Assert.Equal([name], listed.GetProperty("items").EnumerateArray().Select(m => m.Str("name")));
    }

    [Fact]
    public async Task Checking_every_file_records_and_reports_only_what_changed()
    {
        var (intact, _) = await RegisterAsync("all-intact");
        var (gone, path) = await RegisterAsync("all-gone");
        File.Delete(path);

        var first = (await App.Scenario(s => s.Post.ToUrl("/api/v1/integrity"), expect: 200)).Json;
        var second = (await App.Scenario(s => s.Post.ToUrl("/api/v1/integrity"), expect: 200)).Json;

        Assert.Contains(Changes(first), c => c == (gone, 1, "ready", "missing"));
        Assert.DoesNotContain(Changes(first), c => c.Name == intact);
        Assert.DoesNotContain(Changes(second), c => c.Name == gone || c.Name == intact);
        Assert.True(second.Int("checked") >= 2 && second.Int("missing") >= 1);
        Assert.Equal(["ModelRegistered", "VersionRegistered", "ArtifactMissing"], (await App.StreamAsync(gone)).Types());
        Assert.Equal(["ModelRegistered", "VersionRegistered"], (await App.StreamAsync(intact)).Types());
        Assert.Equal("integrity check", (await App.StreamAsync(gone))[^1].Metadata.Reason);
    }

    [Fact]
    public async Task The_periodic_check_finds_a_deleted_file_by_itself()
    {
        var (name, path) = await RegisterAsync("periodic");
        File.Delete(path);

        await using var checking = fixture.Start(new Dictionary<string, string?> { ["Registry:Integrity:Interval"] = "00:00:00.200" });

        await Eventually.HoldsAsync(async () =>
            (await checking.Scenario(s => s.Get.ToUrl($"{Models}/{name}/versions/1"), expect: 200)).Json.Str("status") == "missing");
        var recorded = (await App.StreamAsync(name))[^1];
        Assert.Equal(("ArtifactMissing", "integrity"), (recorded.Type, recorded.Metadata.Actor));
    }

    [Fact]
    public async Task A_version_without_a_file_has_nothing_to_verify()
    {
        var name = NewName("integrity-pending");
        await App.RegisterUrlVersion(name);

        (await App.Scenario(s => s.Post.ToUrl(Verify(name)), expect: 409)).Problem("no-artifact");
        (await App.Scenario(s => s.Post.ToUrl($"{Models}/{name}/versions/9/verify"), expect: 404)).Problem("version-not-found");
        (await App.Scenario(s => s.Post.ToUrl($"{Models}/{NewName("integrity-unknown")}/versions/1/verify"), expect: 404)).Problem("model-not-found");
    }

    [Fact]
    public async Task Checking_needs_credentials()
    {
        var (name, path) = await RegisterAsync("anonymous");
        File.Delete(path);

        (await App.Scenario(s => s.Post.ToUrl(Verify(name)).Anonymous(), expect: 401)).Problem("unauthorized");
        (await App.Scenario(s => s.Post.ToUrl("/api/v1/integrity").Anonymous(), expect: 401)).Problem("unauthorized");

        Assert.Equal(["ModelRegistered", "VersionRegistered"], (await App.StreamAsync(name)).Types());
    }

    private async Task<(string Name, string Path)> RegisterAsync(string prefix)
    {
        var name = NewName("integrity-" + prefix);
        var version = (await App.RegisterLocalVersion(name)).Json;
        return (name, Path.Combine(App.StorageRoot, version.Str("local_path")!));
    }

    private static string Verify(string name) => $"{Models}/{name}/versions/1/verify";

    private static IEnumerable<(string? Name, int Version, string? PreviousStatus, string? Status)> Changes(JsonElement report) =>
        report.GetProperty("changed").EnumerateArray().Select(c => (c.Str("name"), c.Int("version"), c.Str("previous_status"), c.Str("status")));
}
