using System.Collections.Immutable;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Downloads;
using ModelRegistry.Downloads.State;
using ModelRegistry.Downloads.Tracking;
using Marten;
using Wolverine.Marten.Publishing;
using Wolverine.Runtime;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Downloads.Processing;

/// <summary>
/// The download worker behind the durable <c>downloads</c> queue, fed as registering feeds it: a version's events and its
/// download (document and message) in one append's transaction.
/// </summary>
public sealed class DownloadWorkerTests(TestDatabase db) : DownloadsTestClass(db), IClassFixture<TestDatabase>
{
    private string _root => Root;

    private LoopbackServer _server => Server;

    private DownloadRecords Records => App.Services.GetRequiredService<DownloadRecords>();

    [Fact]
    public async Task A_download_appends_started_then_downloaded_and_publishes_the_verified_file()
    {
        var content = Bytes(300_000);
        _server.MapFile("/files/tiny.gguf", content, "\"e1\"");
        var name = Name("org/tiny");
        var job = await RegisterAndQueueAsync(name, Url("/files/tiny.gguf"), Sha256(content));

        var done = await WaitForAsync(job, j => j.IsFinished);

        Assert.Equal(DownloadStates.Succeeded, done.State);
        var events = await EventsAsync(name);
        Assert.Equal(new VersionDownloadStarted(1, job), events[^2]);
        var downloaded = Assert.IsType<VersionDownloaded>(events[^1]);
        Assert.Equal($"{name}/1/tiny.gguf", downloaded.LocalPath);
        Assert.Equal((content.Length, Sha256(content), "\"e1\""), (downloaded.SizeBytes, downloaded.Sha256, downloaded.Etag));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_root, downloaded.LocalPath)));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_root, "blobs", "sha256", Sha256(content))));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, ".incomplete")));
        Assert.Equal(content.Length, (await Records.GetProgressAsync(job, default))!.BytesDone);
    }

    [Fact]
    public async Task A_download_whose_hash_does_not_match_fails_the_version_and_leaves_no_file()
    {
        _server.MapFile("/files/corrupt.bin", Bytes(200_000));
        var name = Name("corrupt");
        var job = await RegisterAndQueueAsync(name, Url("/files/corrupt.bin"), Sha256(Bytes(10)));

        var done = await WaitForAsync(job, j => j.IsFinished);

        Assert.Equal(DownloadStates.Failed, done.State);
        Assert.Equal(1, done.Attempts);
        Assert.Contains("SHA-256", done.LastError, StringComparison.Ordinal);
        var failed = Assert.IsType<VersionDownloadFailed>((await EventsAsync(name))[^1]);
        Assert.Equal(done.LastError, failed.Reason);
        Assert.False(Directory.Exists(Path.Combine(_root, name)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_root, ".incomplete")));
        Assert.Single(_server.RequestsTo("/files/corrupt.bin"));
        await Eventually.HoldsAsync(async () => await DeadLettersAsync(job) == 1);
        Assert.Equal(0, await MessagesAsync(job));
    }

    [Fact]
    public async Task A_download_stored_in_a_registration_that_rolls_back_leaves_no_download_and_no_message()
    {
        var name = Name("rolled-back");

        // The registration's transaction fails at its commit, after its events, its download and its message were stored in it.
        await Assert.ThrowsAnyAsync<Exception>(() => RegisterAndQueueAsync(name, Url("/files/never.bin"), null,
            alsoInTransaction: session => session.QueueSqlCommand("SELECT 1 / 0")));

        var id = DownloadJob.IdFor(name, 1);
        Assert.Null(await Records.GetAsync(id, default));
        Assert.Equal(0, await MessagesAsync(id));
        Assert.Equal(0, await DeadLettersAsync(id));
        Assert.Empty(await EventsAsync(name));
        await Task.Delay(300);
        Assert.Empty(_server.RequestsTo("/files/never.bin"));
    }

    [Fact]
    public async Task A_download_that_keeps_failing_is_retried_after_a_backoff_then_dead_lettered_with_VersionDownloadFailed()
    {
        var times = new List<DateTime>();
        _server.Map("/files/flaky.bin", http =>
        {
            lock (times)
            {
                times.Add(DateTime.UtcNow);
            }

            return Results.StatusCode(503).ExecuteAsync(http);
        });
        var name = Name("flaky");
        var job = await RegisterAndQueueAsync(name, Url("/files/flaky.bin"), null);

        var done = await WaitForAsync(job, j => j.IsFinished);

        Assert.Equal(DownloadStates.Failed, done.State);
        Assert.Equal(done.MaxAttempts, done.Attempts);
        Assert.Equal(done.MaxAttempts, times.Count);
        // Base backoff 50 ms, doubling, with equal jitter: each wait is at least half its doubling delay.
        for (var i = 1; i < times.Count; i++)
        {
            Assert.True(times[i] - times[i - 1] >= TimeSpan.FromMilliseconds(25 * Math.Pow(2, i - 1)), $"retry {i} came after {(times[i] - times[i - 1]).TotalMilliseconds} ms");
        }

        Assert.Contains("503", done.LastError, StringComparison.Ordinal);
        var failed = Assert.IsType<VersionDownloadFailed>((await EventsAsync(name))[^1]);
        Assert.Equal(done.LastError, failed.Reason);
        Assert.Single((await EventsAsync(name)).OfType<VersionDownloadFailed>());
        await Eventually.HoldsAsync(async () => await DeadLettersAsync(job) == 1);
    }

    [Fact]
    public async Task A_worker_whose_download_was_claimed_again_stops_and_cannot_publish_late()
    {
        _server.MapFile("/files/stale.bin", Bytes(2_000_000), breakAfter: 500_000, stall: true);
        var name = Name("stale");
        var job = await RegisterAndQueueAsync(name, Url("/files/stale.bin"), null);
        await WaitForProgressAsync(job);

        // Another instance's claim, as after this one was taken for dead: the attempt count (the fence) moves on.
        await Records.ChangeAsync(job, r =>
        {
            (r.Attempts, r.ClaimedBy) = (r.Attempts + 1, "another-instance");
            return true;
        }, default);

        await Eventually.HoldsAsync(() => Task.FromResult(App.Logs.Any(l => l.Message.Contains("was claimed again", StringComparison.Ordinal))));
        await using (var session = App.Store.LightweightSession())
        {
            await Assert.ThrowsAsync<DownloadClaimLostException>(() => Records.CompleteAsync(session, job, fence: 1, default));
        }

        var record = await Records.GetAsync(job, default);
        Assert.Equal((DownloadStates.Running, 2, "another-instance"), (record!.State, record.Attempts, record.ClaimedBy));
        Assert.DoesNotContain(await EventsAsync(name), e => e is VersionDownloaded or VersionDownloadFailed);
        Assert.False(Directory.Exists(Path.Combine(_root, name)));
    }

    [Fact]
    public async Task Cancelling_a_running_download_fails_the_version_and_removes_the_partial_file()
    {
        _server.MapFile("/files/slow.bin", Bytes(2_000_000), breakAfter: 500_000, stall: true);
        var name = Name("slow");
        var job = await RegisterAndQueueAsync(name, Url("/files/slow.bin"), null);
        await WaitForProgressAsync(job);

        Assert.Equal(CancelOutcome.Requested, await App.Services.GetRequiredService<DownloadCancellation>().CancelAsync(job, default));

        var done = await WaitForAsync(job, j => j.IsFinished);
        Assert.Equal(DownloadStates.Cancelled, done.State);
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

        await WaitForAsync(await RegisterAndQueueAsync(first, Url("/files/a.onnx"), null), j => j.State == DownloadStates.Succeeded);
        await WaitForAsync(await RegisterAndQueueAsync(second, Url("/files/b.onnx"), Sha256(content)), j => j.State == DownloadStates.Succeeded);

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

        await WaitForAsync(job, j => j.State == DownloadStates.Succeeded);

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

        var done = await WaitForAsync(job, j => j.IsFinished);

        Assert.All(_server.Requests, r => Assert.Equal(listing, r.Path));
        Assert.Equal(DownloadStates.Failed, done.State);
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

        await WaitForAsync(job, j => j.State == DownloadStates.Succeeded);

        Assert.Equal($"{name}/1/tiny.gguf", Assert.IsType<VersionDownloaded>((await EventsAsync(name))[^1]).LocalPath);
        Assert.DoesNotContain(_server.Requests, r => r.Path.EndsWith("/x.gguf", StringComparison.Ordinal) || r.Path.EndsWith("/y.gguf", StringComparison.Ordinal));
    }

    /// <summary>
    /// A version's events and its download queued in one Marten session with Wolverine's outbox, as the register-version handler
    /// does; <paramref name="alsoInTransaction"/> adds work to that transaction.
    /// </summary>
    private async Task<Guid> RegisterAndQueueAsync(string name, string? url, string? sha256, VersionSource? source = null,
        Action<IDocumentSession>? alsoInTransaction = null)
    {
        source ??= new VersionSource(SourceType.Url, url!, null, null);
        var queue = App.Services.GetRequiredService<IVersionDownloadQueue>();
        var bus = new MessageContext(App.Services.GetRequiredService<IWolverineRuntime>());
        await using var session = App.Services.GetRequiredService<OutboxedSessionFactory>().OpenSession(bus);
        session.LastModifiedBy = "tester";
        session.Events.StartStream(CatalogStream.StreamId(name),
            new ModelRegistered(name, null, ImmutableDictionary<string, string>.Empty, "tester"),
            new VersionRegistered(1, source, sha256, ModelFormat.Other, VersionMetadata.Empty, ArtifactStatus.Pending, null, null));
        await queue.EnqueueAsync(session, bus, new VersionDownloadRequest(name, 1, source, sha256, "tester", null));
        alsoInTransaction?.Invoke(session);
        await session.SaveChangesAsync();
        await bus.FlushOutgoingMessagesAsync();
        return DownloadJob.IdFor(name, 1);
    }

    private async Task<DownloadRecord> WaitForAsync(Guid id, Func<DownloadRecord, bool> condition)
    {
        DownloadRecord? found = null;
        await Eventually.HoldsAsync(async () => (found = await Records.GetAsync(id, default)) is { } record && condition(record),
            () => $"download {id} is {System.Text.Json.JsonSerializer.Serialize(found)}; errors: {string.Join("\n", App.Errors)}");
        return found!;
    }

    private Task WaitForProgressAsync(Guid id) =>
        Eventually.HoldsAsync(async () => await Records.GetProgressAsync(id, default) is { BytesDone: > 0 });

    private async Task<IReadOnlyList<object>> EventsAsync(string name) =>
        (await App.StreamAsync(name)).Select(e => e.Data).ToList();

    private async Task<long> CountAsync(string sql, Guid id)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", id.ToString());
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private Task<long> MessagesAsync(Guid id) => CountAsync(
        "SELECT count(*) FROM registry.wolverine_incoming_envelopes WHERE position(convert_to(@id, 'UTF8') IN body) > 0", id);

    private Task<long> DeadLettersAsync(Guid id) => CountAsync(
        "SELECT count(*) FROM registry.wolverine_dead_letters WHERE position(convert_to(@id, 'UTF8') IN body) > 0 AND message_type = 'download-version'", id);

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
