using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelRegistry.Catalog;
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

    public async Task InitializeAsync() => _app = await RegistryApp.StartAsync(db.ConnectionString, _root);

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

        var report = (await _app.Scenario(s => { s.Post.Url(Cleanup); s.StatusCodeShouldBe(200); })).Json;

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

        var report = (await _app.Scenario(s => { s.Post.Url(Cleanup); s.StatusCodeShouldBe(200); })).Json;

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
        await _app.Scenario(s =>
        {
            s.Post
                .SnakeJson(new { source = new { type = "url", uri = "https://models.example/m.onnx" }, sha256 = expected })
                .ToUrl($"{Models}/{remote}/versions");
            s.StatusCodeShouldBe(202);
        });
        Write($"blobs/sha256/{expected}", "expected", TwoDaysAgo);
        Write($".incomplete/{DownloadJob.IdFor(remote, 1)}.incomplete", "queued", TwoDaysAgo);

        var report = (await _app.Scenario(s => { s.Post.Url(Cleanup); s.StatusCodeShouldBe(200); })).Json;

        Assert.Empty(Removed(report));
        Assert.Equal(3, report.GetProperty("kept").GetInt32());
    }

    [Fact]
    public async Task A_publish_copy_a_crash_left_is_removed_unless_it_is_young_or_its_job_is_live()
    {
        var remote = NewName("cleanup-staging");
        await _app.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = "https://models.example/m.gguf" } }).ToUrl($"{Models}/{remote}/versions");
            s.StatusCodeShouldBe(202);
        });
        var orphan = $".incomplete/{Guid.NewGuid()}.publish";
        Write(orphan, "copy", TwoDaysAgo);
        Write($".incomplete/{Guid.NewGuid()}.publish", "young", DateTime.UtcNow.AddHours(-1));
        Write($".incomplete/{DownloadJob.IdFor(remote, 1)}.publish", "live", TwoDaysAgo);

        var report = (await _app.Scenario(s => { s.Post.Url(Cleanup); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal([(orphan, "staging", 4L)], Removed(report));
        Assert.Equal(2, report.GetProperty("kept").GetInt32());
        Assert.False(File.Exists(Path.Combine(_root, orphan)));
    }

    [Fact]
    public async Task Cleanup_never_deletes_a_file_a_version_references()
    {
        var tmp = $"models/a/1/m.gguf.{Guid.NewGuid()}.tmp";
        Write(tmp, "a ready version's weights", TwoDaysAgo);
        await _app.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = tmp } }).ToUrl($"{Models}/{NewName("cleanup-tmp")}/versions");
            s.StatusCodeShouldBe(201);
        });
        var partial = $".incomplete/{Guid.NewGuid()}.incomplete";
        var misnamedBlob = $"blobs/sha256/{Sha256("not this content")}";
        await RegisterOnRecordAsync(NewName("cleanup-partial"), partial, "registered before the directory was reserved");
        await RegisterOnRecordAsync(NewName("cleanup-blob"), misnamedBlob, "a blob whose name is not its hash");

        var report = (await _app.Scenario(s => { s.Post.Url(Cleanup); s.StatusCodeShouldBe(200); })).Json;

        Assert.Empty(Removed(report));
        Assert.All(new[] { tmp, partial, misnamedBlob }, path => Assert.True(File.Exists(Path.Combine(_root, path)), path));
    }

    [Fact]
    public async Task A_file_named_like_a_publish_copy_outside_the_incomplete_directory_is_never_removed()
    {
        var named = $"models/a/1/m.gguf.{Guid.NewGuid()}.tmp";
        Write(named, "a user's file", TwoDaysAgo);

        var report = (await _app.Scenario(s => { s.Post.Url(Cleanup); s.StatusCodeShouldBe(200); })).Json;

        Assert.Empty(Removed(report));
        Assert.True(File.Exists(Path.Combine(_root, named)));
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

        var report = (await _app.Scenario(s => { s.Post.Url(Cleanup); s.StatusCodeShouldBe(200); })).Json;

        Assert.Empty(Removed(report));
        Assert.True(File.Exists(outsideBlob));
    }

    [Fact]
    public async Task The_periodic_cleanup_removes_an_old_orphan_by_itself()
    {
        var orphan = Guid.NewGuid();
        Write($".incomplete/{orphan}.incomplete", "partial", TwoDaysAgo);
        var path = Path.Combine(_root, ".incomplete", $"{orphan}.incomplete");

        await using var cleaning = await RegistryApp.StartAsync(db.ConnectionString, _root,
            new Dictionary<string, string?> { ["Registry:Storage:CleanupInterval"] = "00:00:01" });

        // The run logs its report after it has removed the files: wait for the report, then look at the disk.
        await Eventually.HoldsAsync(() => Task.FromResult(cleaning.Logs.Any(l =>
            l.Message.StartsWith("The periodic storage cleanup of ", StringComparison.Ordinal) && l["Removed"] != "0")),
            () => "no periodic cleanup has removed anything yet");
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Cleanup_needs_credentials()
    {
        Write($"blobs/sha256/{Sha256("kept")}", "kept", TwoDaysAgo);

        (await _app.Scenario(s => { s.Post.Url(Cleanup); s.Anonymous(); s.StatusCodeShouldBe(401); })).Problem("unauthorized");

        Assert.True(File.Exists(Path.Combine(_root, "blobs", "sha256", Sha256("kept"))));
    }

    /// <summary>
    /// A ready local version of <paramref name="path"/> appended straight to the store, as one registered before
    /// the registry reserved that directory would be, once the catalog shows it.
    /// </summary>
    private async Task RegisterOnRecordAsync(string name, string path, string content)
    {
        Write(path, content, TwoDaysAgo);
        await using (var session = _app.Store.LightweightSession())
        {
            session.LastModifiedBy = "tester";
            session.Events.StartStream(CatalogStream.StreamId(name),
                new ModelRegistered(name, null, ImmutableDictionary<string, string>.Empty, "tester"),
                new VersionRegistered(1, new VersionSource(SourceType.Local, path, null, null), Sha256(content), ModelFormat.Other,
                    VersionMetadata.Empty, ArtifactStatus.Ready, path, Encoding.UTF8.GetByteCount(content)));
            await session.SaveChangesAsync();
        }

        await Eventually.HoldsAsync(async () =>
            (await _app.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/1"); s.IgnoreStatusCode(); })).Status == 200,
            () => $"{name} is not in the catalog yet");
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
