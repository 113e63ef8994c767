using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace ModelRegistry.Benchmarks.Appends;

/// <summary>
/// One-event appends with <see cref="ExpectedVersion.Any"/> against raw single-row INSERTs into a copy of mt_events
/// (same columns and indexes), at the same concurrency, interleaved so noise hits both. Each writer appends round-robin
/// to its own 100 streams, as commands spread over many models do: the first append creates a stream, the rest extend it.
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
        await using var raw = NpgsqlDataSource.Create(context.ConnectionString);
        await ExecuteAsync(raw, """
            CREATE SEQUENCE bench_raw_events_sequence AS bigint;
            CREATE TABLE bench_raw_events (LIKE mt_events INCLUDING ALL);
            ALTER TABLE bench_raw_events ALTER seq_id SET DEFAULT nextval('bench_raw_events_sequence');
            """, ct);

        var rows = new List<ResultRow>();
        var run = 0;
        foreach (var writers in Concurrency)
        {
            var rates = new Dictionary<string, List<double>> { ["raw"] = [], ["store"] = [] };
            for (var rep = 1; rep <= context.Repeats; rep++)
            {
                var order = rep % 2 == 1 ? new[] { "raw", "store" } : ["store", "raw"];
                foreach (var kind in order)
                {
                    // A checkpoint landing inside one window but not the other would decide the ratio.
                    await ExecuteAsync(raw, "CHECKPOINT", ct);
                    var append = kind == "raw" ? RawInsert(raw, host.Store.Types, $"r{++run}") : StoreAppend(host.Store, $"s{++run}");
                    var rate = await Load.ThroughputAsync(writers, context.Warmup, context.Window, append, ct);
                    rates[kind].Add(rate);
                    BenchContext.Log($"{writers,2} writers  {kind,-5}  run {rep}: {Summary.Number(rate)} ops/s");
                }
            }

            rows.Add(new ResultRow($"appends, {writers} writers", Load.Median(rates["store"]), "ops/s", Load.Median(rates["raw"]),
                writers == 16 ? Goal.RatioAtLeast(GoalAt16) : null));
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

    private static Func<int, Task> RawInsert(NpgsqlDataSource raw, EventTypeRegistry types, string run)
    {
        var counters = new long[Concurrency.Max()];
        return async writer =>
        {
            var n = counters[writer]++;
            var stream = $"{run}-w{writer}-m{n % StreamsPerWriter}";
            var version = n / StreamsPerWriter + 1;
            await using var cmd = raw.CreateCommand("""
                INSERT INTO bench_raw_events (id, stream_id, version, data, type, schema_version, user_name, correlation_id)
                VALUES ($1, $2, $3, $4, $5, 1, $6, $7)
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

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
