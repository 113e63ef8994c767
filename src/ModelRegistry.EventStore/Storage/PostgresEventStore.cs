using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using ModelRegistry.EventStore.Projections;

namespace ModelRegistry.EventStore.Storage;

internal sealed class PostgresEventStore(
    NpgsqlDataSource dataSource,
    EventTypeRegistry types,
    HighWaterMark highWaterMark,
    InlineProjections inline,
    DaemonSignal signal,
    IEnumerable<IProjection> projections,
    EventStoreMetrics metrics) : IEventStore
{
    private readonly bool _wakeDaemon = projections.Any(p => p.Lifecycle == ProjectionLifecycle.Async);

    private const string Columns = "seq_id, id, stream_id, version, type, schema_version, data::text, timestamp, user_name, correlation_id, causation_id, reason";

    public EventTypeRegistry Types => types;

    public async Task<AppendResult> AppendAsync(string streamId, string? streamType, ExpectedVersion expected, IReadOnlyList<NewEvent> events,
        EventMetadata metadata, InTransaction? inTransaction = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(streamId);
        if (events.Count == 0)
        {
            throw new ArgumentException("An append needs at least one event.", nameof(events));
        }

        var started = Stopwatch.GetTimestamp();
        var prepared = events.Select(e => (Id: e.Id ?? Guid.CreateVersion7(), e.Data, Type: types.Describe(e.Data), Json: types.Serialize(e.Data))).ToList();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var needsTransaction = inTransaction is not null || inline.HasAny;
        await using var tx = needsTransaction ? await conn.BeginTransactionAsync(ct) : null;
        try
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT r_seq_id, r_id, r_version, r_timestamp, r_duplicate FROM mt_append_events(@stream, @stype, @expected, @ids, @types, @versions, @data, @user, @corr, @cause, @reason)",
                conn, tx);
            cmd.Parameters.Add(new NpgsqlParameter<string>("stream", streamId));
            cmd.Parameters.Add(new NpgsqlParameter("stype", NpgsqlDbType.Varchar) { Value = (object?)streamType ?? DBNull.Value });
            cmd.Parameters.Add(new NpgsqlParameter<long>("expected", expected.Value));
            cmd.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", prepared.Select(p => p.Id).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("types", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = prepared.Select(p => p.Type.Name).ToArray() });
            cmd.Parameters.Add(new NpgsqlParameter<int[]>("versions", prepared.Select(p => p.Type.SchemaVersion).ToArray()));
            cmd.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = prepared.Select(p => p.Json).ToArray() });
            cmd.Parameters.Add(Text("user", metadata.Actor));
            cmd.Parameters.Add(Text("corr", metadata.CorrelationId));
            cmd.Parameters.Add(Text("cause", metadata.CausationId));
            cmd.Parameters.Add(new NpgsqlParameter("reason", NpgsqlDbType.Text) { Value = (object?)metadata.Reason ?? DBNull.Value });

            var stored = new List<StoredEvent>(prepared.Count);
            var duplicate = false;
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                var i = 0;
                while (await reader.ReadAsync(ct))
                {
                    duplicate = reader.GetBoolean(4);
                    var p = prepared[Math.Min(i++, prepared.Count - 1)];
                    stored.Add(new StoredEvent(reader.GetInt64(0), reader.GetGuid(1), streamId, reader.GetInt64(2), p.Type.Name, p.Type.SchemaVersion,
                        JsonSerializer.SerializeToElement(p.Data, p.Data.GetType(), types.JsonOptions), p.Data,
                        reader.GetFieldValue<DateTimeOffset>(3), metadata));
                }
            }

            if (duplicate)
            {
                if (tx is not null)
                {
                    await tx.RollbackAsync(ct);
                }

                var existing = await ReadByIdsAsync(prepared.Select(p => p.Id).ToArray(), ct);
                return new AppendResult(existing.Count == 0 ? 0 : existing.Max(e => e.StreamVersion), existing, WasDuplicate: true);
            }

            var result = new AppendResult(stored[^1].StreamVersion, stored, WasDuplicate: false);
            if (tx is not null)
            {
                var deferred = new List<NpgsqlBatchCommand>();
                await inline.ApplyAsync(conn, tx, stored, deferred, ct);
                if (inTransaction is not null)
                {
                    await inTransaction(new AppendTransaction(conn, tx, result, deferred), ct);
                }

                await Deferred.ExecuteAsync(conn, tx, deferred, commit: true, ct);
            }

            if (_wakeDaemon)
            {
                signal.Poke();
            }

            metrics.Appended(stored, Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (PostgresException ex) when (ex.SqlState == EventStoreSchema.ConcurrencySqlState)
        {
            long? actual = long.TryParse(ex.Detail, out var a) ? a : null;
            if (await ReadByIdsAsync(prepared.Select(p => p.Id).ToArray(), ct) is { Count: > 0 } again && again.Count == prepared.Count)
            {
                return new AppendResult(again.Max(e => e.StreamVersion), again, WasDuplicate: true);
            }

            throw new ConcurrencyException(streamId, expected, actual);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "uq_mt_events_id")
        {
            if (await ReadByIdsAsync(prepared.Select(p => p.Id).ToArray(), ct) is { } again && again.Count == prepared.Count)
            {
                return new AppendResult(again.Max(e => e.StreamVersion), again, WasDuplicate: true);
            }

            throw;
        }
    }

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Varchar) { Value = (object?)value ?? DBNull.Value };

    private async Task<IReadOnlyList<StoredEvent>> ReadByIdsAsync(Guid[] ids, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM mt_events WHERE id = ANY(@ids) ORDER BY seq_id");
        cmd.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", ids));
        return await ReadEventsAsync(cmd, ct);
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, long fromVersion = 1, int maxCount = int.MaxValue,
        bool backward = false, CancellationToken ct = default)
    {
        var sql = backward
            ? $"SELECT {Columns} FROM mt_events WHERE stream_id = @s AND version <= @v ORDER BY version DESC LIMIT @n"
            : $"SELECT {Columns} FROM mt_events WHERE stream_id = @s AND version >= @v ORDER BY version LIMIT @n";
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter<string>("s", streamId));
        cmd.Parameters.Add(new NpgsqlParameter<long>("v", backward && fromVersion == 1 ? long.MaxValue : fromVersion));
        cmd.Parameters.Add(new NpgsqlParameter<long>("n", maxCount));
        return await ReadEventsAsync(cmd, ct);
    }

    public async Task<long?> GetStreamVersionAsync(string streamId, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT version FROM mt_streams WHERE id = @s");
        cmd.Parameters.Add(new NpgsqlParameter<string>("s", streamId));
        return await cmd.ExecuteScalarAsync(ct) is long v ? v : null;
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken ct = default)
    {
        var safe = await highWaterMark.RefreshAsync(ct);
        if (safe <= afterPosition)
        {
            return [];
        }

        return await ReadRangeAsync(dataSource, null, afterPosition, safe, maxCount, ct);
    }

    /// <summary>Events in (after, upTo], in position order, with no high-water-mark check.</summary>
    internal async Task<IReadOnlyList<StoredEvent>> ReadRangeAsync(NpgsqlDataSource? source, NpgsqlConnection? conn, long after, long upTo, int maxCount, CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM mt_events WHERE seq_id > @after AND seq_id <= @upto ORDER BY seq_id LIMIT @n";
        await using var cmd = conn is null ? source!.CreateCommand(sql) : new NpgsqlCommand(sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<long>("after", after));
        cmd.Parameters.Add(new NpgsqlParameter<long>("upto", upTo));
        cmd.Parameters.Add(new NpgsqlParameter<long>("n", maxCount));
        return await ReadEventsAsync(cmd, ct);
    }

    public Task<long> GetSafeHeadAsync(CancellationToken ct = default) => highWaterMark.RefreshAsync(ct);

    public async Task<long> GetHeadAsync(CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM mt_events_sequence");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<(TState State, long Version)> AggregateAsync<TState>(string streamId, TState initial, Func<TState, StoredEvent, TState> evolve,
        AsOf? asOf = null, CancellationToken ct = default)
    {
        asOf ??= AsOf.Latest;
        await using var cmd = dataSource.CreateCommand(
            $"SELECT {Columns} FROM mt_events WHERE stream_id = @s AND version > @after AND version <= @v AND timestamp <= @t ORDER BY version");
        cmd.Parameters.Add(new NpgsqlParameter<string>("s", streamId));
        cmd.Parameters.Add(new NpgsqlParameter<long>("after", asOf.AfterVersion));
        cmd.Parameters.Add(new NpgsqlParameter<long>("v", asOf.Version ?? long.MaxValue));
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("t", asOf.Timestamp ?? DateTimeOffset.MaxValue));
        var state = initial;
        var version = asOf.AfterVersion;
        foreach (var e in await ReadEventsAsync(cmd, ct))
        {
            state = evolve(state, e);
            version = e.StreamVersion;
        }

        return (state, version);
    }

    internal async Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var list = new List<StoredEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var type = reader.GetString(4);
            var (json, data, schemaVersion) = types.Read(type, reader.GetInt32(5), reader.GetString(6));
            list.Add(new StoredEvent(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt64(3), type, schemaVersion, json, data,
                reader.GetFieldValue<DateTimeOffset>(7),
                new EventMetadata(
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9),
                    reader.IsDBNull(10) ? null : reader.GetString(10),
                    reader.IsDBNull(11) ? null : reader.GetString(11))));
        }

        return list;
    }
}
