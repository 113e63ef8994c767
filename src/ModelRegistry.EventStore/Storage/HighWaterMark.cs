using System.Globalization;
using Npgsql;

namespace ModelRegistry.EventStore.Storage;

/// <summary>
/// The highest global position below which no event can still appear. Appenders take a transaction
/// id before they draw a sequence number, so once every transaction that was running when the
/// sequence stood at L has ended, every position up to L is final: committed, or a rolled-back hole.
/// No timeouts: a slow transaction holds the mark back instead of being skipped (docs/adr/0004).
/// </summary>
internal sealed class HighWaterMark(NpgsqlDataSource dataSource)
{
    private readonly Lock _gate = new();
    private readonly Queue<Observation> _pending = new();
    private long _safe;

    private sealed record Observation(long LastValue, ulong[] Running);

    public long Current
    {
        get
        {
            lock (_gate)
            {
                return _safe;
            }
        }
    }

    public async Task<long> RefreshAsync(CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(conn)
        {
            BatchCommands =
            {
                new("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM mt_events_sequence"),
                new("SELECT pg_current_snapshot()::text"),
                new("""
                    SELECT CASE WHEN pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
                                  OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                                THEN (SELECT coalesce(array_agg(backend_xid::text), '{}') FROM pg_stat_activity
                                      WHERE datname = current_database() AND backend_xid IS NOT NULL)
                           END
                    """),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var lastValue = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var snapshot = Snapshot.Parse(reader.GetString(0));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var ours = reader.IsDBNull(0) ? null : reader.GetFieldValue<string[]>(0).Select(x => uint.Parse(x, CultureInfo.InvariantCulture)).ToHashSet();

        var running = ours is null
            ? snapshot.Running
            : snapshot.Running.Where(x => ours.Contains((uint)x)).ToArray();
        return Advance(new Observation(lastValue, running), snapshot);
    }

    private long Advance(Observation fresh, Snapshot now)
    {
        lock (_gate)
        {
            while (_pending.TryPeek(out var oldest) && oldest.Running.All(now.HasEnded))
            {
                _safe = Math.Max(_safe, _pending.Dequeue().LastValue);
            }

            if (fresh.Running.Length == 0)
            {
                _safe = Math.Max(_safe, fresh.LastValue);
                _pending.Clear();
            }
            else if (_pending.Count < 256)
            {
                _pending.Enqueue(fresh);
            }

            return _safe;
        }
    }

    private readonly record struct Snapshot(ulong Xmin, ulong Xmax, ulong[] Running)
    {
        public bool HasEnded(ulong xid) => xid < Xmin || (xid < Xmax && Array.IndexOf(Running, xid) < 0);

        public static Snapshot Parse(string text)
        {
            var parts = text.Split(':');
            var running = parts[2].Length == 0
                ? []
                : parts[2].Split(',').Select(x => ulong.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            return new Snapshot(ulong.Parse(parts[0], CultureInfo.InvariantCulture), ulong.Parse(parts[1], CultureInfo.InvariantCulture), running);
        }
    }
}
