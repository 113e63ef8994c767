using EventAppendMode = JasperFx.Events.EventAppendMode;
using Marten;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.Common;
using ModelRegistry.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace ModelRegistry.Benchmarks.Appends;

/// <summary>
/// One-event appends with <see cref="ExpectedVersion.Any"/> against raw single-row INSERTs into a copy of mt_events
/// (same columns and indexes), at the same concurrency, interleaved so noise hits both. Each writer appends round-robin
/// to its own 100 streams, as commands spread over many models do: the first append creates a stream, the rest extend it.
/// Marten's own bare append (<c>Append</c> + <c>SaveChangesAsync</c>, one event, the application's store configuration) runs
/// in the same windows, in the application's append mode and in Rich, each in its own schema.
/// </summary>
internal sealed class AppendScenario : IScenario
{
    private const int StreamsPerWriter = 100;
    private const double GoalAt16 = 0.7;
    private static readonly int[] Concurrency = [1, 4, 16];

    public string Name => "appends";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        await using var host = StoreHost.Create(context.ConnectionString);
        await host.StartAsync(ct);
        // The same store without the projection daemon, whose polling the application pays for on every append.
        await using var quiet = StoreHost.Create(context.ConnectionString, options: o => o.RunDaemon = false);
        await quiet.StartAsync(ct);
        await using var raw = NpgsqlDataSource.Create(context.ConnectionString);
        await CreateRawTableAsync(raw, ct);
        using var quick = await MartenAsync(context.ConnectionString, EventAppendMode.QuickWithServerTimestamps, ct);
        using var rich = await MartenAsync(context.ConnectionString, EventAppendMode.Rich, ct);
        var kinds = new (string Name, Func<string, Func<int, Task>> Writer)[]
        {
            ("raw", run => RawInsert(raw, host.Store.Types, run)),
            ("store", run => StoreAppend(host.Store, run)),
            ("store, daemon off", run => StoreAppend(quiet.Store, run)),
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
                    BenchContext.Log($"{writers,2} writers  {name,-17}  {Summary.Number(result.PerSecond),6} ops/s  client CPU {result.ClientCpuMicroseconds,4:0} µs/op");
                }
            }

            var baseline = Load.Median(rates["raw"]);
            rows.Add(new ResultRow($"appends, {writers} writer{(writers == 1 ? "" : "s")}", Load.Median(rates["store"]), "ops/s", baseline,
                writers == 16 ? Goal.RatioAtLeast(GoalAt16) : null));
            rows.Add(new ResultRow("  same, daemon off", Load.Median(rates["store, daemon off"]), "ops/s", baseline));
            rows.Add(new ResultRow("  Marten's bare append, quick", Load.Median(rates["marten quick"]), "ops/s", baseline));
            rows.Add(new ResultRow("  Marten's bare append, rich", Load.Median(rates["marten rich"]), "ops/s", baseline));
        }

        return rows;
    }

    // Each run starts fresh streams; a writer's own counter picks its next stream and, round-robin, the version.
    private static Func<int, Task> StoreAppend(IEventStore store, string run)
    {
        var counters = new long[Concurrency.Max()];
        return writer =>
        {
            var n = counters[writer]++;
            var stream = $"{run}-w{writer}-m{n % StreamsPerWriter}";
            return store.AppendAsync(stream, "model", ExpectedVersion.Any,
                [new NewEvent(BenchEvents.VersionRegistered(stream, n / StreamsPerWriter + 1))],
                new EventMetadata("bench", Guid.NewGuid().ToString()));
        };
    }

    /// <summary>A Marten store configured as the application's, in <paramref name="mode"/>, in a schema of its own.</summary>
    internal static async Task<DocumentStore> MartenAsync(string connectionString, EventAppendMode mode, CancellationToken ct)
    {
        var schema = mode == EventAppendMode.Rich ? "bench_rich" : "bench_quick";
        var store = DocumentStore.For(o =>
        {
            RegistryStore.Configure(o, connectionString, e => e.MapEventType<VersionRegistered>(BenchEvents.VersionRegisteredName));
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
        var counters = new long[Math.Max(Concurrency.Max(), 16)];
        return async writer =>
        {
            var n = counters[writer]++;
            var stream = $"{run}-w{writer}-m{n % StreamsPerWriter}";
            await using var session = store.LightweightSession();
            session.CorrelationId = Guid.NewGuid().ToString();
            session.LastModifiedBy = "bench";
            session.Events.Append(stream, BenchEvents.VersionRegistered(stream, n / StreamsPerWriter + 1));
            await session.SaveChangesAsync();
        };
    }

    /// <summary>The raw baseline's table: <c>bench_raw_events</c>, a copy of mt_events, which must exist.</summary>
    internal static Task CreateRawTableAsync(NpgsqlDataSource raw, CancellationToken ct) => ExecuteAsync(raw, """
        CREATE SEQUENCE bench_raw_events_sequence AS bigint;
        CREATE TABLE bench_raw_events (LIKE registry.mt_events INCLUDING ALL);
        ALTER TABLE bench_raw_events ALTER seq_id SET DEFAULT nextval('bench_raw_events_sequence');
        """, ct);

    /// <summary>The raw baseline: one autocommit INSERT into <c>bench_raw_events</c> per call, for up to 16 writers.</summary>
    internal static Func<int, Task> RawInsert(NpgsqlDataSource raw, EventTypeRegistry types, string run)
    {
        var counters = new long[Concurrency.Max()];
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
            cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = types.Serialize(BenchEvents.VersionRegistered(stream, version)) });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = BenchEvents.VersionRegisteredName });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "bench" });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Guid.NewGuid().ToString() });
            await cmd.ExecuteNonQueryAsync();
        };
    }

    internal static async Task ExecuteAsync(NpgsqlDataSource source, string sql, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
