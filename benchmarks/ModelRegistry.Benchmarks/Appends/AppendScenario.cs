using JasperFx.Events;
using Marten;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using Npgsql;
using NpgsqlTypes;

namespace ModelRegistry.Benchmarks.Appends;

/// <summary>
/// Marten's bare append (<c>Append</c> + <c>SaveChangesAsync</c>, one catalog event per session, the application's store
/// configuration from <see cref="RegistryStore.Configure"/>) in the application's append mode (Quick, server timestamps) and in
/// Rich, each in a schema of its own, against raw single-row INSERTs into a copy of Marten's events table (same columns and
/// indexes), at 1, 4 and 16 writers, interleaved so noise hits every kind. Each writer appends round-robin to its own 100 streams,
/// as commands spread over many models do: the first append creates a stream, the rest extend it.
/// </summary>
internal sealed class AppendScenario : IScenario
{
    private const int StreamsPerWriter = 100;
    private const int MaxWriters = 16;
    private static readonly int[] Concurrency = [1, 4, MaxWriters];

    public string Name => "appends";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        using var quick = await MartenAsync(context.ConnectionString, EventAppendMode.QuickWithServerTimestamps);
        using var rich = await MartenAsync(context.ConnectionString, EventAppendMode.Rich);
        await using var raw = NpgsqlDataSource.Create(context.ConnectionString);
        await CreateRawTableAsync(raw, quick, ct);
        var kinds = new (string Name, Func<string, Func<int, Task>> Writer)[]
        {
            ("raw", run => RawInsert(raw, quick, run)),
            ("marten quick", run => MartenAppend(quick, run)),
            ("marten rich", run => MartenAppend(rich, run)),
        };

        var rows = new List<ResultRow>();
        var run = 0;
        foreach (var writers in Concurrency)
        {
            var rates = kinds.ToDictionary(k => k.Name, _ => new List<double>());
            for (var rep = 0; rep < context.Repeats; rep++)
            {
                // Rotating the order spreads drift (autovacuum, a neighbour's load) over every kind.
                foreach (var (name, writer) in kinds.Skip(rep).Concat(kinds.Take(rep)))
                {
                    // A checkpoint landing inside one window but not another would decide the ratio.
                    await ExecuteAsync(raw, "CHECKPOINT", ct);
                    var result = await Load.ThroughputAsync(writers, context.Warmup, context.Window, writer($"r{++run}"), ct);
                    rates[name].Add(result.PerSecond);
                    BenchContext.Log($"{writers,2} writers  {name,-12}  {Summary.Number(result.PerSecond),6} ops/s  client CPU {result.ClientCpuMicroseconds,4:0} µs/op");
                }
            }

            var baseline = Load.Median(rates["raw"]);
            var label = $"{writers} writer{(writers == 1 ? "" : "s")}";
            rows.Add(new ResultRow($"Marten's bare append, quick (the app's mode), {label}", Load.Median(rates["marten quick"]), "ops/s", baseline));
            rows.Add(new ResultRow($"Marten's bare append, rich, {label}", Load.Median(rates["marten rich"]), "ops/s", baseline));
        }

        return rows;
    }

    /// <summary>A Marten store configured as the application's (its event types included), in <paramref name="mode"/>, in a schema of its own.</summary>
    internal static async Task<DocumentStore> MartenAsync(string connectionString, EventAppendMode mode)
    {
        var schema = mode == EventAppendMode.Rich ? "bench_rich" : "bench_quick";
        var store = DocumentStore.For(o =>
        {
            // The application's indexes on the events table name its schema; Marten keeps the first feature of a type it is given,
            // so the same indexes on this schema's table, added first, stand in for them.
            o.Storage.Add(new EventsTableIndexes(o.Advanced.Migrator, schema, RegistryStore.AuditIndexes()));
            RegistryStore.Configure(o, connectionString, CatalogStream.Map);
            o.DatabaseSchemaName = schema;
            o.Events.DatabaseSchemaName = schema;
            o.Events.AppendMode = mode;
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return store;
    }

    /// <summary>Marten's bare append: one event to the writer's next stream, in a session of its own, with the metadata a command sets.</summary>
    internal static Func<int, Task> MartenAppend(IDocumentStore store, string run)
    {
        var counters = new long[MaxWriters];
        return async writer =>
        {
            var n = counters[writer]++;
            var stream = $"{run}-w{writer}-m{n % StreamsPerWriter}";
            await using var session = store.LightweightSession();
            session.CorrelationId = Guid.NewGuid().ToString();
            session.LastModifiedBy = "bench";
            session.Events.Append(stream, BenchEvents.VersionRegistered(stream, (int)(n / StreamsPerWriter) + 1));
            await session.SaveChangesAsync();
        };
    }

    /// <summary>The raw baseline's table: <c>bench_raw_events</c>, a copy of <paramref name="marten"/>'s events table.</summary>
    internal static Task CreateRawTableAsync(NpgsqlDataSource raw, DocumentStore marten, CancellationToken ct) => ExecuteAsync(raw, $"""
        CREATE SEQUENCE bench_raw_events_sequence AS bigint;
        CREATE TABLE bench_raw_events (LIKE {marten.Options.Events.DatabaseSchemaName}.mt_events INCLUDING ALL);
        ALTER TABLE bench_raw_events ALTER seq_id SET DEFAULT nextval('bench_raw_events_sequence');
        """, ct);

    /// <summary>
    /// The raw baseline: one autocommit INSERT into <c>bench_raw_events</c> per call, for up to 16 writers, the payload serialized by
    /// <paramref name="marten"/>'s serializer.
    /// </summary>
    internal static Func<int, Task> RawInsert(NpgsqlDataSource raw, DocumentStore marten, string run)
    {
        var serializer = marten.Options.Serializer();
        var counters = new long[MaxWriters];
        return async writer =>
        {
            var n = counters[writer]++;
            var stream = $"{run}-w{writer}-m{n % StreamsPerWriter}";
            var version = n / StreamsPerWriter + 1;
            await using var cmd = raw.CreateCommand("""
                INSERT INTO bench_raw_events (id, stream_id, version, data, type, user_name, correlation_id)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """);
            cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = version });
            cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = serializer.ToJson(BenchEvents.VersionRegistered(stream, (int)version)) });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "VersionRegistered" });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "bench" });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Guid.NewGuid().ToString() });
            await cmd.ExecuteNonQueryAsync();
        };
    }

    internal static async Task ExecuteAsync(NpgsqlDataSource source, string sql, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
