using System.Net;
using System.Text;
using System.Text.Json;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

public sealed class ProductionWatchTests(ReadingApp app) : IClassFixture<ReadingApp>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private async Task<string> ModelWithTwoVersionsAsync(string name)
    {
        await app.RegisterAsync(name);
        await app.AddLocalVersionAsync(name, $"{name}/v1.gguf");
        await app.AddLocalVersionAsync(name, $"{name}/v2.gguf");
        return name;
    }

    [Fact]
    public async Task A_watcher_gets_the_current_pointer_then_one_message_per_change()
    {
        var name = await ModelWithTwoVersionsAsync("watched");
        var first = (await app.PromoteAsync(name, 1))!.Events[^1];

        await using var watch = await Watch.OpenAsync(app.Client, name);
        var current = await watch.NextAsync();
        Assert.Equal((first.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), "production", 1), (current.Id, current.Event, current.Version));

        var second = (await app.PromoteAsync(name, 2, actor: "erin"))!.Events[^1];
        var promoted = await watch.NextAsync();
        Assert.Equal((second.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), 2, "erin"),
            (promoted.Id, promoted.Version, promoted.Data.GetProperty("promoted_by").GetString()));
        Assert.Equal($"{name}/v2.gguf", promoted.Data.GetProperty("local_path").GetString());

        var demoted = (await app.DemoteAsync(name, 2))!.Events[^1];
        var none = await watch.NextAsync();
        Assert.Equal((demoted.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), (int?)null, name),
            (none.Id, none.Version, none.Data.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_watcher_resuming_with_Last_Event_ID_gets_every_change_it_missed_and_then_the_live_ones()
    {
        var name = await ModelWithTwoVersionsAsync("resumed");
        await app.PromoteAsync(name, 1);
        string lastSeen;
        await using (var watch = await Watch.OpenAsync(app.Client, name))
        {
            lastSeen = (await watch.NextAsync()).Id!;
        }

        await app.PromoteAsync(name, 2);
        await app.UpdateAsync(name, "not a production change");
        await app.RollbackAsync(name);
        await app.ArchiveAsync(name, 2);

        await using var resumed = await Watch.OpenAsync(app.Client, name, lastSeen);
        Assert.Equal(2, (await resumed.NextAsync()).Version);
        Assert.Equal(1, (await resumed.NextAsync()).Version);
        await app.DemoteAsync(name, 1);
        Assert.Null((await resumed.NextAsync()).Version);
    }

    [Fact]
    public async Task A_watcher_resuming_from_the_start_replays_the_whole_production_history()
    {
        var name = await ModelWithTwoVersionsAsync("replayed");
        await app.PromoteAsync(name, 1);
        await app.PromoteAsync(name, 2);

        await using var watch = await Watch.OpenAsync(app.Client, name, "0");

        Assert.Equal(1, (await watch.NextAsync()).Version);
        Assert.Equal(2, (await watch.NextAsync()).Version);
    }

    [Fact]
    public async Task A_change_made_through_another_instance_reaches_the_watcher()
    {
        var name = await ModelWithTwoVersionsAsync("watched-remotely");
        var other = await app.StartInstanceAsync();
        await using var watch = await Watch.OpenAsync(app.Client, name);
        Assert.Null((await watch.NextAsync()).Version);

        await app.PromoteAsync(name, 1, app: other);

        Assert.Equal(1, (await watch.NextAsync()).Version);
    }

    [Fact]
    public async Task A_quiet_watch_sends_heartbeat_comments()
    {
        var name = await ModelWithTwoVersionsAsync("quiet");

        var chatty = await app.StartInstanceAsync(new Dictionary<string, string?> { ["Registry:Catalog:WatchHeartbeat"] = "00:00:00.200" });

        await using var watch = await Watch.OpenAsync(chatty.Client, name);
        await watch.NextAsync();

        Assert.Equal(": heartbeat", await watch.NextCommentAsync());
        Assert.Equal(": heartbeat", await watch.NextCommentAsync());
    }

    [Fact]
    public async Task Watching_an_unknown_model_is_a_404_and_a_bad_Last_Event_ID_a_400()
    {
        await ModelWithTwoVersionsAsync("checked");

        await app.GetAsync("/api/v1/models/nobody/production/watch", HttpStatusCode.NotFound);
        using var response = await app.Client.SendAsync(ReadingApp.Get("/api/v1/models/checked/production/watch", ("Last-Event-ID", "yesterday")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_watcher_that_disconnects_leaves_the_server_serving()
    {
        var name = await ModelWithTwoVersionsAsync("left");
        for (var i = 0; i < 5; i++)
        {
            await using var watch = await Watch.OpenAsync(app.Client, name);
            await watch.NextAsync();
        }

        await app.PromoteAsync(name, 1);
        Assert.Equal(1, (await app.GetAsync($"/api/v1/models/{name}/production")).GetProperty("version").GetInt32());
    }

    private sealed record Message(string? Id, string? Event, JsonElement Data)
    {
        public int? Version => Data.GetProperty("version").ValueKind == JsonValueKind.Null ? null : Data.GetProperty("version").GetInt32();
    }

    private sealed class Watch : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;
        private readonly CancellationTokenSource _timeout = new(Patience);

        private Watch(HttpResponseMessage response, Stream body)
        {
            _response = response;
            _reader = new StreamReader(body, Encoding.UTF8);
        }

        public static async Task<Watch> OpenAsync(HttpClient client, string name, string? lastEventId = null)
        {
            var request = ReadingApp.Get($"/api/v1/models/{name}/production/watch");
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new Watch(response, await response.Content.ReadAsStreamAsync());
        }

        public async Task<Message> NextAsync()
        {
            string? id = null, type = null, data = null;
            while (await _reader.ReadLineAsync(_timeout.Token) is { } line)
            {
                if (line.Length == 0 && data is not null)
                {
                    return new Message(id, type, JsonDocument.Parse(data).RootElement.Clone());
                }

                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }

            throw new InvalidOperationException("The stream ended.");
        }

        public async Task<string> NextCommentAsync()
        {
            while (await _reader.ReadLineAsync(_timeout.Token) is { } line)
            {
                if (line.StartsWith(':'))
                {
                    return line;
                }
            }

            throw new InvalidOperationException("The stream ended.");
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            _timeout.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
