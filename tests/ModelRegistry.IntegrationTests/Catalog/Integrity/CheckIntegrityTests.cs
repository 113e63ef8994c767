using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Integrity;

public sealed class CheckIntegrityTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private const string Foreign = "root:$y$j9T$foreign-secret:19000:0:99999:7:::";

    private readonly string _outsideRoot = Directory.CreateTempSubdirectory("mr-integrity-outside-").FullName;

    private RegistryApp App => fixture.App;

    public void Dispose() => Directory.Delete(_outsideRoot, recursive: true);

    [Fact]
    public async Task An_intact_file_stays_ready_and_its_check_appends_nothing()
    {
        var (name, _) = await RegisterAsync("intact");

        var version = (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal("ready", version.Str("status"));
        Assert.Equal(["ModelRegistered", "VersionRegistered"], (await App.StreamAsync(name)).Types());
    }

    [Fact]
    public async Task A_deleted_file_makes_its_version_missing_and_the_restored_file_makes_it_ready_again()
    {
        var (name, path) = await RegisterAsync("deleted");
        var content = await File.ReadAllBytesAsync(path);
        File.Delete(path);

        var missing = (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal("missing", missing.Str("status"));
        var version = await App.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/1"); s.StatusCodeShouldBe(200); });
        Assert.Equal("missing", version.Json.Str("status"));
        Assert.Equal(new ArtifactMissing(1), (await App.StreamAsync(name))[^1].Data);
        await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); });
        Assert.Equal(3, (await App.StreamAsync(name)).Count);

        await File.WriteAllBytesAsync(path, content);
        var restored = (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal("ready", restored.Str("status"));
        Assert.Equal(["ModelRegistered", "VersionRegistered", "ArtifactMissing", "ArtifactVerified"], (await App.StreamAsync(name)).Types());
    }

    [Fact]
    public async Task A_changed_file_makes_its_version_corrupted_and_the_model_list_shows_it()
    {
        var (name, path) = await RegisterAsync("changed");
        var expected = (await App.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/1"); s.StatusCodeShouldBe(200); })).Json.Str("sha256")!;
        await File.WriteAllTextAsync(path, "tampered");

        var corrupted = (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal("corrupted", corrupted.Str("status"));
        var recorded = Assert.IsType<ArtifactCorrupted>((await App.StreamAsync(name))[^1].Data);
        Assert.Equal(new ArtifactCorrupted(1, expected, Convert.ToHexStringLower(SHA256.HashData("tampered"u8))), recorded);
        var listed = (await App.Scenario(s => { s.Get.Url($"{Models}?status=corrupted&q={name}"); s.StatusCodeShouldBe(200); })).Json;
        Assert.Equal([name], listed.GetProperty("items").EnumerateArray().Select(m => m.Str("name")));
    }

    [Fact]
    public async Task A_file_swapped_for_a_link_out_of_the_root_is_corrupted_and_nothing_of_the_linked_file_is_recorded()
    {
        var (name, path) = await RegisterAsync("link-out");
        var foreign = WriteOutside("shadow", Foreign);
        File.Delete(path);
        File.CreateSymbolicLink(path, foreign);

        var version = (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal("corrupted", version.Str("status"));
        Assert.Null(Assert.IsType<ArtifactCorrupted>((await App.StreamAsync(name))[^1].Data).ActualSha256);
        await AssertNothingOfTheForeignFileIsShownAsync(name);
    }

    [Fact]
    public async Task A_directory_on_the_way_swapped_for_a_link_out_of_the_root_is_not_followed_even_to_the_same_content()
    {
        var (name, path) = await RegisterAsync("dir-out");
        var directory = Path.GetDirectoryName(path)!;
        var copy = Directory.CreateDirectory(Path.Combine(_outsideRoot, "copy")).FullName;
        File.Copy(path, Path.Combine(copy, Path.GetFileName(path)));
        Directory.Delete(directory, recursive: true);
        Directory.CreateSymbolicLink(directory, copy);

        var version = (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal("corrupted", version.Str("status"));
        Assert.Null(Assert.IsType<ArtifactCorrupted>((await App.StreamAsync(name))[^1].Data).ActualSha256);
    }

    [Fact]
    public async Task A_link_to_a_device_is_corrupted_without_being_read()
    {
        var (name, path) = await RegisterAsync("device");
        File.Delete(path);
        File.CreateSymbolicLink(path, "/dev/zero");

        var version = (await Unhung(App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); }))).Json;

        Assert.Equal("corrupted", version.Str("status"));
    }

    [Fact]
    public async Task A_fifo_in_place_of_the_file_is_corrupted_without_waiting_for_a_writer()
    {
        var (name, path) = await RegisterAsync("fifo");
        File.Delete(path);
        using (var mkfifo = Process.Start("mkfifo", path))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var version = (await Unhung(App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); }))).Json;

        Assert.Equal("corrupted", version.Str("status"));
    }

    [Fact]
    public async Task A_file_longer_than_recorded_is_corrupted_without_being_read_past_its_recorded_size()
    {
        var (name, path) = await RegisterAsync("longer");
        await File.AppendAllTextAsync(path, "appended");

        var version = (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal("corrupted", version.Str("status"));
        Assert.Null(Assert.IsType<ArtifactCorrupted>((await App.StreamAsync(name))[^1].Data).ActualSha256);
    }

    [Fact]
    public async Task A_link_that_stays_inside_the_root_is_still_followed()
    {
        var name = NewName("integrity-alias");
        var target = App.WriteFile($"{name}/real.gguf", "real weights");
        File.CreateSymbolicLink(Path.Combine(App.StorageRoot, name, "alias.gguf"), Path.Combine(App.StorageRoot, target));
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = $"{name}/alias.gguf" } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(201);
        });

        var version = (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal("ready", version.Str("status"));
    }

    [Fact]
    public async Task Checking_every_file_neither_hangs_on_a_device_nor_records_a_foreign_file()
    {
        var (device, devicePath) = await RegisterAsync("all-device");
        File.Delete(devicePath);
        File.CreateSymbolicLink(devicePath, "/dev/zero");
        var (linked, linkedPath) = await RegisterAsync("all-link-out");
        File.Delete(linkedPath);
        File.CreateSymbolicLink(linkedPath, WriteOutside("all-shadow", Foreign));

        var report = (await Unhung(App.Scenario(s => { s.Post.Url("/api/v1/integrity"); s.StatusCodeShouldBe(200); }))).Json;

        Assert.Contains(Changes(report), c => c == (device, 1, "ready", "corrupted"));
        Assert.Contains(Changes(report), c => c == (linked, 1, "ready", "corrupted"));
        Assert.DoesNotContain(ForeignSha256, report.GetRawText(), StringComparison.Ordinal);
        await AssertNothingOfTheForeignFileIsShownAsync(linked);
    }

    [Fact]
    public async Task A_file_url_outside_the_root_is_verified_in_place_but_a_link_swapped_in_there_is_not_followed()
    {
        await using var allowing = await fixture.StartAsync(new Dictionary<string, string?> { ["Registry:Downloads:AllowFileUrls"] = "true" });
        var name = NewName("integrity-file-url");
        var outside = WriteOutside("model.onnx", "onnx weights");
        await allowing.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = new Uri(outside).AbsoluteUri } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(201);
        });
        var intact = (await allowing.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;
        var same = WriteOutside("same.onnx", "onnx weights");
        File.Delete(outside);
        File.CreateSymbolicLink(outside, same);

        var swapped = (await allowing.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal(("ready", "corrupted"), (intact.Str("status"), swapped.Str("status")));
    }

    [Fact]
    public async Task Checking_every_file_records_and_reports_only_what_changed()
    {
        var (intact, _) = await RegisterAsync("all-intact");
        var (gone, path) = await RegisterAsync("all-gone");
        File.Delete(path);

        var first = (await App.Scenario(s => { s.Post.Url("/api/v1/integrity"); s.StatusCodeShouldBe(200); })).Json;
        var second = (await App.Scenario(s => { s.Post.Url("/api/v1/integrity"); s.StatusCodeShouldBe(200); })).Json;

        Assert.Contains(Changes(first), c => c == (gone, 1, "ready", "missing"));
        Assert.DoesNotContain(Changes(first), c => c.Name == intact);
        Assert.DoesNotContain(Changes(second), c => c.Name == gone || c.Name == intact);
        Assert.True(second.Int("checked") >= 2 && second.Int("missing") >= 1);
        Assert.Equal(["ModelRegistered", "VersionRegistered", "ArtifactMissing"], (await App.StreamAsync(gone)).Types());
        Assert.Equal(["ModelRegistered", "VersionRegistered"], (await App.StreamAsync(intact)).Types());
        Assert.Equal("integrity check", (await App.StreamAsync(gone))[^1].Reason());
    }

    [Fact]
    public async Task The_periodic_check_finds_a_deleted_file_by_itself()
    {
        var (name, path) = await RegisterAsync("periodic");
        File.Delete(path);

        await using var checking = await fixture.StartAsync(new Dictionary<string, string?> { ["Registry:Integrity:Interval"] = "00:00:01" });

        await Eventually.HoldsAsync(async () =>
            (await checking.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/1"); s.StatusCodeShouldBe(200); })).Json.Str("status") == "missing");
        var recorded = (await App.StreamAsync(name))[^1];
        Assert.Equal(("ArtifactMissing", "integrity"), (recorded.EventTypeName, recorded.UserName));
    }

    [Fact]
    public async Task A_version_without_a_file_has_nothing_to_verify()
    {
        var name = NewName("integrity-pending");
        await App.RegisterUrlVersion(name);

        (await App.Scenario(s => { s.Post.Url(Verify(name)); s.StatusCodeShouldBe(409); })).Problem("no-artifact");
        (await App.Scenario(s => { s.Post.Url($"{Models}/{name}/versions/9/verify"); s.StatusCodeShouldBe(404); })).Problem("version-not-found");
        var unknown = NewName("integrity-unknown");
        (await App.Scenario(s => { s.Post.Url($"{Models}/{unknown}/versions/1/verify"); s.StatusCodeShouldBe(404); })).Problem("model-not-found");
    }

    [Fact]
    public async Task Checking_needs_credentials()
    {
        var (name, path) = await RegisterAsync("anonymous");
        File.Delete(path);

        (await App.Scenario(s => { s.Post.Url(Verify(name)); s.Anonymous(); s.StatusCodeShouldBe(401); })).Problem("unauthorized");
        (await App.Scenario(s => { s.Post.Url("/api/v1/integrity"); s.Anonymous(); s.StatusCodeShouldBe(401); })).Problem("unauthorized");

        Assert.Equal(["ModelRegistered", "VersionRegistered"], (await App.StreamAsync(name)).Types());
    }

    private static string ForeignSha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Foreign)));

    /// <summary>Fails instead of hanging the run when a check reads without end.</summary>
    private static Task<T> Unhung<T>(Task<T> check) => check.WaitAsync(TimeSpan.FromMinutes(1));

    private string WriteOutside(string fileName, string content)
    {
        var path = Path.Combine(_outsideRoot, fileName);
        File.WriteAllText(path, content);
        return path;
    }

    private async Task AssertNothingOfTheForeignFileIsShownAsync(string name)
    {
        var history = await App.Scenario(s => { s.Get.Url($"{Models}/{name}/history"); s.StatusCodeShouldBe(200); });
        var version = await App.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/1"); s.StatusCodeShouldBe(200); });
        Assert.DoesNotContain(ForeignSha256, history.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(ForeignSha256, version.Text, StringComparison.Ordinal);
        Assert.DoesNotContain($"\"size_bytes\":{Encoding.UTF8.GetByteCount(Foreign)}", version.Text, StringComparison.Ordinal);
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
