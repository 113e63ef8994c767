using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using JasperFx.Events;
using Marten;
using Marten.Services;
using ModelRegistry.EventStore.Projections;
using Npgsql;
using JasperFxConcurrencyException = JasperFx.ConcurrencyException;

namespace ModelRegistry.EventStore.Storage;

/// <summary>
/// The event store on Marten: events are appended by Marten's own append (its quick append function, the version check and the
/// stream lock) with Marten's inline projections, in a transaction of ours, so the caller's work commits with them. Reads are SQL on
/// Marten's tables. Stored type names carry the schema version as Marten does (<c>Name_v2</c>); the reason is a header.
/// </summary>
internal sealed class MartenEventStore(
    IDocumentStore documents,
    NpgsqlDataSource dataSource,
    EventTypeRegistry types,
    HighWaterMark highWaterMark,
    EventStoreMetrics metrics) : IEventStore
{
    private const int MaxAnyAttempts = 20;

    public string Schema { get; } = documents.Options.Events.DatabaseSchemaName;

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
        var prepared = events.Select(Prepare).ToList();
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            AppendResult result;
            try
            {
                result = await SaveAsync(tx, streamId, expected, prepared, metadata, ct);
            }
            catch (Exception ex) when (IsBroken(conn, ex))
            {
                throw new StoreUnavailableException(ex);
            }
            catch (Exception ex) when (IsRaceLost(ex) || IsUniqueViolation(ex))
            {
                await tx.RollbackAsync(CancellationToken.None);
                if (await StoredAlreadyAsync(streamId, prepared, ct) is { } stored)
                {
                    return stored;
                }

                // Without an expected version an append always goes in: one that met another on the same stream goes again.
                if (expected == ExpectedVersion.Any && attempt < MaxAnyAttempts)
                {
                    continue;
                }

                throw new ConcurrencyException(streamId, expected, await GetStreamVersionAsync(streamId, ct));
            }

            try
            {
                await CommitAsync(conn, tx, result, inTransaction, ct);
            }
            catch (Exception ex) when (IsBroken(conn, ex))
            {
                throw new StoreUnavailableException(ex);
            }

            metrics.Appended(result.Events, Stopwatch.GetElapsedTime(started));
            return result;
        }
    }

    private async Task CommitAsync(NpgsqlConnection conn, NpgsqlTransaction tx, AppendResult result, InTransaction? inTransaction, CancellationToken ct)
    {
        var deferred = new DeferredWork();
        var transaction = new AppendTransaction(conn, tx, result, deferred);
        if (inTransaction is not null)
        {
            await inTransaction(transaction, ct);
        }

        await Deferred.CommitAsync(conn, tx, deferred, ct);
        await transaction.RunAfterCommitAsync(CancellationToken.None);
    }

    private async Task<AppendResult> SaveAsync(NpgsqlTransaction tx, string streamId, ExpectedVersion expected, List<Prepared> prepared,
        EventMetadata metadata, CancellationToken ct)
    {
        await using var session = documents.LightweightSession(SessionOptions.ForTransaction(tx, shouldAutoCommit: false));
        session.CorrelationId = metadata.CorrelationId;
        session.CausationId = metadata.CausationId;
        session.LastModifiedBy = metadata.Actor;
        if (metadata.Reason is { } reason)
        {
            session.SetHeader(EventRows.ReasonHeader, reason);
        }

        // Without an expected version, the append goes in at the version the last one left: with a version to append at, Marten
        // gives the inline projections each event's stream version (without, they see 0).
        expected = await ClaimAsync(tx, streamId, expected, ct);
        var built = prepared.Select(p =>
        {
            var e = session.Events.BuildEvent(p.Data);
            e.Id = p.Id;
            return e;
        }).ToArray();
        var wrapped = built.Cast<object>().ToArray();
        _ = expected.Value switch
        {
            -1 => session.Events.Append(streamId, wrapped),
            0 => session.Events.StartStream(streamId, wrapped),
            // Marten's expected version is the stream's version after the append.
            var v => session.Events.Append(streamId, v + wrapped.Length, wrapped),
        };
        await session.SaveChangesAsync(ct);

        // PostgreSQL keeps microseconds: what this append answers is what reading it back answers.
        var stored = prepared.Zip(built, (p, e) => new StoredEvent(e.Sequence, e.Id, streamId, e.Version, p.Type, p.SchemaVersion,
            p.Json, p.Data, e.Timestamp.AddTicks(-(e.Timestamp.Ticks % 10)), metadata)).ToList();
        return new AppendResult(stored[^1].StreamVersion, stored, WasDuplicate: false);
    }

    /// <summary>
    /// Before Marten's append draws a position, the transaction takes its id, which the high-water mark relies on (ADR 4); the order
    /// of statements Marten sends for one save is its own, so this goes first in a round trip of its own. An append without an
    /// expected version also takes its stream's row, so appends to one stream go in turn, each after the version the last one left.
    /// </summary>
    private async Task<ExpectedVersion> ClaimAsync(NpgsqlTransaction tx, string streamId, ExpectedVersion expected, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(tx.Connection, tx) { BatchCommands = { new NpgsqlBatchCommand("SELECT pg_current_xact_id()") } };
        if (expected != ExpectedVersion.Any)
        {
            await batch.ExecuteNonQueryAsync(ct);
            return expected;
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT version FROM {Schema}.mt_streams WHERE id = $1 FOR UPDATE")
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = streamId } },
        });
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        return await reader.ReadAsync(ct) ? ExpectedVersion.Exactly(reader.GetInt64(0)) : ExpectedVersion.NoStream;
    }

    private Prepared Prepare(NewEvent e)
    {
        var (name, schemaVersion) = types.Describe(e.Data);
        var json = JsonSerializer.SerializeToElement(e.Data, e.Data.GetType(), types.JsonOptions);
        return new Prepared(e.Id ?? Guid.CreateVersion7(), name, schemaVersion, json, e.Data);
    }

    private sealed record Prepared(Guid Id, string Type, int SchemaVersion, JsonElement Json, object Data);

    /// <summary>A retry of an append that is stored already (every event id found) answers what is stored; null when none is.</summary>
    private async Task<AppendResult?> StoredAlreadyAsync(string streamId, List<Prepared> prepared, CancellationToken ct)
    {
        var ids = prepared.Select(p => p.Id).ToArray();
        await using var cmd = dataSource.CreateCommand($"SELECT {EventRows.Columns} FROM {Schema}.mt_events WHERE id = ANY(@ids) ORDER BY seq_id");
        cmd.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", ids));
        var existing = await ReadEventsAsync(cmd, ct);
        if (existing.Count == ids.Length)
        {
            return new AppendResult(existing.Max(e => e.StreamVersion), existing, WasDuplicate: true);
        }

        if (existing.Count == 0)
        {
            return null;
        }

        throw new InvalidOperationException(
            $"{existing.Count} of the {ids.Length} event ids of this append to stream '{streamId}' are stored already; nothing was appended.");
    }

    /// <summary>
    /// The append's connection broke (the server restarted or went away): whatever Marten or a caller's work then reports — it may be
    /// a closed or completed transaction rather than the network error — the store was unreachable.
    /// </summary>
    private static bool IsBroken(NpgsqlConnection conn, Exception ex) =>
        ex is not ConcurrencyException and not OperationCanceledException
        && (conn.FullState.HasFlag(System.Data.ConnectionState.Broken) || conn.FullState == System.Data.ConnectionState.Closed);

    private static bool IsRaceLost(Exception ex) => ex is JasperFxConcurrencyException or Marten.Exceptions.ExistingStreamIdCollisionException;

    /// <summary>A stored event id, or two appends without an expected version meeting on one stream version.</summary>
    private static bool IsUniqueViolation(Exception ex) =>
        ex is Marten.Exceptions.MartenCommandException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } };

    public async Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, long fromVersion = 1, int maxCount = int.MaxValue,
        bool backward = false, CancellationToken ct = default)
    {
        var sql = backward
            ? $"SELECT {EventRows.Columns} FROM {Schema}.mt_events WHERE stream_id = @s AND version <= @v ORDER BY version DESC LIMIT @n"
            : $"SELECT {EventRows.Columns} FROM {Schema}.mt_events WHERE stream_id = @s AND version >= @v ORDER BY version LIMIT @n";
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter<string>("s", streamId));
        cmd.Parameters.Add(new NpgsqlParameter<long>("v", backward && fromVersion == 1 ? long.MaxValue : fromVersion));
        cmd.Parameters.Add(new NpgsqlParameter<long>("n", maxCount));
        return await ReadEventsAsync(cmd, ct);
    }

    public async Task<long?> GetStreamVersionAsync(string streamId, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT version FROM {Schema}.mt_streams WHERE id = @s");
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

    /// <summary>Events in (after, upTo], in position order, with no high-water-mark check; Marten's tombstones are left out.</summary>
    internal async Task<IReadOnlyList<StoredEvent>> ReadRangeAsync(NpgsqlDataSource? source, NpgsqlConnection? conn, long after, long upTo, int maxCount, CancellationToken ct)
    {
        var sql = $"SELECT {EventRows.Columns} FROM {Schema}.mt_events WHERE seq_id > @after AND seq_id <= @upto AND stream_id <> '{EventRows.TombstoneStream}' ORDER BY seq_id LIMIT @n";
        await using var cmd = conn is null ? source!.CreateCommand(sql) : new NpgsqlCommand(sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<long>("after", after));
        cmd.Parameters.Add(new NpgsqlParameter<long>("upto", upTo));
        cmd.Parameters.Add(new NpgsqlParameter<long>("n", maxCount));
        return await ReadEventsAsync(cmd, ct);
    }

    public Task<long> GetSafeHeadAsync(CancellationToken ct = default) => highWaterMark.RefreshAsync(ct);

    public async Task<long> GetHeadAsync(CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {Schema}.mt_events_sequence");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<(TState State, long Version)> AggregateAsync<TState>(string streamId, TState initial, Func<TState, StoredEvent, TState> evolve,
        AsOf? asOf = null, CancellationToken ct = default)
    {
        asOf ??= AsOf.Latest;
        await using var cmd = dataSource.CreateCommand(
            $"SELECT {EventRows.Columns} FROM {Schema}.mt_events WHERE stream_id = @s AND version > @after AND version <= @v AND timestamp <= @t ORDER BY version");
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
            list.Add(EventRows.Read(types, reader));
        }

        return list;
    }
}

