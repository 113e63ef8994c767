using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using Marten;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

public sealed class CatalogProjectionTests(ReadingApp app) : IClassFixture<ReadingApp>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private async Task LifecycleAsync(string name)
    {
        await app.RegisterAsync(name, "d", new Dictionary<string, string> { ["team"] = "nlp" });
        await app.AddLocalVersionAsync(name, $"{name}/v1.gguf");
        await app.AddRemoteVersionAsync(name, SourceType.Huggingface, "org/repo", "w.gguf");
        await app.DownloadAsync(name, 2, $"{name}/v2.gguf", 42, ReadingApp.Sha256Of(name));
        await app.AddRemoteVersionAsync(name, SourceType.Url, "https://example.com/w.onnx");
        await app.PromoteAsync(name, 1);
        await app.PromoteAsync(name, 2, actor: "bob");
        await app.ArchiveAsync(name, 3);
        await app.LockAsync(name, "audit");
        await app.UnlockAsync(name, "done");
        await app.RollbackAsync(name);
        await app.UpdateAsync(name, "described again", new Dictionary<string, string> { ["team"] = "vision" });
    }

    [Fact]
    public async Task A_rebuild_from_the_first_event_yields_the_same_tables_as_the_inline_updates()
    {
        foreach (var name in new[] { "rebuilt/a", "Rebuilt/B", "rebuilt-c" })
        {
            await LifecycleAsync(name);
        }

        var incremental = await TablesAsync();
        var indexes = (await IndexCountAsync(CatalogProjection.Models), await IndexCountAsync(CatalogProjection.Versions));
        Assert.True(await app.Projections.RequestRebuildAsync("catalog"));
        await app.Projections.WaitForNonStaleAsync(Timeout);
        var rebuilt = await TablesAsync();

        Assert.Equal(incremental, rebuilt);
        Assert.Equal(indexes, (await IndexCountAsync(CatalogProjection.Models), await IndexCountAsync(CatalogProjection.Versions)));
        await LifecycleAsync("after-rebuild");
        Assert.Equal(1, (await app.GetAsync("/api/v1/models/after-rebuild/production")).GetProperty("version").GetInt32());
        Assert.True(await app.Projections.RequestRebuildAsync("catalog"));
        await app.Projections.WaitForNonStaleAsync(Timeout);
        Assert.Equal(indexes, (await IndexCountAsync(CatalogProjection.Models), await IndexCountAsync(CatalogProjection.Versions)));
    }

    [Fact]
    public async Task Applying_events_again_leaves_the_tables_as_they_are()
    {
        await LifecycleAsync("replayed/model");
        var before = await TablesAsync();
        var events = await app.App.StreamAsync("replayed/model");
        var projection = app.Services.GetRequiredService<CatalogProjection>();

        await using (var session = app.App.Store.LightweightSession())
        {
            await projection.ApplyAsync(session, events, default);
            await projection.ApplyAsync(session, events.Skip(3).ToList(), default);
            await session.SaveChangesAsync();
        }

        Assert.Equal(before, await TablesAsync());
    }

    [Fact]
    public async Task A_model_with_ten_thousand_versions_embeds_one_page_of_them_and_reads_one_version_directly()
    {
        await AppendVersionsAsync("large", 10_000);

        var model = await app.GetAsync("/api/v1/models/large");
        var version = await app.GetAsync("/api/v1/models/large/versions/5000");

        Assert.Equal((20, 10_000), (model.GetProperty("versions").GetArrayLength(), model.GetProperty("versions")[0].GetProperty("version").GetInt32()));
        Assert.NotNull(model.GetProperty("versions_next_cursor").GetString());
        Assert.Equal(10_000, model.GetProperty("latest_version").GetInt32());
        Assert.Equal(5000, version.GetProperty("version").GetInt32());
    }

    private async Task AppendVersionsAsync(string name, int count)
    {
        await app.RegisterAsync(name);
        for (var start = 1; start <= count; start += 1000)
        {
            var events = Enumerable.Range(start, Math.Min(1000, count - start + 1)).Select(object (v) => new VersionRegistered(v,
                new VersionSource(SourceType.Url, $"https://example.com/{name}/{v}.onnx", null, null), null, ModelFormat.Onnx, VersionMetadata.Empty,
                ArtifactStatus.Pending, null, null)).ToArray();
            await using var session = app.App.Store.LightweightSession();
            session.LastModifiedBy = "bulk";
            session.Events.Append(name, start + events.Length, events);
            await session.SaveChangesAsync();
        }
    }

    private static double Percentile10(List<double> values) => values.Order().ElementAt(values.Count / 10);

    private async Task<List<string>> TablesAsync()
    {
        await using var conn = new NpgsqlConnection(app.Database.ConnectionString);
        await conn.OpenAsync();
        var rows = new List<string>();
        foreach (var sql in new[]
                 {
                     $"SELECT row_to_json(m)::text FROM {CatalogProjection.Models} m ORDER BY key",
                     $"SELECT row_to_json(v)::text FROM {CatalogProjection.Versions} v ORDER BY model_key, version",
                 })
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }
        }

        return rows;
    }

    private async Task<int> IndexCountAsync(string table)
    {
        await using var conn = new NpgsqlConnection(app.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*)::int FROM pg_indexes WHERE tablename = @t", conn);
        cmd.Parameters.AddWithValue("t", table);
        return (int)(await cmd.ExecuteScalarAsync())!;
    }
}
