using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using Npgsql;
using IMartenProjection = Marten.Events.Projections.IProjection;

namespace ModelRegistry.Benchmarks.Rebuild;

/// <summary>
/// One row per stream with its event count and last version, written as one upsert per batch queued in Marten's session: a
/// projection whose own work is next to nothing, so its rebuild measures Marten's daemon (reading events, deserializing them,
/// progress and commits).
/// </summary>
internal sealed class StreamStatsProjection : IMartenProjection
{
    public const string TableName = "bench_stream_stats";

    /// <summary>A Marten store configured as the application's, over its events, with this projection alone (async) at <paramref name="batchSize"/>.</summary>
    public static DocumentStore Store(string connectionString, int batchSize) => DocumentStore.For(o =>
    {
        RegistryStore.Configure(o, connectionString, CatalogStream.Map);
        o.Events.EnableExtendedProgressionTracking = true;
        o.Projections.Errors.SkipApplyErrors = false;
        o.Projections.Add(new StreamStatsProjection(), ProjectionLifecycle.Async, TableName, a => (a.BatchSize, a.MaximumHopperSize) = (batchSize, 2 * batchSize));
        o.Storage.ExtendedSchemaObjects.Add(Table());
    });

    private static Weasel.Postgresql.Tables.Table Table()
    {
        var table = new Weasel.Postgresql.Tables.Table($"public.{TableName}");
        table.AddColumn<string>("stream_id").AsPrimaryKey();
        table.AddColumn<long>("events").NotNull();
        table.AddColumn<long>("last_version").NotNull();
        table.AddColumn<long>("last_position").NotNull();
        return table;
    }

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var perStream = new Dictionary<string, (long Count, IEvent Last)>();
        foreach (var e in events)
        {
            perStream[e.StreamKey!] = (perStream.GetValueOrDefault(e.StreamKey!).Count + 1, e);
        }

        var rows = perStream.Values.ToArray();
        operations.QueueSqlCommand('^', $"""
            INSERT INTO {TableName} AS s (stream_id, events, last_version, last_position)
            SELECT * FROM unnest(^::text[], ^::bigint[], ^::bigint[], ^::bigint[])
            ON CONFLICT (stream_id) DO UPDATE SET events = s.events + excluded.events, last_version = excluded.last_version,
                last_position = excluded.last_position
            WHERE s.last_position < excluded.last_position
            """,
            rows.Select(r => r.Last.StreamKey!).ToArray(), rows.Select(r => r.Count).ToArray(),
            rows.Select(r => r.Last.Version).ToArray(), rows.Select(r => r.Last.Sequence).ToArray());
        return Task.CompletedTask;
    }

    public static async Task VerifyAsync(NpgsqlDataSource source, int streams, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand($"SELECT count(*), sum(events), min(last_version) FROM {TableName}");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (rows, total, minVersion) = (reader.GetInt64(0), reader.GetDecimal(1), reader.GetInt64(2));
        if (rows != streams || total != streams * Rebuild.CatalogSeed.EventsPerStream || minVersion != Rebuild.CatalogSeed.EventsPerStream)
        {
            throw new InvalidOperationException($"Marten's rebuilt table is wrong: {rows} rows, {total} events, lowest last version {minVersion}.");
        }
    }
}
