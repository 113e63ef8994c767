using System.Security.Cryptography;
using System.Text.Json;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Downloads.Tracking;

public sealed class TrackDownloadTests(TestDatabase db) : DownloadsTestClass(db), IClassFixture<TestDatabase>
{
    private const string Downloads = "/api/v1/downloads";

    [Fact]
    public async Task An_unknown_download_is_not_found()
    {
        var id = Guid.NewGuid();

        (await App.GetAsync($"{Downloads}/{id}")).Problem("download-not-found");
        (await App.GetAsync($"{Downloads}/{id}/events")).Problem("download-not-found");
        (await App.Scenario(s => { s.Delete.Url($"{Downloads}/{id}"); s.StatusCodeShouldBe(404); })).Problem("download-not-found");
        Assert.Equal(404, (await App.GetAsync($"{Downloads}/not-a-download")).Status);
    }

    [Fact]
    public async Task A_running_download_shows_its_progress_and_cancelling_it_fails_the_version()
    {
        var (name, location) = await RequestAsync(Bytes(3_000_000), breakAfter: 1_000_000, stall: true);
        var running = await WaitAsync(location, d => d.GetProperty("state").GetString() == "running" && d.GetProperty("bytes_done").GetInt64() > 0);
        Assert.Equal(3_000_000, running.GetProperty("bytes_total").GetInt64());
        Assert.True(running.GetProperty("bytes_done").GetInt64() <= 1_000_000);

        var cancelling = await App.Scenario(s => { s.Delete.Url(location); s.StatusCodeShouldBe(202); });

        Assert.Equal(location, cancelling.Location);
        Assert.True(cancelling.Json.GetProperty("cancel_requested").GetBoolean());
        var cancelled = await WaitAsync(location, d => d.GetProperty("state").GetString() == "cancelled");
        Assert.NotEqual(JsonValueKind.Null, cancelled.GetProperty("finished_at").ValueKind);
        Assert.Equal(new VersionDownloadFailed(1, "The download was cancelled."), (await App.EventsAsync(name))[^1]);
        await App.Scenario(s => { s.Delete.Url(location); s.StatusCodeShouldBe(202); });
    }

    [Fact]
    public async Task A_finished_download_cannot_be_cancelled()
    {
        var (_, location) = await RequestAsync(Bytes(10_000));
        await WaitAsync(location, d => d.GetProperty("state").GetString() == "succeeded");

        (await App.Scenario(s => { s.Delete.Url(location); s.StatusCodeShouldBe(409); })).Problem("download-finished");
        Assert.Equal(401, (await App.Scenario(s => { s.Delete.Url(location); s.Anonymous(); s.IgnoreStatusCode(); })).Status);
    }

    [Fact]
    public async Task A_failed_download_shows_why()
    {
        var (name, location) = await RequestAsync(Bytes(50_000), sha256: new string('0', 64));

        var failed = await WaitAsync(location, d => d.GetProperty("state").GetString() == "failed");

        Assert.Contains("SHA-256", failed.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.IsType<VersionDownloadFailed>((await App.EventsAsync(name))[^1]);
        Assert.Equal("failed", (await App.GetAsync($"/api/v1/models/{name}/versions/1")).Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Progress_is_streamed_as_server_sent_events_until_the_download_finishes()
    {
        var content = Bytes(2_000_000);
        var (_, location) = await RequestAsync(content, breakAfter: 1_000_000);

        var stream = (await App.GetAsync($"{location}/events")).Text;

        var events = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n').Where(l => l.Contains(": ", StringComparison.Ordinal))
                .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)], l => l[(l.IndexOf(':', StringComparison.Ordinal) + 2)..]))
            .ToList();
        Assert.All(events[..^1], e => Assert.Equal("progress", e["event"]));
        Assert.Equal("succeeded", events[^1]["event"]);
        var last = JsonDocument.Parse(events[^1]["data"]).RootElement;
        Assert.Equal(content.Length, last.GetProperty("bytes_done").GetInt64());
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), events.Select(e => e["id"]));
    }

    [Fact]
    public async Task A_download_interrupted_by_a_restart_resumes_where_it_stopped()
    {
        var content = Bytes(3_000_000);
        var (name, location) = await RequestAsync(content, breakAfter: 1_200_000, stall: true, faultyResponses: 1);
        await WaitAsync(location, d => d.GetProperty("bytes_done").GetInt64() > 0);

        await RestartAsync();

        var done = await WaitAsync(location, d => d.GetProperty("state").GetString() == "succeeded");
        Assert.Equal(1, done.GetProperty("attempts").GetInt32());
        var requests = Server.RequestsTo($"/files/{name}.gguf");
        Assert.Equal(2, requests.Count);
        Assert.Matches(@"^bytes=[1-9]\d*-$", requests[1].Range);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(Root, name, "1", $"{name}.gguf")));
    }

    [Fact]
    public async Task Downloads_are_listed_newest_first_a_page_at_a_time_and_filtered_by_state()
    {
        var (_, failed) = await RequestAsync(Bytes(10_000), sha256: new string('0', 64));
        await WaitAsync(failed, d => d.GetProperty("state").GetString() == "failed");
        var succeeded = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (_, location) = await RequestAsync(Bytes(10_000));
            await WaitAsync(location, d => d.GetProperty("state").GetString() == "succeeded");
            succeeded.Add(location);
        }

        var first = (await App.GetAsync($"{Downloads}?limit=2")).Json;
        var second = (await App.GetAsync($"{Downloads}?limit=2&cursor={first.GetProperty("next_cursor").GetString()}")).Json;
        var onlySucceeded = (await App.GetAsync($"{Downloads}?state=succeeded")).Json;

        var listed = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray())
            .Select(d => $"{Downloads}/{d.GetProperty("id").GetString()}").ToList();
        Assert.Equal([succeeded[2], succeeded[1], succeeded[0], failed], listed.Take(4));
        Assert.Equal(succeeded.AsEnumerable().Reverse(),
            onlySucceeded.GetProperty("items").EnumerateArray().Select(d => $"{Downloads}/{d.GetProperty("id").GetString()}").Take(3));
        Assert.All(onlySucceeded.GetProperty("items").EnumerateArray(), d => Assert.Equal("succeeded", d.GetProperty("state").GetString()));
        Assert.Equal(10_000, onlySucceeded.GetProperty("items")[0].GetProperty("bytes_done").GetInt64());
    }

    [Fact]
    public async Task Listing_downloads_refuses_an_unknown_state_or_cursor()
    {
        (await App.GetAsync($"{Downloads}?state=done")).Problem("invalid-state");
        (await App.GetAsync($"{Downloads}?cursor=garbage")).Problem("invalid-cursor");
    }

    private async Task<(string Name, string Location)> RequestAsync(byte[] content, long? breakAfter = null, bool stall = false,
        string? sha256 = null, int faultyResponses = 1)
    {
        var name = $"track-{Guid.NewGuid():N}"[..18];
        Server.MapFile($"/files/{name}.gguf", content, breakAfter: breakAfter, stall: stall, faultyResponses: faultyResponses);
        var accepted = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = Server.Url($"/files/{name}.gguf"), sha256 = sha256 ?? Sha256(content) }).ToUrl(Downloads);
            s.StatusCodeShouldBe(202);
        });
        return (name, accepted.Location!);
    }

    private async Task<JsonElement> WaitAsync(string location, Func<JsonElement, bool> condition)
    {
        JsonElement download = default;
        await Eventually.HoldsAsync(async () => condition(download = (await App.GetAsync(location)).Json), () => download.ToString());
        return download;
    }

    private static byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
