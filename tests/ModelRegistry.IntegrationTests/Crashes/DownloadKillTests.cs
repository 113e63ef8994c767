using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Crashes;

/// <summary>The real server, killed with SIGKILL in the middle of a download, and started again on the same database.</summary>
public sealed class DownloadKillTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-download-kill-").FullName;
    private LoopbackServer _files = null!;

    public async Task InitializeAsync() => _files = await LoopbackServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _files.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_download_killed_with_the_server_resumes_with_a_range_request_after_the_restart_and_publishes_the_verified_file()
    {
        var content = RandomNumberGenerator.GetBytes(3_000_000);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var name = $"killed-{Guid.NewGuid():N}"[..16];
        // The first response stops after 1.2 MB and holds the connection open, so the server is mid-file when it dies.
        _files.MapFile($"/files/{name}.gguf", content, breakAfter: 1_200_000, stall: true, faultyResponses: 1);
        await using var server = ServerProcess.Create(db.ConnectionString, _root, new Dictionary<string, string>
        {
            ["Registry:Downloads:AllowedHosts"] = $"127.0.0.1:{_files.Port}",
            ["Registry:Jobs:HeartbeatInterval"] = "00:00:00.500",
        });
        await server.StartAsync();
        using var client = server.CreateClient();

        var accepted = await client.PostAsJsonAsync("/api/v1/downloads", new { model_ref = _files.Url($"/files/{name}.gguf"), sha256 });
        Assert.Equal(202, (int)accepted.StatusCode);
        var job = accepted.Headers.Location!.ToString();
        await Eventually.HoldsAsync(async () => (await GetAsync(client, job)).GetProperty("bytes_done").GetInt64() > 0);

        Assert.Equal(137, await server.KillAsync());
        await server.StartAsync();
        var restarted = System.Diagnostics.Stopwatch.StartNew();

        // The dead node is ejected and its download recovered by the new one, resuming with a range request, within 15 s.
        await Eventually.HoldsAsync(() => Task.FromResult(_files.RequestsTo($"/files/{name}.gguf").Count >= 2), () => server.Output(),
            within: TimeSpan.FromSeconds(15));
        var recovered = restarted.Elapsed;
        await Eventually.HoldsAsync(async () => (await GetAsync(client, job)).GetProperty("state").GetString() == "succeeded",
            () => server.Output(), within: TimeSpan.FromSeconds(30));
        Console.WriteLine($"download recovered {recovered.TotalSeconds:F1} s after the restart");
        var version = await GetAsync(client, $"/api/v1/models/{name}/versions/1");
        Assert.Equal(("ready", sha256), (version.GetProperty("status").GetString(), version.GetProperty("sha256").GetString()));
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_root, version.GetProperty("local_path").GetString()!)));
        var requests = _files.RequestsTo($"/files/{name}.gguf");
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.Matches(@"^bytes=[1-9]\d*-$", requests[1].Range);
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string url) =>
        await client.GetFromJsonAsync<JsonElement>(url);
}
