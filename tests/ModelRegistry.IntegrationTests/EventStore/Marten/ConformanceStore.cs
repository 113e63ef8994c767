using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>The app's Marten configuration on a test database, with the schema applied, plus raw reads of what it stored.</summary>
internal static class ConformanceStore
{
    public static async Task<DocumentStore> CreateAsync(TestDatabase db, Action<StoreOptions>? testOnly = null)
    {
        var store = DocumentStore.For(o =>
        {
            RegistryStore.Configure(o, db.ConnectionString, CatalogStream.Map);
            testOnly?.Invoke(o);
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return store;
    }

    /// <summary>The store with the write model folded live and the inline projection that can hold a save's transaction open.</summary>
    public static void ForWriting(StoreOptions o)
    {
        o.Projections.Add(new WriteModelProjection(), JasperFx.Events.Projections.ProjectionLifecycle.Live);
        o.Projections.Add(new TransactionHold(), JasperFx.Events.Projections.ProjectionLifecycle.Inline, "transaction_hold");
    }

    /// <summary>Rows of a raw query; parameters are positional ($1, $2, …).</summary>
    public static async Task<List<object?[]>> RowsAsync(this TestDatabase db, string sql, params object[] parameters)
    {
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public static async Task<T> ScalarAsync<T>(this TestDatabase db, string sql, params object[] parameters) =>
        (T)(await db.RowsAsync(sql, parameters)).Single()[0]!;

    /// <summary>Every stored event's global position, in order.</summary>
    public static async Task<List<long>> SequencesAsync(this TestDatabase db) =>
        (await db.RowsAsync("SELECT seq_id FROM registry.mt_events ORDER BY seq_id")).Select(r => (long)r[0]!).ToList();

    /// <summary>The last number the event sequence handed out (0 when none yet).</summary>
    public static async Task<long> LastDrawnSequenceAsync(this TestDatabase db) =>
        await db.ScalarAsync<long>("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM registry.mt_events_sequence");
}

/// <summary>The app's catalog events as a command would append them.</summary>
internal static class CatalogEvents
{
    public static ModelRegistered Registered(string name) => new(name, null, new Dictionary<string, string>(), "alice");

    public static VersionRegistered Version(int version) => new(
        version, new VersionSource(SourceType.Url, $"https://example.test/m-{version}.gguf", null, null), null, ModelFormat.Gguf,
        VersionMetadata.Empty, ArtifactStatus.Pending, null, null);

    public static VersionPromoted Promoted(int version) => new(version, Stage.Production, null, false);

    public static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
