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
/// (<c>RebuildProjectionAsync</c>) three times: what Marten's rebuild costs before any glue of ours.
/// </summary>
internal sealed class MartenRebuildScenario : IScenario
{
    private const double EventsPerSecondGoal = 50_000;
    private const int EventsPerStream = 100;
    private const string Schema = "bench_marten";

    public string Name => "marten-rebuild";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        var streams = context.Quick ? 1_000 : 10_000;
        var events = streams * EventsPerStream;
        using var store = DocumentStore.For(o =>
        {
            RegistryStore.Configure(o, context.ConnectionString, e => e.MapEventType<VersionRegistered>(BenchEvents.VersionRegisteredName));
            o.DatabaseSchemaName = Schema;
            o.Events.DatabaseSchemaName = Schema;
            o.Projections.Add(new MartenStreamStats(), ProjectionLifecycle.Async, MartenStreamStats.TableName);
            o.Storage.ExtendedSchemaObjects.Add(MartenStreamStats.Table());
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var source = NpgsqlDataSource.Create(context.ConnectionString);
        var clock = Stopwatch.StartNew();
        await SeedAsync(source, streams, ct);
        BenchContext.Log($"seeded {events:#,0} events into Marten's tables in {clock.Elapsed.TotalSeconds:0.0} s");

        using var daemon = await store.BuildProjectionDaemonAsync();
        var runs = new List<TimeSpan>();
        for (var rep = 1; rep <= context.Repeats; rep++)
        {
            // Marten tears down only the tables it knows as the projection's; this one is ours, emptied as a rebuild would.
            await using (var truncate = source.CreateCommand($"TRUNCATE {Schema}.{MartenStreamStats.TableName}"))
            {
                await truncate.ExecuteNonQueryAsync(ct);
            }

            clock.Restart();
            await daemon.RebuildProjectionAsync(MartenStreamStats.TableName, TimeSpan.FromMinutes(30), ct);
            runs.Add(clock.Elapsed);
            await VerifyAsync(source, streams, ct);
            BenchContext.Log($"marten rebuild {rep}: {runs[^1].TotalSeconds:0.0} s");
        }

        var median = runs.Order().ElementAt(runs.Count / 2);
        return [new ResultRow($"Marten's rebuild, {events / 1000:#,0}k events", events / median.TotalSeconds, "events/s", Goal: Goal.AtLeast(EventsPerSecondGoal))];
    }

    private static async Task SeedAsync(NpgsqlDataSource source, int streams, CancellationToken ct)
    {
        const string model = "'model-' || ((n - 1) % @streams)";
        const string version = "(n - 1) / @streams + 1";
        await using var cmd = source.CreateCommand($"""
            INSERT INTO {Schema}.mt_streams (id, type, version) SELECT 'model-' || s, 'model', @per FROM generate_series(0, @streams - 1) s;
            INSERT INTO {Schema}.mt_events (seq_id, id, stream_id, version, data, type, user_name, correlation_id, mt_dotnet_type)
            SELECT n, ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, {model}, {version},
                   {BenchEvents.VersionRegisteredSql(model, version)}, '{BenchEvents.VersionRegisteredName}', 'bench', md5(n::text),
                   '{typeof(VersionRegistered).FullName}, {typeof(VersionRegistered).Assembly.GetName().Name}'
            FROM generate_series(1, @streams * @per) n;
            SELECT setval('{Schema}.mt_events_sequence', @streams * @per);
            """);
        cmd.CommandTimeout = 0;
        cmd.Parameters.AddWithValue("streams", streams);
        cmd.Parameters.AddWithValue("per", EventsPerStream);
        await cmd.ExecuteNonQueryAsync(ct);
        foreach (var sql in new[] { $"VACUUM ANALYZE {Schema}.mt_events", $"VACUUM ANALYZE {Schema}.mt_streams", "CHECKPOINT" })
        {
            await using var maintenance = source.CreateCommand(sql);
            maintenance.CommandTimeout = 0;
            await maintenance.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task VerifyAsync(NpgsqlDataSource source, int streams, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand($"SELECT count(*), sum(events), min(last_version) FROM {Schema}.{MartenStreamStats.TableName}");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (rows, total, minVersion) = (reader.GetInt64(0), reader.GetDecimal(1), reader.GetInt64(2));
        if (rows != streams || total != streams * EventsPerStream || minVersion != EventsPerStream)
        {
            throw new InvalidOperationException($"Marten's rebuilt table is wrong: {rows} rows, {total} events, lowest last version {minVersion}.");
        }
    }

    /// <summary>One upsert per batch of events, as <see cref="StreamStatsProjection"/> writes it, queued in Marten's session.</summary>
    private sealed class MartenStreamStats : IMartenProjection
    {
        public const string TableName = "bench_stream_stats";

        public static Weasel.Postgresql.Tables.Table Table()
        {
            var table = new Weasel.Postgresql.Tables.Table($"{Schema}.{TableName}");
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
                INSERT INTO {Schema}.{TableName} AS s (stream_id, events, last_version, last_position)
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
