using System.Net;
using System.Text.Json;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Crashes;

/// <summary>The catalog tables compared with a fold of the events and with a rebuild from the first event.</summary>
internal static class CatalogConsistency
{
    private const string AfterEverything = "9999-12-31T00:00:00Z";

    /// <summary>
    /// Each model as the tables show it against the same model folded from its events (an as_of read after every
    /// event); returns the models that differ, with both answers.
    /// </summary>
    public static async Task<IReadOnlyList<string>> TablesDifferingFromFoldAsync(HttpClient client, IEnumerable<string> models, CancellationToken ct)
    {
        var differences = new List<string>();
        foreach (var model in models.Distinct())
        {
            // A model whose only registration was cut by a kill exists on neither side: both answer 404.
            var tables = await ReadAsync(client, $"/api/v1/models/{model}?versions_limit=200", ct);
            var fold = await ReadAsync(client, $"/api/v1/models/{model}?versions_limit=200&as_of={AfterEverything}", ct);
            if (tables != fold)
            {
                differences.Add($"{model}:{Environment.NewLine}  tables {tables}{Environment.NewLine}  fold   {fold}");
            }
        }

        return differences;
    }

    private static async Task<string> ReadAsync(HttpClient client, string url, CancellationToken ct)
    {
        using var response = await client.GetAsync(url, ct);
        return response.StatusCode == HttpStatusCode.NotFound ? "404" : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}";
    }

    /// <summary>Both catalog tables as JSON text, ordered by key.</summary>
    public static async Task<string> SnapshotAsync(string connectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("""
            SELECT (SELECT json_agg(m ORDER BY m.key)::text FROM catalog_models m)
                || E'\n' || (SELECT json_agg(v ORDER BY v.model_key, v.version)::text FROM catalog_versions v)
            """, conn);
        return (string)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Asks for a rebuild of the catalog through the admin API and waits until it is running again.</summary>
    public static async Task RebuildAsync(HttpClient client, CancellationToken ct)
    {
        using (var requested = await client.PostAsync("/api/v1/admin/projections/catalog/rebuild", null, ct))
        {
            if (requested.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"A rebuild request answered {(int)requested.StatusCode}: {await requested.Content.ReadAsStringAsync(ct)}");
            }
        }

        while (true)
        {
            var statuses = JsonDocument.Parse(await client.GetStringAsync("/api/v1/admin/projections", ct)).RootElement;
            var catalog = statuses.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "catalog");
            switch (catalog.GetProperty("state").GetString())
            {
                case "running":
                    return;
                case "faulted":
                    throw new InvalidOperationException($"The catalog rebuild failed: {catalog}");
            }

            await Task.Delay(100, ct);
        }
    }
}
