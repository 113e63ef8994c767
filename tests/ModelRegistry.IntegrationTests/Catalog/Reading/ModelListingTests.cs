using System.Text.Json;
using ModelRegistry.Catalog;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

public sealed class ModelListingTests(ReadingApp app) : IClassFixture<ReadingApp>
{
    private static Dictionary<string, string> Set(string set, params (string Key, string Value)[] more) =>
        more.Append(("set", set)).ToDictionary(t => t.Item1, t => t.Item2);

    private static List<string> Names(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToList();

    [Fact]
    public async Task Listing_pages_through_every_model_in_name_order_with_an_opaque_cursor()
    {
        string[] names = ["paging/e", "Paging/B", "paging/a", "paging/D", "paging/c", "paging/g", "paging/F"];
        foreach (var name in names)
        {
            await app.RegisterAsync(name, tags: Set("paging"));
        }

        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await app.GetAsync($"/api/v1/models?tag=set:paging&limit=3{(cursor is null ? "" : $"&cursor={cursor}")}");
            Assert.Equal(["items", "next_cursor"], page.EnumerateObject().Select(p => p.Name));
            seen.AddRange(Names(page));
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(["paging/a", "Paging/B", "paging/c", "paging/D", "paging/e", "paging/F", "paging/g"], seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Listed_models_carry_their_fields_but_not_their_versions()
    {
        await app.RegisterAsync("shape/listed", "described", Set("shape"));
        await app.AddLocalVersionAsync("shape/listed", "shape/v1.gguf");

        var item = Assert.Single((await app.GetAsync("/api/v1/models?tag=set:shape")).GetProperty("items").EnumerateArray());

        Assert.Equal(["name", "description", "tags", "owner", "locked", "production_version", "latest_version", "stream_version", "created_at", "updated_at"],
            item.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, item.GetProperty("latest_version").GetInt32());
    }

    [Fact]
    public async Task Q_finds_a_substring_of_the_name_or_the_description_in_any_case()
    {
        await app.RegisterAsync("Search/Alpha-Chat", "weights", Set("search"));
        await app.RegisterAsync("Search/Beta", "a CHAT model", Set("search"));
        await app.RegisterAsync("Search/Gamma", "vision 100%", Set("search"));

        Assert.Equal(["Search/Alpha-Chat", "Search/Beta"], Names(await app.GetAsync("/api/v1/models?tag=set:search&q=chat")));
        Assert.Equal(["Search/Gamma"], Names(await app.GetAsync("/api/v1/models?tag=set:search&q=GAMM")));
        Assert.Equal(["Search/Gamma"], Names(await app.GetAsync($"/api/v1/models?tag=set:search&q={ReadingApp.Escape("100%")}")));
        Assert.Empty(Names(await app.GetAsync($"/api/v1/models?tag=set:search&q={ReadingApp.Escape("%_")}")));
    }

    [Fact]
    public async Task Tag_filters_must_all_hold_and_a_value_may_contain_a_colon()
    {
        await app.RegisterAsync("tags/one", tags: Set("tags", ("team", "nlp"), ("url", "http://x")));
        await app.RegisterAsync("tags/two", tags: Set("tags", ("team", "nlp")));
        await app.RegisterAsync("tags/three", tags: Set("tags", ("team", "vision")));

        Assert.Equal(["tags/one", "tags/two"], Names(await app.GetAsync("/api/v1/models?tag=set:tags&tag=team:nlp")));
        Assert.Equal(["tags/one"], Names(await app.GetAsync($"/api/v1/models?tag=team:nlp&tag={ReadingApp.Escape("url:http://x")}")));
        Assert.Empty(Names(await app.GetAsync("/api/v1/models?tag=team:nlp&tag=team:vision")));
    }

    [Fact]
    public async Task Stage_and_status_find_models_having_a_version_in_that_stage_or_status()
    {
        await app.RegisterAsync("stages/live", tags: Set("stages"));
        await app.AddLocalVersionAsync("stages/live", "stages/live.gguf");
        await app.PromoteAsync("stages/live", 1);
        await app.RegisterAsync("stages/shelved", tags: Set("stages"));
        await app.AddLocalVersionAsync("stages/shelved", "stages/shelved.gguf");
        await app.ArchiveAsync("stages/shelved", 1);
        await app.RegisterAsync("stages/waiting", tags: Set("stages"));
        await app.AddRemoteVersionAsync("stages/waiting", SourceType.Url, "https://example.com/w.onnx");
        await app.RegisterAsync("stages/empty", tags: Set("stages"));

        Assert.Equal(["stages/live"], Names(await app.GetAsync("/api/v1/models?tag=set:stages&stage=production")));
        Assert.Equal(["stages/shelved"], Names(await app.GetAsync("/api/v1/models?tag=set:stages&stage=archived")));
        Assert.Equal(["stages/waiting"], Names(await app.GetAsync("/api/v1/models?tag=set:stages&stage=staging")));
        Assert.Equal(["stages/waiting"], Names(await app.GetAsync("/api/v1/models?tag=set:stages&status=pending")));
        Assert.Equal(["stages/live", "stages/shelved"], Names(await app.GetAsync("/api/v1/models?tag=set:stages&status=Ready")));
        Assert.Equal(["stages/live"], Names(await app.GetAsync("/api/v1/models?tag=set:stages&status=ready&stage=production")));
    }

    [Fact]
    public async Task A_limit_takes_1_through_200()
    {
        await app.RegisterAsync("bounds/a", tags: Set("bounds"));
        await app.RegisterAsync("bounds/b", tags: Set("bounds"));

        var one = await app.GetAsync("/api/v1/models?tag=set:bounds&limit=1");
        Assert.Equal(["bounds/a"], Names(one));
        Assert.NotNull(one.GetProperty("next_cursor").GetString());
        Assert.Equal(["bounds/a", "bounds/b"], Names(await app.GetAsync("/api/v1/models?tag=set:bounds&limit=200")));
    }

    [Theory]
    [InlineData("/api/v1/models?stage=live", "stage")]
    [InlineData("/api/v1/models?status=done", "status")]
    [InlineData("/api/v1/models?tag=novalue", "tag")]
    [InlineData("/api/v1/models?tag=:v", "tag")]
    [InlineData("/api/v1/models?cursor=%25%25", "cursor")]
    [InlineData("/api/v1/models?cursor=YTox", "cursor")]
    [InlineData("/api/v1/models?limit=ten", "limit")]
    [InlineData("/api/v1/models?limit=0", "limit")]
    [InlineData("/api/v1/models?limit=-1", "limit")]
    [InlineData("/api/v1/models?limit=201", "limit")]
    [InlineData("/api/v1/models?limit=999999999", "limit")]
    [InlineData("/api/v1/models?limit=1&limit=2", "limit")]
    public async Task Bad_filters_are_400_problems_naming_the_field(string url, string field) => await app.ExpectInvalidAsync(url, field);

    [Fact]
    public async Task Search_text_longer_than_200_characters_is_refused() =>
        await app.ExpectInvalidAsync($"/api/v1/models?q={new string('x', 201)}", "q");
}
