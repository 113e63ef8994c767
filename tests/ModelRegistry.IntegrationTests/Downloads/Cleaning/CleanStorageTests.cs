using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelRegistry.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Downloads.Cleaning;

public sealed class CleanStorageTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string Cleanup = "/api/v1/storage/cleanup";
    private static readonly DateTime TwoDaysAgo = DateTime.UtcNow.AddDays(-2);
    private readonly string _root = Directory.CreateTempSubdirectory("mr-cleanup-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("mr-cleanup-outside-").FullName;
    private RegistryApp _app = null!;

    public Task InitializeAsync()
    {
        _app = RegistryApp.Start(db.ConnectionString, _root);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public async Task Old_partial_files_no_job_owns_and_old_blobs_no_version_refers_to_are_removed()
    {
        var orphan = Guid.NewGuid();
        Write($".incomplete/{orphan}.incomplete", "partial", TwoDaysAgo);
        Write($".incomplete/{orphan}.resume.json", "{}", TwoDaysAgo);
        var blob = Sha256("nobody's");
        Write($"blobs/sha256/{blob}", "nobody's", TwoDaysAgo);

        var report = (await _app.Scenario(s => s.Post.ToUrl(Cleanup), expect: 200)).Json;

        Assert.Equal(
            [($".incomplete/{orphan}.incomplete", "incomplete", 7L), ($".incomplete/{orphan}.resume.json", "incomplete", 2L), ($"blobs/sha256/{blob}", "blob", 8L)],
            Removed(report).OrderBy(r => r.Path, StringComparer.Ordinal));
        Assert.Equal(17, report.GetProperty("removed_bytes").GetInt64());
        Assert.False(File.Exists(Path.Combine(_root, ".incomplete", $"{orphan}.incomplete")));
        Assert.False(File.Exists(Path.Combine(_root, "blobs", "sha256", blob)));
    }

    [Fact]
    public async Task Files_younger_than_the_cleanup_age_are_kept()
    {
        Write($".incomplete/{Guid.NewGuid()}.incomplete", "partial", DateTime.UtcNow.AddHours(-1));
        Write($"blobs/sha256/{Sha256("young")}", "young", DateTime.UtcNow.AddHours(-1));

        var report = (await _app.Scenario(s => s.Post.ToUrl(Cleanup), expect: 200)).Json;

        Assert.Empty(Removed(report));
        Assert.Equal(2, report.GetProperty("kept").GetInt32());
    }

    [Fact]
    public async Task A_blob_a_version_refers_to_and_the_partial_file_of_a_queued_download_are_kept_however_old()
    {
        var local = NewName("cleanup-local");
        var registered = (await _app.RegisterLocalVersion(local)).Json;
        Write($"blobs/sha256/{registered.Str("sha256")}", "the local version's content", TwoDaysAgo);
        var remote = NewName("cleanup-remote");
        var expected = Sha256("expected");
        await _app.Scenario(s => s.Post.Json(new { source = new { type = "url", uri = "https://models.example/m.onnx" }, sha256 = expected })
            .ToUrl($"{Models}/{remote}/versions"), expect: 202);
        Write($"blobs/sha256/{expected}", "expected", TwoDaysAgo);
        Write($".incomplete/{DownloadJob.IdFor(remote, 1)}.incomplete", "queued", TwoDaysAgo);

        var report = (await _app.Scenario(s => s.Post.ToUrl(Cleanup), expect: 200)).Json;

        Assert.Empty(Removed(report));
        Assert.Equal(3, report.GetProperty("kept").GetInt32());
    }

    [Fact]
    public async Task A_publish_copy_a_crash_left_is_removed_unless_it_is_young_or_its_job_is_live()
    {
        var remote = NewName("cleanup-staging");
        await _app.Scenario(s => s.Post.Json(new { source = new { type = "url", uri = "https://models.example/m.gguf" } })
            .ToUrl($"{Models}/{remote}/versions"), expect: 202);
        var orphan = $"models/a/1/m.gguf.{Guid.NewGuid()}.tmp";
        Write(orphan, "copy", TwoDaysAgo);
        Write($"models/b/1/m.gguf.{Guid.NewGuid()}.tmp", "young", DateTime.UtcNow.AddHours(-1));
        Write($"models/{remote}/1/m.gguf.{DownloadJob.IdFor(remote, 1)}.tmp", "live", TwoDaysAgo);
        Write("models/c/notes.tmp", "not a publish copy", TwoDaysAgo);
        var outside = Path.Combine(_outside, $"m.gguf.{Guid.NewGuid()}.tmp");
        File.WriteAllText(outside, "outside");
        File.SetLastWriteTimeUtc(outside, TwoDaysAgo);
        Directory.CreateSymbolicLink(Path.Combine(_root, "linked"), _outside);

        var report = (await _app.Scenario(s => s.Post.ToUrl(Cleanup), expect: 200)).Json;

        Assert.Equal([(orphan, "staging", 4L)], Removed(report));
        Assert.Equal(2, report.GetProperty("kept").GetInt32());
        Assert.False(File.Exists(Path.Combine(_root, orphan)));
        Assert.True(File.Exists(Path.Combine(_root, "models", "c", "notes.tmp")));
        Assert.True(File.Exists(outside));
    }

    [Fact]
    public async Task Cleanup_never_follows_a_symbolic_link_out_of_the_root()
    {
        var outsideBlob = Path.Combine(_outside, Sha256("outside"));
        File.WriteAllText(outsideBlob, "outside");
        File.SetLastWriteTimeUtc(outsideBlob, TwoDaysAgo);
        Directory.CreateDirectory(Path.Combine(_root, "blobs"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "blobs", "sha256"), _outside);
        Directory.CreateDirectory(Path.Combine(_root, ".incomplete"));
        File.CreateSymbolicLink(Path.Combine(_root, ".incomplete", $"{Guid.NewGuid()}.incomplete"), outsideBlob);

        var report = (await _app.Scenario(s => s.Post.ToUrl(Cleanup), expect: 200)).Json;

        Assert.Empty(Removed(report));
        Assert.True(File.Exists(outsideBlob));
    }

    [Fact]
    public async Task Cleanup_needs_credentials()
    {
        Write($"blobs/sha256/{Sha256("kept")}", "kept", TwoDaysAgo);

        (await _app.Scenario(s => s.Post.ToUrl(Cleanup).Anonymous(), expect: 401)).Problem("unauthorized");

        Assert.True(File.Exists(Path.Combine(_root, "blobs", "sha256", Sha256("kept"))));
    }

    private void Write(string relative, string content, DateTime lastWriteUtc)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, lastWriteUtc);
    }

    private static IEnumerable<(string? Path, string? Kind, long Size)> Removed(JsonElement report) =>
        report.GetProperty("removed").EnumerateArray().Select(r => (r.Str("path"), r.Str("kind"), r.GetProperty("size_bytes").GetInt64()));

    private static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}
