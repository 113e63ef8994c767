using System.Diagnostics;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;
using Npgsql;
using NpgsqlTypes;

namespace ModelRegistry.Benchmarks.Rebuild;

/// <summary>
/// One row per stream with its event count and last version, written as one statement per batch. Every event updates
/// its stream's row, so pages keep free space for HOT updates: without it a rebuild bloats the table with dead rows.
/// </summary>
internal sealed class StreamStatsProjection : IProjection, IRebuildableProjection
{
    public const string TableName = "bench_stream_stats";

    public string Name => TableName;

    public int Version => 1;

    public IReadOnlyList<string> Tables { get; } = [TableName];

    public string CreateTablesSql(Func<string, string> table) => $"""
        CREATE TABLE IF NOT EXISTS {table(TableName)} (
            stream_id      text PRIMARY KEY,
            events         bigint NOT NULL,
            last_version   bigint NOT NULL,
            last_position  bigint NOT NULL,
            last_type      varchar NOT NULL,
            last_event_at  timestamptz NOT NULL
        ) WITH (fillfactor = 70)
        """;

    /// <summary>Time spent in <see cref="ReplayAsync"/>, to tell the projection's share of a rebuild from the store's.</summary>
    public TimeSpan ApplyTime { get; private set; }

    /// <summary>Inline: the benchmark seeds its events directly, so appends through the store are rare; one statement per event.</summary>
    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        foreach (var e in events)
        {
            operations.QueueSqlCommand('^', $"""
                INSERT INTO {TableName} AS s (stream_id, events, last_version, last_position, last_type, last_event_at)
                VALUES (^::text, 1, ^::bigint, coalesce((SELECT seq_id FROM registry.mt_events WHERE id = ^::uuid), 0), ^::varchar, ^::timestamptz)
                ON CONFLICT (stream_id) DO UPDATE SET events = s.events + 1, last_version = excluded.last_version,
                    last_position = excluded.last_position, last_type = excluded.last_type, last_event_at = excluded.last_event_at
                WHERE s.last_version < excluded.last_version
                """, e.StreamKey!, e.Version, e.Id, e.EventTypeName, e.Timestamp);
        }

        return Task.CompletedTask;
    }

    public async Task ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredEvent> events,
        Func<string, string> table, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var perStream = new Dictionary<string, (long Count, StoredEvent Last)>();
        foreach (var e in events)
        {
            perStream[e.StreamId] = (perStream.GetValueOrDefault(e.StreamId).Count + 1, e);
        }

        var streams = perStream.Values.ToArray();
        // The guard makes a redelivered batch a no-op; progress commits with these rows, so batches never overlap partially.
        await using var cmd = new NpgsqlCommand($"""
            INSERT INTO {table(TableName)} AS s (stream_id, events, last_version, last_position, last_type, last_event_at)
            SELECT * FROM unnest($1, $2, $3, $4, $5, $6)
            ON CONFLICT (stream_id) DO UPDATE SET
                events = s.events + excluded.events, last_version = excluded.last_version, last_position = excluded.last_position,
                last_type = excluded.last_type, last_event_at = excluded.last_event_at
            WHERE s.last_position < excluded.last_position
            """, connection, transaction);
        cmd.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = streams.Select(s => s.Last.StreamId).ToArray() });
        cmd.Parameters.Add(new() { Value = streams.Select(s => s.Count).ToArray() });
        cmd.Parameters.Add(new() { Value = streams.Select(s => s.Last.StreamVersion).ToArray() });
        cmd.Parameters.Add(new() { Value = streams.Select(s => s.Last.Position).ToArray() });
        cmd.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = streams.Select(s => s.Last.Type).ToArray() });
        cmd.Parameters.Add(new() { Value = streams.Select(s => s.Last.Timestamp).ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
        ApplyTime += Stopwatch.GetElapsedTime(started);
    }
}
