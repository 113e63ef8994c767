using System.Diagnostics;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.Common;
using Npgsql;
using IMartenProjection = Marten.Events.Projections.IProjection;

namespace ModelRegistry.Benchmarks.Rebuild;

/// <summary>
/// The <c>rebuild</c> scenario's projection (one row per stream with its event count and last version) as a Marten async
/// projection, over the same 1M events (10,000 streams × 100) seeded into Marten's tables, rebuilt by Marten's own daemon
/// (<c>RebuildProjectionAsync</c>) three times: what Marten's rebuild costs before any glue of ours. Run with Marten's default
/// batch of events and with a larger one, each in a schema of its own.
/// </summary>
internal sealed class MartenRebuildScenario : IScenario
{
    private const double EventsPerSecondGoal = 50_000;
    private const int EventsPerStream = 100;
    private const int LargeBatch = 10_000;

    public string Name => "marten-rebuild";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        var rows = new List<ResultRow>();
        foreach (var batchSize in new int?[] { null, LargeBatch })
        {
            rows.Add(await RunAsync(context, batchSize, ct));
        }

        return rows;
    }

    private static async Task<ResultRow> RunAsync(BenchContext context, int? batchSize, CancellationToken ct)
    {
        var streams = context.Quick ? 1_000 : 10_000;
        var events = streams * EventsPerStream;
        var schema = batchSize is null ? "bench_marten" : "bench_marten_large";
        var projection = new MartenStreamStats(schema);
        using var store = DocumentStore.For(o =>
        {
            RegistryStore.Configure(o, context.ConnectionString, e => e.MapEventType<VersionRegistered>(BenchEvents.VersionRegisteredName));
            o.DatabaseSchemaName = schema;
            o.Events.DatabaseSchemaName = schema;
            o.Projections.Add(projection, ProjectionLifecycle.Async, MartenStreamStats.TableName, a =>
            {
                if (batchSize is { } size)
                {
                    a.BatchSize = size;
                }
            });
            o.Storage.ExtendedSchemaObjects.Add(projection.Table());
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var source = NpgsqlDataSource.Create(context.ConnectionString);
        var clock = Stopwatch.StartNew();
        await SeedAsync(source, schema, streams, ct);
        BenchContext.Log($"seeded {events:#,0} events into Marten's tables in {clock.Elapsed.TotalSeconds:0.0} s");

        using var daemon = await store.BuildProjectionDaemonAsync();
        var runs = new List<TimeSpan>();
        for (var rep = 1; rep <= context.Repeats; rep++)
        {
            // Marten tears down only the tables it knows as the projection's; this one is ours, emptied as a rebuild would.
            await using (var truncate = source.CreateCommand($"TRUNCATE {schema}.{MartenStreamStats.TableName}"))
            {
                await truncate.ExecuteNonQueryAsync(ct);
            }

            clock.Restart();
            await daemon.RebuildProjectionAsync(MartenStreamStats.TableName, TimeSpan.FromMinutes(30), ct);
            runs.Add(clock.Elapsed);
            await VerifyAsync(source, schema, streams, ct);
            BenchContext.Log($"marten rebuild {rep}, batch {batchSize?.ToString() ?? "default"}: {runs[^1].TotalSeconds:0.0} s");
        }

        var median = runs.Order().ElementAt(runs.Count / 2);
        return new ResultRow($"Marten's rebuild, {events / 1000:#,0}k events, batch {batchSize?.ToString("#,0") ?? "default"}",
            events / median.TotalSeconds, "events/s", Goal: Goal.AtLeast(EventsPerSecondGoal));
    }

    private static async Task SeedAsync(NpgsqlDataSource source, string schema, int streams, CancellationToken ct)
    {
        const string model = "'model-' || ((n - 1) % @streams)";
        const string version = "(n - 1) / @streams + 1";
        await using var cmd = source.CreateCommand($"""
            INSERT INTO {schema}.mt_streams (id, type, version) SELECT 'model-' || s, 'model', @per FROM generate_series(0, @streams - 1) s;
            INSERT INTO {schema}.mt_events (seq_id, id, stream_id, version, data, type, user_name, correlation_id, mt_dotnet_type)
            SELECT n, ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, {model}, {version},
                   {BenchEvents.VersionRegisteredSql(model, version)}, '{BenchEvents.VersionRegisteredName}', 'bench', md5(n::text),
                   '{typeof(VersionRegistered).FullName}, {typeof(VersionRegistered).Assembly.GetName().Name}'
            FROM generate_series(1, @streams * @per) n;
            SELECT setval('{schema}.mt_events_sequence', @streams * @per);
            """);
        cmd.CommandTimeout = 0;
        cmd.Parameters.AddWithValue("streams", streams);
        cmd.Parameters.AddWithValue("per", EventsPerStream);
        await cmd.ExecuteNonQueryAsync(ct);
        foreach (var sql in new[] { $"VACUUM ANALYZE {schema}.mt_events", $"VACUUM ANALYZE {schema}.mt_streams", "CHECKPOINT" })
        {
            await using var maintenance = source.CreateCommand(sql);
            maintenance.CommandTimeout = 0;
            await maintenance.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task VerifyAsync(NpgsqlDataSource source, string schema, int streams, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand($"SELECT count(*), sum(events), min(last_version) FROM {schema}.{MartenStreamStats.TableName}");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (rows, total, minVersion) = (reader.GetInt64(0), reader.GetDecimal(1), reader.GetInt64(2));
        if (rows != streams || total != streams * EventsPerStream || minVersion != EventsPerStream)
        {
            throw new InvalidOperationException($"Marten's rebuilt table is wrong: {rows} rows, {total} events, lowest last version {minVersion}.");
        }
    }

    /// <summary>One upsert per batch of events, as <see cref="StreamStatsProjection"/> writes it, queued in Marten's session.</summary>
    private sealed class MartenStreamStats(string schema) : IMartenProjection
    {
        public const string TableName = "bench_stream_stats";

        public Weasel.Postgresql.Tables.Table Table()
        {
            var table = new Weasel.Postgresql.Tables.Table($"{schema}.{TableName}");
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
                INSERT INTO {schema}.{TableName} AS s (stream_id, events, last_version, last_position)
                SELECT * FROM unnest(^::text[], ^::bigint[], ^::bigint[], ^::bigint[])
                ON CONFLICT (stream_id) DO UPDATE SET events = s.events + excluded.events, last_version = excluded.last_version,
                    last_position = excluded.last_position
                WHERE s.last_position < excluded.last_position
                """,
                rows.Select(r => r.Last.StreamKey!).ToArray(), rows.Select(r => r.Count).ToArray(),
                rows.Select(r => r.Last.Version).ToArray(), rows.Select(r => r.Last.Sequence).ToArray());
            return Task.CompletedTask;
        }
    }
}
