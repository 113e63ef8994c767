using System.Text.Json;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

public sealed class HistoryAndAuditTests(ReadingApp app) : IClassFixture<ReadingApp>
{
    private static List<JsonElement> Items(JsonElement page) => page.GetProperty("items").EnumerateArray().ToList();

    [Fact]
    public async Task History_lists_the_models_events_oldest_first_with_all_their_metadata()
    {
        await app.RegisterAsync("Hist/Model", actor: "alice");
        await app.AddLocalVersionAsync("Hist/Model", "hist/v1.gguf", actor: "bob");
        var promoted = (await app.PromoteAsync("Hist/Model", 1, actor: "carol", reason: "passed evaluation"))!.Events.Single();

        var items = Items(await app.GetAsync("/api/v1/models/Hist/Model/history"));

        Assert.Equal(["ModelRegistered", "VersionRegistered", "VersionPromoted"], items.Select(i => i.GetProperty("type").GetString()));
        Assert.Equal([1L, 2L, 3L], items.Select(i => i.GetProperty("stream_version").GetInt64()));
        var last = items[^1];
        Assert.Equal(
            ["position", "id", "stream", "stream_version", "type", "schema_version", "timestamp", "actor", "correlation_id", "causation_id", "reason", "data"],
            last.EnumerateObject().Select(p => p.Name));
        Assert.Equal((promoted.Sequence, promoted.Id, "hist/model", 1, "carol", "corr-carol", "cause-carol", "passed evaluation"),
            (last.GetProperty("position").GetInt64(), last.GetProperty("id").GetGuid(), last.GetProperty("stream").GetString(),
                last.GetProperty("schema_version").GetInt32(), last.GetProperty("actor").GetString(), last.GetProperty("correlation_id").GetString(),
                last.GetProperty("causation_id").GetString(), last.GetProperty("reason").GetString()));
        Assert.Equal(promoted.Timestamp, last.GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal((1, "production"), (last.GetProperty("data").GetProperty("version").GetInt32(), last.GetProperty("data").GetProperty("stage").GetString()));
    }

    [Fact]
    public async Task History_pages_with_a_cursor_without_missing_or_repeating_an_event()
    {
        await app.RegisterAsync("hist-paged");
        for (var i = 0; i < 6; i++)
        {
            await app.UpdateAsync("hist-paged", $"description {i}");
        }

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await app.GetAsync($"/api/v1/models/hist-paged/history?limit=3{(cursor is null ? "" : $"&cursor={cursor}")}");
            seen.AddRange(Items(page).Select(i => i.GetProperty("stream_version").GetInt64()));
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], seen);
    }

    [Fact]
    public async Task Audit_filters_by_actor_type_model_and_time_and_pages_across_models()
    {
        await app.RegisterAsync("audit/one", actor: "auditor-a");
        await app.RegisterAsync("audit/two", actor: "auditor-b");
        await app.AddLocalVersionAsync("audit/one", "audit/one.gguf", actor: "auditor-a");
        var middle = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        await app.AddLocalVersionAsync("audit/two", "audit/two.gguf", actor: "auditor-a");
        await app.PromoteAsync("audit/two", 1, actor: "auditor-b");
        await app.LockAsync("audit/one", "freeze", actor: "auditor-b");

        var byActor = Items(await app.GetAsync("/api/v1/audit?actor=auditor-a"));
        Assert.Equal([("audit/one", "ModelRegistered"), ("audit/one", "VersionRegistered"), ("audit/two", "VersionRegistered")],
            byActor.Select(i => (i.GetProperty("stream").GetString(), i.GetProperty("type").GetString())));
        Assert.True(byActor.Select(i => i.GetProperty("position").GetInt64()).SequenceEqual(byActor.Select(i => i.GetProperty("position").GetInt64()).Order()));

        Assert.Equal(["audit/two"], Items(await app.GetAsync("/api/v1/audit?type=VersionPromoted&actor=auditor-b")).Select(i => i.GetProperty("stream").GetString()));
        Assert.Equal(["ModelRegistered", "VersionRegistered", "ModelLocked"],
            Items(await app.GetAsync("/api/v1/audit?model=Audit/One")).Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(["ModelRegistered", "VersionRegistered", "ModelLocked"],
            Items(await app.GetAsync("/api/v1/audit?model=Audit%2FOne")).Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(["VersionRegistered", "ModelLocked"],
            Items(await app.GetAsync($"/api/v1/audit?model=audit/one&type=VersionRegistered&type=ModelLocked")).Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(["VersionRegistered", "VersionPromoted", "ModelLocked"],
            Items(await app.GetAsync($"/api/v1/audit?from={ReadingApp.Timestamp(middle)}&type=VersionRegistered&type=VersionPromoted&type=ModelLocked"))
                .Where(i => i.GetProperty("stream").GetString()!.StartsWith("audit/", StringComparison.Ordinal))
                .Select(i => i.GetProperty("type").GetString()));
        Assert.Equal(["ModelRegistered", "ModelRegistered", "VersionRegistered"],
            Items(await app.GetAsync($"/api/v1/audit?to={ReadingApp.Timestamp(middle)}&type=ModelRegistered&type=VersionRegistered"))
                .Where(i => i.GetProperty("stream").GetString()!.StartsWith("audit/", StringComparison.Ordinal))
                .Select(i => i.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Audit_pages_with_a_cursor_through_every_event_once()
    {
        for (var i = 0; i < 5; i++)
        {
            await app.RegisterAsync($"audit-paged/{i}", actor: "pager");
            await app.UpdateAsync($"audit-paged/{i}", "x", actor: "pager");
        }

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await app.GetAsync($"/api/v1/audit?actor=pager&limit=4{(cursor is null ? "" : $"&cursor={cursor}")}");
            seen.AddRange(Items(page).Select(i => i.GetProperty("position").GetInt64()));
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(10, seen.Count);
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Audit_data_is_the_upcast_payload()
    {
        await using var session = app.App.Store.LightweightSession();
        session.LastModifiedBy = "raw-writer";
        var registered = session.Events.StartStream("audit-raw", new ModelRegistry.Catalog.ModelRegistered("audit-raw", "raw", new Dictionary<string, string>(), "root"));
        await session.SaveChangesAsync();

        var item = Assert.Single(Items(await app.GetAsync("/api/v1/audit?actor=raw-writer")));

        Assert.Equal((registered.Events[0].Sequence, "raw", "root"),
            (item.GetProperty("position").GetInt64(), item.GetProperty("data").GetProperty("description").GetString(), item.GetProperty("data").GetProperty("owner").GetString()));
    }

    [Theory]
    [InlineData("/api/v1/audit?from=monday", "from")]
    [InlineData("/api/v1/audit?to=2025", "to")]
    [InlineData("/api/v1/audit?cursor=abc", "cursor")]
    [InlineData("/api/v1/audit?limit=x", "limit")]
    [InlineData("/api/v1/audit?limit=-1", "limit")]
    [InlineData("/api/v1/audit?limit=999999999", "limit")]
    [InlineData("/api/v1/audit?actor=a&actor=b", "actor")]
    public async Task Bad_audit_filters_are_400_problems_naming_the_field(string url, string field) => await app.ExpectInvalidAsync(url, field);
}
