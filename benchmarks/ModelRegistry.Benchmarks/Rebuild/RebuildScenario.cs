using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Benchmarks.Harness;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;
using ModelRegistry.EventStore.Storage;
using Npgsql;

namespace ModelRegistry.Benchmarks.Rebuild;

/// <summary>
/// A caught-up async projection over 1M events (10,000 streams × 100, interleaved as many models' histories are) is
/// rebuilt on request, three times; timed from the request until its status is running again with the shadow table
/// swapped in. Then, to locate the cost, the store's read path alone is timed against a raw SELECT of the same rows.
/// </summary>
internal sealed class RebuildScenario : IScenario
{
    private const double EventsPerSecondGoal = 50_000;
    private const int EventsPerStream = 100;
    // Larger than the default 5,000: each batch pays a fixed cost (high-water mark, progression row, commit).
    private const int BatchSize = 20_000;

    public string Name => "rebuild";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct)
    {
        var streams = context.Quick ? 1_000 : 10_000;
        var events = streams * EventsPerStream;
        var projection = new StreamStatsProjection();
        await using var host = StoreHost.Create(context.ConnectionString, s => s.AddInlineProjection(projection), o => o.RebuildBatchSize = BatchSize);
        await host.Services.MigrateEventStoreAsync(ct);
        var source = host.Services.GetRequiredService<NpgsqlDataSource>();
        var clock = Stopwatch.StartNew();
        await SeedAsync(source, streams, ct);
        BenchContext.Log($"seeded {events:#,0} events in {clock.Elapsed.TotalSeconds:0.0} s");
        await host.StartAsync(ct);

        var runs = new List<(TimeSpan Elapsed, TimeSpan Applying)>();
        for (var rep = 1; rep <= context.Repeats; rep++)
        {
            runs.Add(await RebuildAsync(host.Projections, projection, ct));
            await VerifyAsync(source, streams, ct);
            BenchContext.Log($"rebuild {rep}: {runs[^1].Elapsed.TotalSeconds:0.0} s, {runs[^1].Applying.TotalSeconds:0.0} s of it in the projection's SQL");
        }

        var (elapsed, applied) = runs.OrderBy(r => r.Elapsed).ElementAt(runs.Count / 2);
        var store = host.Services.GetRequiredService<MartenEventStore>();
        var storeRead = await ReadAllAsync(events, after => store.ReadRangeAsync(source, null, after, events, BatchSize, ct));
        var rawRead = await ReadAllAsync(events, after => RawReadAsync(source, after, ct));
        var reading = TimeSpan.FromSeconds(events / storeRead.PerSecond);
        BenchContext.Log($"median rebuild {elapsed.TotalSeconds:0.0} s: about {reading.TotalSeconds:0.0} s reading events (timed alone below), " +
                         $"{applied.TotalSeconds:0.0} s in the projection's SQL, {(elapsed - reading - applied).TotalSeconds:0.0} s in the rest of the rebuild's loop");
        BenchContext.Log($"reading alone: store {storeRead}");
        BenchContext.Log($"               raw   {rawRead}");

        return
        [
            new ResultRow($"projection rebuild, {events / 1000:#,0}k events", events / elapsed.TotalSeconds, "events/s", Goal: Goal.AtLeast(EventsPerSecondGoal)),
            new ResultRow("  its read path vs raw SELECT", storeRead.PerSecond, "events/s", rawRead.PerSecond),
        ];
    }

    private static async Task SeedAsync(NpgsqlDataSource source, int streams, CancellationToken ct)
    {
        const string model = "'model-' || ((n - 1) % @streams)";
        const string version = "(n - 1) / @streams + 1";
        await using var cmd = source.CreateCommand($"""
            INSERT INTO registry.mt_streams (id, type, version) SELECT 'model-' || s, 'model', @per FROM generate_series(0, @streams - 1) s;
            INSERT INTO registry.mt_events (seq_id, id, stream_id, version, data, type, user_name, correlation_id)
            SELECT n, ('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, {model}, {version},
                   {BenchEvents.VersionRegisteredSql(model, version)}, '{BenchEvents.VersionRegisteredName}', 'bench', md5(n::text)
            FROM generate_series(1, @streams * @per) n;
            SELECT setval('registry.mt_events_sequence', @streams * @per);
            INSERT INTO {StreamStatsProjection.TableName} (stream_id, events, last_version, last_position, last_type, last_event_at)
            SELECT stream_id, count(*), max(version), max(seq_id), max(type), max(timestamp) FROM registry.mt_events GROUP BY stream_id;
            UPDATE mr_projection_progress SET last_seq_id = @streams * @per WHERE name = '{StreamStatsProjection.TableName}';
            """);
        cmd.CommandTimeout = 0;
        cmd.Parameters.AddWithValue("streams", streams);
        cmd.Parameters.AddWithValue("per", EventsPerStream);
        await cmd.ExecuteNonQueryAsync(ct);

        // A live table has been vacuumed; the first reader of fresh rows would otherwise pay for setting hint bits.
        foreach (var sql in new[] { "VACUUM ANALYZE registry.mt_events", "VACUUM ANALYZE registry.mt_streams", "CHECKPOINT" })
        {
            await using var maintenance = source.CreateCommand(sql);
            maintenance.CommandTimeout = 0;
            await maintenance.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>From the request until the projection is running again on the swapped-in table.</summary>
    private static async Task<(TimeSpan Elapsed, TimeSpan Applying)> RebuildAsync(IProjectionAdmin admin, StreamStatsProjection projection, CancellationToken ct)
    {
        var (clock, applied) = (Stopwatch.StartNew(), projection.ApplyTime);
        if (!await admin.RequestRebuildAsync(projection.Name, ct))
        {
            throw new InvalidOperationException("The projection is not registered.");
        }

        await WaitUntilRunningAsync(admin, ct);
        return (clock.Elapsed, projection.ApplyTime - applied);
    }

    private static async Task WaitUntilRunningAsync(IProjectionAdmin admin, CancellationToken ct)
    {
        var progress = Stopwatch.StartNew();
        while (true)
        {
            var status = (await admin.GetStatusAsync(ct)).Single(s => s.Name == StreamStatsProjection.TableName);
            switch (status.State)
            {
                case "running":
                    return;
                case "faulted":
                    throw new InvalidOperationException($"The rebuild faulted: {status.LastError}");
            }

            if (progress.Elapsed > TimeSpan.FromSeconds(10))
            {
                BenchContext.Log($"  {status.State} at position {status.RebuildPosition:#,0}");
                progress.Restart();
            }

            await Task.Delay(50, ct);
        }
    }

    private static async Task VerifyAsync(NpgsqlDataSource source, int streams, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand($"SELECT count(*), sum(events), min(last_version) FROM {StreamStatsProjection.TableName}");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (rows, total, minVersion) = (reader.GetInt64(0), reader.GetDecimal(1), reader.GetInt64(2));
        if (rows != streams || total != streams * EventsPerStream || minVersion != EventsPerStream)
        {
            throw new InvalidOperationException($"The rebuilt table is wrong: {rows} rows, {total} events, lowest last version {minVersion}.");
        }
    }

    /// <summary>Reads every event in batches as the rebuild does, measuring this process's CPU and allocations per event.</summary>
    private static async Task<ReadCost> ReadAllAsync(long head, Func<long, Task> read)
    {
        var (cpu, allocated, clock) = (Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(), Stopwatch.StartNew());
        for (long after = 0; after < head; after += BatchSize)
        {
            await read(after);
        }

        return new ReadCost(head / clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / head,
            (GC.GetTotalAllocatedBytes() - allocated) / (double)head);
    }

    private sealed record ReadCost(double PerSecond, double CpuMicroseconds, double Bytes)
    {
        public override string ToString() => $"{PerSecond,9:#,0} events/s, client CPU {CpuMicroseconds:0.0} µs and {Bytes:#,0} bytes allocated per event";
    }

    private static async Task RawReadAsync(NpgsqlDataSource source, long after, CancellationToken ct)
    {
        await using var cmd = source.CreateCommand("""
            SELECT seq_id, id, stream_id, version, type, data::text, timestamp, user_name, correlation_id, causation_id, headers->>'reason'
            FROM registry.mt_events WHERE seq_id > $1 ORDER BY seq_id LIMIT $2
            """);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = BatchSize });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var values = new object[reader.FieldCount];
        while (await reader.ReadAsync(ct))
        {
            reader.GetValues(values);
        }
    }
}