/// <summary>How events are stored in Marten's <c>mt_events</c>, for the readers that query it with SQL.</summary>
public static class EventRows
{
    /// <summary>Marten's header that holds a change's reason.</summary>
    public const string ReasonHeader = "reason";

    /// <summary>Marten's stream for the positions of saves that failed after drawing them.</summary>
    public const string TombstoneStream = "mt_tombstone";

    /// <summary>The columns <see cref="Read"/> reads, in its order.</summary>
    public const string Columns =
        $"seq_id, id, stream_id, version, type, data::text, timestamp, user_name, correlation_id, causation_id, headers->>'{ReasonHeader}'";

    /// <summary>One row of <see cref="Columns"/>, its payload upcast to the registered schema version.</summary>
    public static StoredEvent Read(EventTypeRegistry types, NpgsqlDataReader reader)
    {
        var (type, storedVersion) = SplitTypeName(reader.GetString(4));
        var (json, data, schemaVersion) = types.Read(type, storedVersion, reader.GetString(5));
        return new StoredEvent(
            reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt64(3), type, schemaVersion, json, data,
            reader.GetFieldValue<DateTimeOffset>(6),
            new EventMetadata(
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10)));
    }

    /// <summary>The stored name's type and schema version: <c>VersionRegistered_v2</c> is schema 2, a name without the suffix schema 1.</summary>
    public static (string Type, int SchemaVersion) SplitTypeName(string stored)
    {
        var at = stored.LastIndexOf("_v", StringComparison.Ordinal);
        return at > 0 && int.TryParse(stored.AsSpan(at + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 1
            ? (stored[..at], version)
            : (stored, 1);
    }

    /// <summary>The name Marten stores for <paramref name="type"/> at <paramref name="schemaVersion"/>.</summary>
    public static string StoredTypeName(string type, int schemaVersion) =>
        schemaVersion == 1 ? type : $"{type}_v{schemaVersion.ToString(CultureInfo.InvariantCulture)}";
}
