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
    EventStoreMetrics metrics,
    EventStoreOptions options) : IEventStore
{
    private AppendGroups? _groups;

    internal AppendGroups Groups => LazyInitializer.EnsureInitialized(ref _groups, () => new AppendGroups(dataSource, options, ApplyAsync, AppendInTransactionAsync));

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
        var append = new PendingAppend(streamId, streamType, expected, events.Select(Prepare).ToList(), metadata, inTransaction);
        var needsTransaction = inTransaction is not null || inline.HasAny;
        var result = needsTransaction ? await Groups.AppendAsync(append, ct) : await AppendAutocommitAsync(append, ct);
        if (result is null)
        {
            return await RefusedAsync(append, ct);
        }

        if (_wakeDaemon)
        {
            signal.Poke();
        }

        metrics.Appended(result.Events, Stopwatch.GetElapsedTime(started));
        return result;
    }

    private PreparedEvent Prepare(NewEvent e)
    {
        var (name, schemaVersion) = types.Describe(e.Data);
        var json = JsonSerializer.SerializeToElement(e.Data, e.Data.GetType(), types.JsonOptions);
        return new PreparedEvent(new EventToWrite(e.Id ?? Guid.CreateVersion7(), name, schemaVersion, json.GetRawText()), json, e.Data);
    }

    private async Task<AppendResult?> AppendAutocommitAsync(PendingAppend append, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var rows = await ExecuteAsync(conn, null, append, ct);
            return rows.Count == 0 ? null : append.Result(rows);
        }
        catch (PostgresException ex) when (IsDuplicateId(ex))
        {
            return null;
        }
    }

    private async Task<AppendResult?> AppendInTransactionAsync(PendingAppend append, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        List<AppendedRow> rows;
        try
        {
            rows = await ExecuteAsync(conn, tx, append, ct);
        }
        catch (PostgresException ex) when (IsDuplicateId(ex))
        {
            return null;
        }

        if (rows.Count == 0)
        {
            return null;
        }

        var result = append.Result(rows);
        var deferred = new DeferredWork();
        await ApplyAsync(conn, tx, append, result, deferred, ct);
        await Deferred.ExecuteAsync(conn, tx, deferred, commit: true, ct);
        return result;
    }

    private static async Task<List<AppendedRow>> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, PendingAppend append, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { append.Statement() } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await AppendStatement.ReadAsync(reader, ct);
    }

    /// <summary>The inline projections and the caller's work, in the append's transaction.</summary>
    private async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, PendingAppend append, AppendResult result,
        DeferredWork deferred, CancellationToken ct)
    {
        await inline.ApplyAsync(conn, tx, result.Events, deferred, ct);
        if (append.InTransaction is { } work)
        {
            await work(new AppendTransaction(conn, tx, result, deferred), ct);
        }
    }

    /// <summary>
    /// An append the database refused: a retry of one that is stored already (every event id found) returns what is stored;
    /// otherwise the stream was not at the expected version.
    /// </summary>
    private async Task<AppendResult> RefusedAsync(PendingAppend append, CancellationToken ct)
    {
        var ids = append.Events.Select(e => e.Write.Id).ToArray();
        var existing = await ReadByIdsAsync(ids, ct);
        if (existing.Count == ids.Length)
        {
            return new AppendResult(existing.Max(e => e.StreamVersion), existing, WasDuplicate: true);
        }

        if (existing.Count > 0)
        {
            throw new InvalidOperationException(
                $"{existing.Count} of the {ids.Length} event ids of this append to stream '{append.StreamId}' are stored already; nothing was appended.");
        }

        throw new ConcurrencyException(append.StreamId, append.Expected, await GetStreamVersionAsync(append.StreamId, ct));
    }

    private static bool IsDuplicateId(PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "uq_mt_events_id";

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
