using System.Globalization;
using Npgsql;

namespace ModelRegistry.EventStore.Storage;

/// <summary>
/// The highest global position below which no event can still appear. Appenders take a transaction
/// id before they draw a sequence number, so once every transaction that had an id when the sequence
/// stood at L has ended, every position up to L is final: committed, or a rolled-back hole.
/// No timeouts: a slow transaction holds the mark back instead of being skipped (docs/adr/0004).
/// </summary>
internal sealed class HighWaterMark(NpgsqlDataSource dataSource, EventStoreOptions options)
{
    // A snapshot's xip lists only ids below its xmax (latest completed + 1); younger transactions are
    // running but unlisted. Taking an id of our own bounds them: everything in [xmax, ours) may run.
    // The id is spent in a transaction that writes nothing, so its commit need not wait for a flush.
    private string ObserveSql => $$"""
        SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {{options.Schema}}.mt_events_sequence;
        SELECT set_config('synchronous_commit', 'off', true), pg_current_snapshot()::text, pg_current_xact_id()::text;
        SELECT CASE WHEN pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
                      OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                    THEN (SELECT coalesce(array_agg(backend_xid::text), '{}') FROM pg_stat_activity
                          WHERE datname = current_database() AND backend_xid IS NOT NULL)
               END;
        """;

    private readonly Lock _gate = new();
    private readonly Queue<Observation> _pending = new();
    private long _safe;

    /// <summary>The sequence's value, the listed running ids, and the range of ids younger than the snapshot.</summary>
    private sealed record Observation(long LastValue, ulong[] Running, ulong YoungFrom, ulong YoungTo)
    {
        public bool HasEnded(Snapshot now) =>
            Running.All(now.HasEnded) && (YoungFrom >= YoungTo || now.AllEnded(YoungFrom, YoungTo));
    }

    public async Task<long> RefreshAsync(CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(ObserveSql, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var lastValue = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var snapshot = Snapshot.Parse(reader.GetString(1));
        var own = ulong.Parse(reader.GetString(2), CultureInfo.InvariantCulture);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var ours = reader.IsDBNull(0) ? null : reader.GetFieldValue<string[]>(0).Select(x => uint.Parse(x, CultureInfo.InvariantCulture)).ToHashSet();

        var observation = ours is null
            ? new Observation(lastValue, snapshot.Running, snapshot.Xmax, own)
            : new Observation(lastValue, snapshot.Running.Where(x => ours.Contains((uint)x)).ToArray(), 0, 0);
        if (ours is not null)
        {
            // The same database's transactions with ids at or above xmax are not in xip but may be running.
            var young = ours.Select(x => Widen(x, snapshot.Xmax)).Where(x => x >= snapshot.Xmax && x != own).ToArray();
            observation = observation with { Running = [.. observation.Running, .. young] };
        }

        return Advance(observation, snapshot);
    }

    private static ulong Widen(uint xid, ulong near)
    {
        var epoch = near >> 32;
        var candidate = (epoch << 32) | xid;
        return candidate > near + int.MaxValue ? candidate - (1UL << 32) : candidate;
    }

    private long Advance(Observation fresh, Snapshot now)
    {
        lock (_gate)
        {
            while (_pending.TryPeek(out var oldest) && oldest.HasEnded(now))
            {
                _safe = Math.Max(_safe, _pending.Dequeue().LastValue);
            }

            if (fresh.Running.Length == 0 && fresh.YoungFrom >= fresh.YoungTo)
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

        public bool AllEnded(ulong from, ulong to) => to <= Xmin || (to <= Xmax && !Running.Any(x => x >= from && x < to));

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
