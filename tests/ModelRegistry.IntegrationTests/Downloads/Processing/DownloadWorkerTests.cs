using System.Collections.Immutable;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Downloads;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Jobs;
using ModelRegistry.IntegrationTests.Infrastructure;
using ModelRegistry.IntegrationTests.Jobs;

namespace ModelRegistry.IntegrationTests.Downloads.Processing;

public sealed class DownloadWorkerTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-worker-").FullName;
    private LoopbackServer _server = null!;
    private EventStoreHost _host = null!;

    private IJobQueue Jobs => _host.Queue();

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Registry:Downloads:AllowedHosts"] = $"127.0.0.1:{_server.Port}",
            ["Registry:HuggingFace:Endpoint"] = _server.Url("/hub"),
            ["Registry:Jobs:PollInterval"] = "00:00:00.020",
            ["Registry:Jobs:HeartbeatInterval"] = "00:00:00.050",
            ["Registry:Jobs:BaseBackoff"] = "00:00:00.010",
        }).Build();
        _host = await EventStoreHost.StartAsync(db.ConnectionString, EventTypes.Register, services =>
        {
            services.AddSingleton(TimeProvider.System);
            services.Configure<RegistryOptions>(o => o.Storage.Root = _root);
            services.AddCatalogReads();
            services.AddDownloadProcessing(configuration);
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_download_appends_started_then_downloaded_and_publishes_the_verified_file()
    {
        var content = Bytes(300_000);
        _server.MapFile("/files/tiny.gguf", content, "\"e1\"");
        var name = Name("org/tiny");
        var job = await RegisterAndQueueAsync(name, Url("/files/tiny.gguf"), Sha256(content));

        var done = await Jobs.WaitForAsync(job, j => j.IsFinished);

        Assert.Equal(JobState.Succeeded, done.State);
        var events = await EventsAsync(name);
        Assert.Equal(new VersionDownloadStarted(1, job), events[^2]);
        var downloaded = Assert.IsType<VersionDownloaded>(events[^1]);
        Assert.Equal($"{name}/1/tiny.gguf", downloaded.LocalPath);
        Assert.Equal((content.Length, Sha256(content), "\"e1\""), (downloaded.SizeBytes, downloaded.Sha256, downloaded.Etag));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_root, downloaded.LocalPath)));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_root, "blobs", "sha256", Sha256(content))));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, ".incomplete")));
        Assert.Equal(content.Length, done.Progress!.Value.GetProperty("bytesDone").GetInt64());
    }

    [Fact]
    public async Task A_download_whose_hash_does_not_match_fails_the_version_and_leaves_no_file()
    {
        _server.MapFile("/files/corrupt.bin", Bytes(200_000));
        var name = Name("corrupt");
        var job = await RegisterAndQueueAsync(name, Url("/files/corrupt.bin"), Sha256(Bytes(10)));

        var done = await Jobs.WaitForAsync(job, j => j.IsFinished);

        Assert.Equal(JobState.DeadLettered, done.State);
        Assert.Equal(1, done.Attempts);
        Assert.Contains("SHA-256", done.LastError, StringComparison.Ordinal);
        var failed = Assert.IsType<VersionDownloadFailed>((await EventsAsync(name))[^1]);
        Assert.Equal(done.LastError, failed.Reason);
        Assert.False(Directory.Exists(Path.Combine(_root, name)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, ".incomplete")));
    }

    [Fact]
    public async Task Cancelling_a_running_download_fails_the_version_and_removes_the_partial_file()
    {
        _server.MapFile("/files/slow.bin", Bytes(2_000_000), breakAfter: 500_000, stall: true);
        var name = Name("slow");
        var job = await RegisterAndQueueAsync(name, Url("/files/slow.bin"), null);
        await Jobs.WaitForAsync(job, j => j.Progress is { } p && p.GetProperty("bytesDone").GetInt64() > 0);

        Assert.Equal(CancelOutcome.Requested, await Jobs.RequestCancelAsync(job));

        var done = await Jobs.WaitForAsync(job, j => j.IsFinished);
        Assert.Equal(JobState.Cancelled, done.State);
        Assert.Equal(new VersionDownloadFailed(1, "The download was cancelled."), (await EventsAsync(name))[^1]);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, ".incomplete")));
    }

    [Fact]
    public async Task Two_versions_with_the_same_content_share_one_stored_blob()
    {
        var content = Bytes(100_000);
        _server.MapFile("/files/a.onnx", content);
        _server.MapFile("/files/b.onnx", content);
        var first = Name("same-a");
        var second = Name("same-b");

        await Jobs.WaitForAsync(await RegisterAndQueueAsync(first, Url("/files/a.onnx"), null), j => j.State == JobState.Succeeded);
        await Jobs.WaitForAsync(await RegisterAndQueueAsync(second, Url("/files/b.onnx"), Sha256(content)), j => j.State == JobState.Succeeded);

        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_root, first, "1", "a.onnx")));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_root, second, "1", "b.onnx")));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_root, "blobs", "sha256")), f => f.EndsWith(Sha256(content), StringComparison.Ordinal));
        Assert.Empty(_server.RequestsTo("/files/b.onnx"));
    }

    [Fact]
    public async Task A_hub_repository_without_a_file_resolves_its_one_model_file_and_records_the_commit()
    {
        var content = Bytes(150_000);
        _server.Map("/hub/api/models/TheBloke/Tiny/revision/main", http => http.Response.WriteAsJsonAsync(new
        {
            siblings = new[] { new { rfilename = "README.md" }, new { rfilename = "tiny.Q4_K_M.gguf" }, new { rfilename = "config.json" } },
        }));
        _server.MapRedirect("/hub/TheBloke/Tiny/resolve/main/tiny.Q4_K_M.gguf", "/lfs/tiny", headers:
        [
            ("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567"),
            ("X-Linked-Etag", $"\"{Sha256(content)}\""),
            ("X-Linked-Size", content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ]);
        _server.MapFile("/lfs/tiny", content);
        var name = Name("TheBloke/Tiny");
        var job = await RegisterAndQueueAsync(name, null, null, new VersionSource(SourceType.Huggingface, "TheBloke/Tiny", "main", null));

        await Jobs.WaitForAsync(job, j => j.State == JobState.Succeeded);

        var downloaded = Assert.IsType<VersionDownloaded>((await EventsAsync(name))[^1]);
        Assert.Equal("0123456789abcdef0123456789abcdef01234567", downloaded.ResolvedRevision);
        Assert.Equal(_server.Url("/hub/TheBloke/Tiny/resolve/main/tiny.Q4_K_M.gguf"), downloaded.ResolvedUri);
        Assert.Equal(Sha256(content), downloaded.Sha256);
        Assert.Equal($"{name}/1/tiny.Q4_K_M.gguf", downloaded.LocalPath);
    }

    [Fact]
    public async Task A_hub_file_name_that_leaves_the_repository_is_never_requested_and_fails_the_download()
    {
        var repo = $"org{Guid.NewGuid():N}"[..11] + "/Tiny";
        var listing = $"/hub/api/models/{repo}/revision/main";
        _server.Map(listing, http => http.Response.WriteAsJsonAsync(new
        {
            siblings = new[] { new { rfilename = "README.md" }, new { rfilename = "../../x.gguf" } },
        }));
        var name = Name("escape");
        var job = await RegisterAndQueueAsync(name, null, null, new VersionSource(SourceType.Huggingface, repo, "main", null));

        var done = await Jobs.WaitForAsync(job, j => j.IsFinished);

        Assert.All(_server.Requests, r => Assert.Equal(listing, r.Path));
        Assert.Equal(JobState.DeadLettered, done.State);
        Assert.Contains("not a file path inside the repository", done.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hub_listing_with_an_invalid_file_name_beside_the_model_file_downloads_the_model_file()
    {
        var content = Bytes(10_000);
        var repo = $"org{Guid.NewGuid():N}"[..11] + "/Tiny";
        _server.Map($"/hub/api/models/{repo}/revision/main", http => http.Response.WriteAsJsonAsync(new
        {
            siblings = new[] { new { rfilename = "tiny.gguf" }, new { rfilename = "../../x.gguf" }, new { rfilename = "/etc/y.gguf" } },
        }));
        _server.MapFile($"/hub/{repo}/resolve/main/tiny.gguf", content);
        var name = Name("beside");
        var job = await RegisterAndQueueAsync(name, null, null, new VersionSource(SourceType.Huggingface, repo, "main", null));

        await Jobs.WaitForAsync(job, j => j.State == JobState.Succeeded);

        Assert.Equal($"{name}/1/tiny.gguf", Assert.IsType<VersionDownloaded>((await EventsAsync(name))[^1]).LocalPath);
        Assert.DoesNotContain(_server.Requests, r => r.Path.EndsWith("/x.gguf", StringComparison.Ordinal) || r.Path.EndsWith("/y.gguf", StringComparison.Ordinal));
    }

    private async Task<Guid> RegisterAndQueueAsync(string name, string? url, string? sha256, VersionSource? source = null)
    {
        source ??= new VersionSource(SourceType.Url, url!, null, null);
        await _host.Store.AppendAsync(CatalogStream.StreamId(name), "model", ExpectedVersion.NoStream,
        [
            new NewEvent(new ModelRegistered(name, null, ImmutableDictionary<string, string>.Empty, "tester")),
            new NewEvent(new VersionRegistered(1, source, sha256, ModelFormat.Other, VersionMetadata.Empty, ArtifactStatus.Pending, null, null)),
        ], new EventMetadata("tester"));
        return await Jobs.EnqueueAsync(DownloadJob.Queue, new DownloadJob(name, 1, source, sha256, "tester", null), maxAttempts: 2,
            id: DownloadJob.IdFor(name, 1));
    }

    private async Task<IReadOnlyList<object>> EventsAsync(string name) =>
        (await _host.Store.ReadStreamAsync(CatalogStream.StreamId(name))).Select(e => e.Data).ToList();

    private string Url(string path) => _server.Url(path);

    private static string Name(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private static byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
