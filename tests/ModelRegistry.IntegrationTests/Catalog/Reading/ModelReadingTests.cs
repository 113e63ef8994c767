using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using ModelRegistry.Catalog;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

public sealed class ModelReadingTests(ReadingApp app) : IClassFixture<ReadingApp>
{
    private static readonly VersionMetadata Metadata = new("chat tuned", ImmutableDictionary<string, double>.Empty.Add("mmlu", 0.25),
        "llama", "Q4_K_M", 2048, ImmutableDictionary<string, string>.Empty.Add("license", "apache-2.0"));

    [Fact]
    public async Task A_model_reads_back_with_every_field_of_the_SPEC_shape_in_snake_case()
    {
        await app.RegisterAsync("TheBloke/TinyLlama", "A small chat model", new Dictionary<string, string> { ["team"] = "nlp" }, actor: "alice");
        await app.AddLocalVersionAsync("TheBloke/TinyLlama", "tinyllama/v1.gguf", content: "v1", metadata: Metadata, actor: "bob");

        var model = await app.GetAsync("/api/v1/models/TheBloke/TinyLlama");

        Assert.Equal(
            ["name", "description", "tags", "owner", "locked", "lock_reason", "production_version", "latest_version", "stream_version",
                "created_at", "updated_at", "versions", "versions_next_cursor"],
            model.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("TheBloke/TinyLlama", "A small chat model", "nlp", false, 1, 2L),
            (model.GetProperty("name").GetString(), model.GetProperty("description").GetString(), model.GetProperty("tags").GetProperty("team").GetString(),
                model.GetProperty("locked").GetBoolean(), model.GetProperty("latest_version").GetInt32(), model.GetProperty("stream_version").GetInt64()));
        Assert.Equal(JsonValueKind.Null, model.GetProperty("production_version").ValueKind);

        var version = Assert.Single(model.GetProperty("versions").EnumerateArray().ToList());
        Assert.Equal(
            ["name", "version", "stage", "status", "source", "local_path", "size_bytes", "sha256", "format", "metadata", "created_at", "created_by",
                "downloaded_at", "source_type", "source_uri", "duplicate_of"],
            version.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("TheBloke/TinyLlama", 1, "staging", "ready", "tinyllama/v1.gguf", 2L, ReadingApp.Sha256Of("v1"), "gguf", "bob"),
            (version.GetProperty("name").GetString(), version.GetProperty("version").GetInt32(), version.GetProperty("stage").GetString(),
                version.GetProperty("status").GetString(), version.GetProperty("local_path").GetString(), version.GetProperty("size_bytes").GetInt64(),
                version.GetProperty("sha256").GetString(), version.GetProperty("format").GetString(), version.GetProperty("created_by").GetString()));
        Assert.Equal(("local", "tinyllama/v1.gguf"), (version.GetProperty("source_type").GetString(), version.GetProperty("source_uri").GetString()));
        Assert.Equal(["type", "uri", "revision", "file"], version.GetProperty("source").EnumerateObject().Select(p => p.Name));
        var metadata = version.GetProperty("metadata");
        Assert.Equal(["description", "metrics", "architecture", "quantization", "context_length", "tags"], metadata.EnumerateObject().Select(p => p.Name));
        Assert.Equal((0.25, 2048, "apache-2.0"), (metadata.GetProperty("metrics").GetProperty("mmlu").GetDouble(),
            metadata.GetProperty("context_length").GetInt32(), metadata.GetProperty("tags").GetProperty("license").GetString()));
        Assert.EndsWith("Z", version.GetProperty("created_at").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/models/Org-A/Slashed")]
    [InlineData("/api/v1/models/Org-A%2FSlashed")]
    [InlineData("/api/v1/models/org-a%2fslashed")]
    [InlineData("/api/v1/models/ORG-A/SLASHED")]
    public async Task A_namespaced_name_is_found_with_a_slash_an_encoded_slash_and_in_any_case(string url)
    {
        await app.EnsureRegisteredAsync("Org-A/Slashed");

        var model = await app.GetAsync(url);

        Assert.Equal("Org-A/Slashed", model.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Every_route_under_a_name_accepts_the_encoded_slash()
    {
        await app.RegisterAsync("Enc/Model");
        await app.AddLocalVersionAsync("Enc/Model", "enc/v1.gguf");
        await app.PromoteAsync("Enc/Model", 1);

        Assert.Equal(1, (await app.GetAsync("/api/v1/models/Enc%2FModel/versions/1")).GetProperty("version").GetInt32());
        Assert.Equal(1, (await app.GetAsync("/api/v1/models/Enc%2FModel/production")).GetProperty("version").GetInt32());
        Assert.Equal(3, (await app.GetAsync("/api/v1/models/Enc%2FModel/history")).GetProperty("items").GetArrayLength());
        Assert.Single((await app.GetAsync("/api/v1/models/Enc%2FModel/versions")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_model_answers_with_its_stream_version_as_ETag_and_304_when_it_did_not_change()
    {
        await app.RegisterAsync("etagged");
        await app.UpdateAsync("etagged", "described");

        using var first = await app.Client.SendAsync(ReadingApp.Get("/api/v1/models/etagged"));
        Assert.Equal("\"2\"", first.Headers.ETag?.ToString());

        using var again = await app.Client.SendAsync(ReadingApp.Get("/api/v1/models/etagged", ("If-None-Match", "\"2\"")));
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);

        await app.UpdateAsync("etagged", "changed");
        using var changed = await app.Client.SendAsync(ReadingApp.Get("/api/v1/models/etagged", ("If-None-Match", "\"2\"")));
        Assert.Equal((HttpStatusCode.OK, "\"3\""), (changed.StatusCode, changed.Headers.ETag?.ToString()));
    }

    [Fact]
    public async Task An_unknown_model_or_version_is_a_404_problem()
    {
        await app.EnsureRegisteredAsync("known");

        Assert.Equal("https://modelregistry.dev/problems/model-not-found", (await app.GetAsync("/api/v1/models/unknown", HttpStatusCode.NotFound)).GetProperty("type").GetString());
        Assert.Equal("https://modelregistry.dev/problems/model-not-found", (await app.GetAsync("/api/v1/models/unknown/versions/1", HttpStatusCode.NotFound)).GetProperty("type").GetString());
        Assert.Equal("https://modelregistry.dev/problems/version-not-found", (await app.GetAsync("/api/v1/models/known/versions/7", HttpStatusCode.NotFound)).GetProperty("type").GetString());
        await app.GetAsync("/api/v1/models/unknown/history", HttpStatusCode.NotFound);
        await app.GetAsync("/api/v1/models/unknown/versions", HttpStatusCode.NotFound);
        await app.GetAsync("/api/v1/models/a/b/c/d", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_model_embeds_its_newest_twenty_versions_and_a_cursor_to_page_through_the_rest()
    {
        await app.RegisterAsync("many");
        var events = Enumerable.Range(1, 130).Select(object (v) => new VersionRegistered(v,
            new VersionSource(SourceType.Url, $"https://example.com/m{v}.onnx", null, null), null, ModelFormat.Onnx, VersionMetadata.Empty,
            ArtifactStatus.Pending, null, null)).ToArray();
        await using (var session = app.App.Store.LightweightSession())
        {
            session.LastModifiedBy = "bulk";
            session.Events.Append("many", 1 + events.Length, events);
            await session.SaveChangesAsync();
        }


        var model = await app.GetAsync("/api/v1/models/many");
        Assert.Equal(Enumerable.Range(111, 20).Reverse(), Versions(model.GetProperty("versions")));
        Assert.Equal(130, model.GetProperty("latest_version").GetInt32());

        var cursor = model.GetProperty("versions_next_cursor").GetString();
        var seen = new List<int>();
        var pages = 0;
        while (cursor is not null)
        {
            var page = await app.GetAsync($"/api/v1/models/many/versions?limit=50&cursor={cursor}");
            seen.AddRange(Versions(page.GetProperty("items")));
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }

        Assert.Equal(Enumerable.Range(1, 110).Reverse(), seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Versions_limit_asks_for_more_or_fewer_embedded_versions()
    {
        await app.RegisterAsync("limited");
        for (var i = 1; i <= 3; i++)
        {
            await app.AddRemoteVersionAsync("limited", SourceType.Url, $"https://example.com/l{i}.onnx");
        }

        var none = await app.GetAsync("/api/v1/models/limited?versions_limit=0");
        Assert.Empty(Versions(none.GetProperty("versions")));
        var all = await app.GetAsync($"/api/v1/models/limited/versions?cursor={none.GetProperty("versions_next_cursor").GetString()}");
        Assert.Equal([3, 2, 1], Versions(all.GetProperty("items")));
        Assert.Equal([3, 2], Versions((await app.GetAsync("/api/v1/models/limited?versions_limit=2")).GetProperty("versions")));
        Assert.Equal(JsonValueKind.Null, (await app.GetAsync("/api/v1/models/limited?versions_limit=200")).GetProperty("versions_next_cursor").ValueKind);
        await app.ExpectInvalidAsync("/api/v1/models/limited?versions_limit=all", "versions_limit");
        await app.ExpectInvalidAsync("/api/v1/models/limited?versions_limit=500", "versions_limit");
    }

    [Fact]
    public async Task Versions_cursor_pages_on_through_the_embedded_versions()
    {
        await app.RegisterAsync("paged-embedded");
        for (var i = 1; i <= 3; i++)
        {
            await app.AddRemoteVersionAsync("paged-embedded", SourceType.Url, $"https://example.com/p{i}.onnx");
        }

        var first = await app.GetAsync("/api/v1/models/paged-embedded?versions_limit=2");
        var rest = await app.GetAsync($"/api/v1/models/paged-embedded?versions_limit=2&versions_cursor={first.GetProperty("versions_next_cursor").GetString()}");

        Assert.Equal([3, 2], Versions(first.GetProperty("versions")));
        Assert.Equal([1], Versions(rest.GetProperty("versions")));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("versions_next_cursor").ValueKind);
    }

    private static List<int> Versions(JsonElement versions) => versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ToList();

    [Fact]
    public async Task One_version_reads_with_its_model_stream_version_as_ETag()
    {
        await app.RegisterAsync("single");
        await app.AddRemoteVersionAsync("single", SourceType.Huggingface, "TheBloke/TinyLlama-GGUF", "tinyllama.Q4.gguf");

        using var response = await app.Client.SendAsync(ReadingApp.Get("/api/v1/models/single/versions/1"));
        var version = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal("\"2\"", response.Headers.ETag?.ToString());
        Assert.Equal(("pending", "huggingface", "TheBloke/TinyLlama-GGUF", "main", "tinyllama.Q4.gguf", "gguf"),
            (version.GetProperty("status").GetString(), version.GetProperty("source_type").GetString(), version.GetProperty("source_uri").GetString(),
                version.GetProperty("source").GetProperty("revision").GetString(), version.GetProperty("source").GetProperty("file").GetString(),
                version.GetProperty("format").GetString()));
        Assert.Equal(JsonValueKind.Null, version.GetProperty("local_path").ValueKind);
    }

    [Fact]
    public async Task As_of_shows_the_model_and_its_versions_as_they_were_then()
    {
        await app.RegisterAsync("travel", "first words");
        await app.AddLocalVersionAsync("travel", "travel/v1.gguf");
        var before = (await app.PromoteAsync("travel", 1))!.Events[^1].Timestamp;
        await Task.Delay(20);
        await app.UpdateAsync("travel", "second words");
        await app.AddLocalVersionAsync("travel", "travel/v2.gguf");
        await app.PromoteAsync("travel", 2);

        var then = await app.GetAsync($"/api/v1/models/travel?as_of={ReadingApp.Timestamp(before)}");
        var now = await app.GetAsync("/api/v1/models/travel");

        Assert.Equal(("first words", 1, 1, 3L), (then.GetProperty("description").GetString(), then.GetProperty("production_version").GetInt32(),
            then.GetProperty("versions").GetArrayLength(), then.GetProperty("stream_version").GetInt64()));
        Assert.Equal(("second words", 2, 2), (now.GetProperty("description").GetString(), now.GetProperty("production_version").GetInt32(),
            now.GetProperty("versions").GetArrayLength()));
        Assert.Equal("production", (await app.GetAsync($"/api/v1/models/travel/versions/1?as_of={ReadingApp.Timestamp(before)}")).GetProperty("stage").GetString());
        Assert.Equal("staging", (await app.GetAsync("/api/v1/models/travel/versions/1")).GetProperty("stage").GetString());
        await app.GetAsync($"/api/v1/models/travel/versions/2?as_of={ReadingApp.Timestamp(before)}", HttpStatusCode.NotFound);
        await app.GetAsync($"/api/v1/models/travel?as_of={ReadingApp.Timestamp(before.AddDays(-1))}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Folding_the_stream_to_now_reads_exactly_what_the_projection_wrote()
    {
        const string name = "Consistent/Model";
        await app.RegisterAsync(name, "d", new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        await app.AddLocalVersionAsync(name, "consistent/v1.gguf", metadata: Metadata);
        await app.AddRemoteVersionAsync(name, SourceType.Url, "https://example.com/v2.safetensors");
        await app.DownloadAsync(name, 2, "consistent/v2.safetensors", 99, ReadingApp.Sha256Of("v2"));
        await app.AddRemoteVersionAsync(name, SourceType.Huggingface, "org/repo", "w.bin");
        await app.PromoteAsync(name, 1);
        await app.PromoteAsync(name, 2, actor: "carol", reason: "better");
        await app.ArchiveAsync(name, 3);
        await app.LockAsync(name, "freeze");
        await app.UnlockAsync(name, "thaw");
        await app.RollbackAsync(name);
        await app.UpdateAsync(name, null, new Dictionary<string, string> { ["c"] = "3" });

        var future = ReadingApp.Timestamp(DateTimeOffset.UtcNow.AddDays(1));
        Assert.Equal((await app.GetAsync("/api/v1/models/Consistent/Model")).ToString(),
            (await app.GetAsync($"/api/v1/models/Consistent/Model?as_of={future}")).ToString());
        Assert.Equal((await app.GetAsync("/api/v1/models/Consistent/Model/production")).ToString(),
            (await app.GetAsync($"/api/v1/models/Consistent/Model/production?as_of={future}")).ToString());
        Assert.Equal((await app.GetAsync("/api/v1/models/Consistent/Model/versions?limit=2")).ToString(),
            (await app.GetAsync($"/api/v1/models/Consistent/Model/versions?limit=2&as_of={future}")).ToString());
    }

    [Theory]
    [InlineData("/api/v1/models/known?as_of=yesterday", "as_of")]
    [InlineData("/api/v1/models/known?as_of=2025-06-01", "as_of")]
    [InlineData("/api/v1/models/known/versions/1?as_of=x", "as_of")]
    [InlineData("/api/v1/models/known/production?as_of=x", "as_of")]
    [InlineData("/api/v1/models/known/versions?cursor=nonsense", "cursor")]
    [InlineData("/api/v1/models/known/versions?limit=lots", "limit")]
    [InlineData("/api/v1/models/known/versions?limit=-1", "limit")]
    [InlineData("/api/v1/models/known/versions?limit=999999999", "limit")]
    [InlineData("/api/v1/models/known?versions_cursor=garbage", "versions_cursor")]
    [InlineData("/api/v1/models/known?versions_limit=-1", "versions_limit")]
    [InlineData("/api/v1/models/known/history?limit=0", "limit")]
    [InlineData("/api/v1/models/known/history?limit=999999999", "limit")]
    [InlineData("/api/v1/models/known/history?cursor=bTp4", "cursor")]
    public async Task Bad_query_values_are_400_problems_naming_the_field(string url, string field)
    {
        await app.EnsureRegisteredAsync("known");

        await app.ExpectInvalidAsync(url, field);
    }

}
