using System.Diagnostics;
using System.Net;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

public sealed class ProductionReadingTests(ReadingApp app) : IClassFixture<ReadingApp>
{
    private static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(1);

    // Room for a busy test machine to schedule the polling reads; a broken cache is never seen to change at all.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task The_production_pointer_names_the_version_its_file_and_who_promoted_it_when()
    {
        await app.RegisterAsync("pointer");
        await app.AddLocalVersionAsync("pointer", "pointer/v1.gguf", content: "one");
        var promoted = (await app.PromoteAsync("pointer", 1, actor: "carol"))!.Events[^1];

        var pointer = await app.GetAsync("/api/v1/models/pointer/production");

        Assert.Equal(["name", "version", "local_path", "sha256", "size_bytes", "promoted_at", "promoted_by"], pointer.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("pointer", 1, "pointer/v1.gguf", ReadingApp.Sha256Of("one"), 3L, "carol"),
            (pointer.GetProperty("name").GetString(), pointer.GetProperty("version").GetInt32(), pointer.GetProperty("local_path").GetString(),
                pointer.GetProperty("sha256").GetString(), pointer.GetProperty("size_bytes").GetInt64(), pointer.GetProperty("promoted_by").GetString()));
        Assert.Equal(promoted.Timestamp, pointer.GetProperty("promoted_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_model_without_a_production_version_answers_404_and_so_does_an_unknown_one()
    {
        await app.RegisterAsync("unpromoted");
        await app.AddLocalVersionAsync("unpromoted", "unpromoted/v1.gguf");

        Assert.EndsWith("/no-production", (await app.GetAsync("/api/v1/models/unpromoted/production", HttpStatusCode.NotFound)).GetProperty("type").GetString());
        Assert.EndsWith("/model-not-found", (await app.GetAsync("/api/v1/models/nobody/production", HttpStatusCode.NotFound)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_writer_reads_its_own_promotion_demotion_and_rollback_at_once()
    {
        await app.RegisterAsync("own-writes");
        await app.AddLocalVersionAsync("own-writes", "own/v1.gguf");
        await app.AddLocalVersionAsync("own-writes", "own/v2.gguf");
        await app.GetAsync("/api/v1/models/own-writes/production", HttpStatusCode.NotFound);

        await app.PromoteAsync("own-writes", 1);
        Assert.Equal(1, (await app.GetAsync("/api/v1/models/own-writes/production")).GetProperty("version").GetInt32());
        await app.PromoteAsync("own-writes", 2);
        Assert.Equal(2, (await app.GetAsync("/api/v1/models/own-writes/production")).GetProperty("version").GetInt32());
        await app.RollbackAsync("own-writes");
        Assert.Equal(1, (await app.GetAsync("/api/v1/models/own-writes/production")).GetProperty("version").GetInt32());
        await app.DemoteAsync("own-writes", 1);
        await app.GetAsync("/api/v1/models/own-writes/production", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task As_of_answers_what_was_in_production_at_a_past_moment()
    {
        await app.RegisterAsync("history-lesson");
        await app.AddLocalVersionAsync("history-lesson", "lesson/v1.gguf");
        await app.AddLocalVersionAsync("history-lesson", "lesson/v2.gguf");
        var beforeAny = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var first = (await app.PromoteAsync("history-lesson", 1, actor: "dave"))!.Events[^1].Timestamp;
        await Task.Delay(20);
        var second = (await app.PromoteAsync("history-lesson", 2, actor: "erin"))!.Events[^1].Timestamp;
        await Task.Delay(20);
        var demoted = (await app.DemoteAsync("history-lesson", 2))!.Events[^1].Timestamp;

        await app.GetAsync($"/api/v1/models/history-lesson/production?as_of={ReadingApp.Timestamp(beforeAny)}", HttpStatusCode.NotFound);
        var then = await app.GetAsync($"/api/v1/models/history-lesson/production?as_of={ReadingApp.Timestamp(first.AddTicks(10))}");
        Assert.Equal((1, "dave", "lesson/v1.gguf"), (then.GetProperty("version").GetInt32(), then.GetProperty("promoted_by").GetString(),
            then.GetProperty("local_path").GetString()));
        Assert.Equal(first, then.GetProperty("promoted_at").GetDateTimeOffset());
        var later = await app.GetAsync($"/api/v1/models/history-lesson/production?as_of={ReadingApp.Timestamp(second)}");
        Assert.Equal((2, "erin"), (later.GetProperty("version").GetInt32(), later.GetProperty("promoted_by").GetString()));
        await app.GetAsync($"/api/v1/models/history-lesson/production?as_of={ReadingApp.Timestamp(demoted)}", HttpStatusCode.NotFound);
        await app.GetAsync("/api/v1/models/history-lesson/production", HttpStatusCode.NotFound);
        await app.GetAsync($"/api/v1/models/nobody/production?as_of={ReadingApp.Timestamp(second)}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_hour_old_question_gets_the_hour_old_answer()
    {
        await app.RegisterAsync("hour");
        await app.AddLocalVersionAsync("hour", "hour/v1.gguf");
        await app.AddLocalVersionAsync("hour", "hour/v2.gguf");
        await app.PromoteAsync("hour", 1);
        await app.PromoteAsync("hour", 2);
        // Back-date the first four events by two hours, as if they had happened then.
        await using (var data = app.Database.CreateDataSource())
        await using (var cmd = data.CreateCommand("UPDATE registry.mt_events SET timestamp = timestamp - interval '2 hours' WHERE stream_id = 'hour' AND version <= 4"))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var anHourAgo = ReadingApp.Timestamp(DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(1, (await app.GetAsync($"/api/v1/models/hour/production?as_of={anHourAgo}")).GetProperty("version").GetInt32());
        Assert.Equal(2, (await app.GetAsync("/api/v1/models/hour/production")).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_change_made_by_another_instance_is_seen_within_the_cache_bound()
    {
        var other = await app.StartInstanceAsync();
        await app.RegisterAsync("shared");
        await app.AddLocalVersionAsync("shared", "shared/v1.gguf");
        await app.AddLocalVersionAsync("shared", "shared/v2.gguf");
        await app.PromoteAsync("shared", 1);
        Assert.Equal(1, (await app.GetAsync("/api/v1/models/shared/production")).GetProperty("version").GetInt32());

        await app.PromoteAsync("shared", 2, app: other);
        var seenAfter = await TimeUntilAsync("shared", 2, app.Client);

        Assert.True(seenAfter <= CacheTtl + Slack, $"seen after {seenAfter.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Without_notifications_a_cached_pointer_is_still_re_read_within_the_bound()
    {
        var deaf = await app.StartInstanceAsync(new Dictionary<string, string?> { ["Registry:Catalog:ListenForChanges"] = "false" });
        var deafClient = deaf.Client;
        await app.RegisterAsync("deaf");
        await app.AddLocalVersionAsync("deaf", "deaf/v1.gguf");
        await app.AddLocalVersionAsync("deaf", "deaf/v2.gguf");
        await app.PromoteAsync("deaf", 1);
        Assert.Equal(1, (await app.GetAsync("/api/v1/models/deaf/production", client: deafClient)).GetProperty("version").GetInt32());

        await app.PromoteAsync("deaf", 2);
        var seenAfter = await TimeUntilAsync("deaf", 2, deafClient);

        Assert.True(seenAfter <= CacheTtl + Slack, $"seen after {seenAfter.TotalMilliseconds} ms");
    }

    private async Task<TimeSpan> TimeUntilAsync(string name, int version, HttpClient client)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            if ((await app.GetAsync($"/api/v1/models/{name}/production", client: client)).GetProperty("version").GetInt32() == version)
            {
                return clock.Elapsed;
            }

            await Task.Delay(10);
        }

        return clock.Elapsed;
    }
}
