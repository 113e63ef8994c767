using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

public sealed class SearchIndexTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task The_search_index_covers_names_and_descriptions_not_keys_and_an_older_catalog_is_moved_over()
    {
        // pg_trgm answers '=' too: with the key in it, a key lookup on a table without statistics went through it.
        Assert.Equal(["(name gin_trgm_ops, description gin_trgm_ops)"], await TrigramIndexesAsync());

        // A catalog created by an older version: its trigram index covers the key. Marten's schema management moves it over.
        await ExecuteAsync("""
            DROP INDEX catalog_models_name_description_idx;
            CREATE INDEX ON catalog_models USING gin (key gin_trgm_ops, description gin_trgm_ops);
            """);
        Assert.Equal(["(key gin_trgm_ops, description gin_trgm_ops)"], await TrigramIndexesAsync());

        await using var upgraded = await fixture.StartAsync();
        await upgraded.Scenario(s => { s.Post.SnakeJson(new { name = "Search/Upgraded" }).ToUrl("/api/v1/models"); s.StatusCodeShouldBe(201); });

        Assert.Equal(["(name gin_trgm_ops, description gin_trgm_ops)"], await TrigramIndexesAsync());
        var found = await upgraded.Scenario(s => { s.Get.Url("/api/v1/models?q=UPGRAD"); s.StatusCodeShouldBe(200); });
        Assert.Equal(["Search/Upgraded"], found.Json.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
    }

    private async Task<List<string>> TrigramIndexesAsync(string table = "catalog_models")
    {
        await using var conn = new NpgsqlConnection(fixture.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT substring(indexdef FROM '\(.*\)') FROM pg_indexes
            WHERE schemaname = current_schema() AND tablename = $1 AND indexdef LIKE '%gin_trgm_ops%'
            ORDER BY 1
            """, conn) { Parameters = { new() { Value = table } } };
        var found = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            found.Add(reader.GetString(0));
        }

        return found;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(fixture.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
