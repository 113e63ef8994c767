using System.Collections.Immutable;
using Marten;
using ModelRegistry.Catalog;
using Npgsql;

namespace ModelRegistry.Benchmarks.Rebuild;

/// <summary>
/// Catalog histories written straight into Marten's tables with SQL: <c>streams</c> models of 100 events each, interleaved as many
/// models' histories are (position n belongs to model n mod streams), so every batch of a replay touches thousands of models. Each
/// model: registered, 32 versions each registered, downloading and downloaded, two promotions to production and an update. The
/// payloads are the application's own events as Marten's serializer writes them, with names, versions and paths filled in.
/// </summary>
internal static class CatalogSeed
{
    public const int EventsPerStream = 100;
    public const int VersionsPerStream = 32;
    public const string ModelPrefix = "bench-model-";

    private static readonly object[] Templates =
    [
        new ModelRegistered("name", "A model of the rebuild benchmark", ImmutableDictionary<string, string>.Empty.Add("family", "bench"), "bench"),
        BenchEvents.VersionRegistered("bench", 0),
        new VersionDownloadStarted(0, Guid.Parse("0195c1d2-0000-7000-8000-000000000001")),
        new VersionDownloaded(0, "path", 4_368_439_584, new string('a', 64), DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            "https://huggingface.co/bench/resolve/0123456789abcdef/model.Q4_K_M.gguf", "0123456789abcdef0123456789abcdef01234567", "\"etag\""),
        new VersionPromoted(VersionsPerStream - 1, Stage.Production, null, false),
        new ModelUpdated("Updated by the rebuild benchmark", null),
        new VersionPromoted(VersionsPerStream, Stage.Production, VersionsPerStream - 1, false),
    ];

    public static async Task SeedAsync(IDocumentStore store, NpgsqlDataSource source, int streams, CancellationToken ct)
    {
        var serializer = store.Options.Serializer();
        var names = Templates.Select(t => CatalogStream.EventTypes.Single(e => e.Type == t.GetType()).Name).ToArray();
        var dotnet = Templates.Select(t => $"{t.GetType().FullName}, {t.GetType().Assembly.GetName().Name}").ToArray();
        var schema = Common.RegistryStore.Schema;
        // Event k of a stream: 0 registers the model; 1..96 are version (k-1)/3+1 registered, downloading, downloaded; then a
        // promotion of version 31, an update, and a promotion of version 32.
        await using var cmd = source.CreateCommand($"""
            INSERT INTO {schema}.mt_streams (id, version) SELECT '{ModelPrefix}' || s, @per FROM generate_series(0, @streams - 1) s;
            INSERT INTO {schema}.mt_events (seq_id, id, stream_id, version, data, type, mt_dotnet_type, user_name, correlation_id)
            SELECT n, ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, model, k + 1,
                   CASE e
                       WHEN 0 THEN jsonb_set(t[1], ARRAY['name'], to_jsonb(model))
                       WHEN 1 THEN jsonb_set(t[2], ARRAY['version'], to_jsonb(v))
                       WHEN 2 THEN jsonb_set(t[3], ARRAY['version'], to_jsonb(v))
                       WHEN 3 THEN jsonb_set(jsonb_set(t[4], ARRAY['version'], to_jsonb(v)), ARRAY['local_path'], to_jsonb(model || '/' || v || '/model.Q4_K_M.gguf'))
                       ELSE t[e + 1]
                   END,
                   (@names::text[])[e + 1], (@dotnet::text[])[e + 1], 'bench', md5(n::text)
            FROM (
                SELECT n, model, k, (k - 1) / 3 + 1 AS v,
                       CASE WHEN k = 0 THEN 0 WHEN k <= 96 THEN 1 + (k - 1) % 3 WHEN k = 97 THEN 4 WHEN k = 98 THEN 5 ELSE 6 END AS e
                FROM (SELECT n, '{ModelPrefix}' || ((n - 1) % @streams) AS model, (n - 1) / @streams AS k FROM generate_series(1, @streams * @per) n) numbered
            ) events, (SELECT @templates::jsonb[] AS t) templates
            ORDER BY n;
            SELECT setval('{schema}.mt_events_sequence', @streams * @per);
            """);
        cmd.CommandTimeout = 0;
        cmd.Parameters.AddWithValue("streams", streams);
        cmd.Parameters.AddWithValue("per", EventsPerStream);
        cmd.Parameters.AddWithValue("names", names);
        cmd.Parameters.AddWithValue("dotnet", dotnet);
        cmd.Parameters.AddWithValue("templates", Templates.Select(serializer.ToJson).ToArray());
        await cmd.ExecuteNonQueryAsync(ct);

        // A live table has been vacuumed; the first reader of fresh rows would otherwise pay for setting hint bits.
        foreach (var sql in new[] { $"VACUUM ANALYZE {schema}.mt_events", $"VACUUM ANALYZE {schema}.mt_streams", "CHECKPOINT" })
        {
            await using var maintenance = source.CreateCommand(sql);
            maintenance.CommandTimeout = 0;
            await maintenance.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Throws unless the live catalog is what the seeded events make of it.</summary>
    public static async Task VerifyAsync(NpgsqlDataSource source, int streams, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand($"""
            SELECT (SELECT count(*) FROM catalog_models WHERE latest_version = {VersionsPerStream} AND production_version = {VersionsPerStream}
                        AND production_position IS NOT NULL AND stream_version = {EventsPerStream} AND description LIKE 'Updated%'),
                   (SELECT count(*) FROM catalog_models),
                   (SELECT count(*) FROM catalog_versions WHERE status = 'ready' AND local_path IS NOT NULL),
                   (SELECT count(*) FROM catalog_versions)
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (models, allModels, versions, allVersions) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        if (models != streams || allModels != streams || versions != (long)streams * VersionsPerStream || allVersions != versions)
        {
            throw new InvalidOperationException($"The rebuilt catalog is wrong: {models} of {allModels} models as expected (of {streams}), " +
                                                $"{versions} of {allVersions} versions ready (of {(long)streams * VersionsPerStream}).");
        }
    }
}
