using Npgsql;
using NpgsqlTypes;

namespace ModelRegistry.EventStore.Storage;

/// <summary>An event serialized for writing.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Type">Its stored type name.</param>
/// <param name="SchemaVersion">Its payload's schema version.</param>
/// <param name="Json">Its payload.</param>
internal sealed record EventToWrite(Guid Id, string Type, int SchemaVersion, string Json);

/// <summary>What the database assigned to one appended event.</summary>
internal readonly record struct AppendedRow(long Position, Guid Id, long StreamVersion, DateTimeOffset Timestamp);

/// <summary>
/// An append as one statement. The stream row is claimed first (inserted, updated under the version check, or upserted) and the
/// events are inserted only for the row that claim returns, so a writer that loses the check draws no sequence number and writes
/// nothing: it gets no rows back. Every writer has a transaction id (the stream row's) before it draws a position, which the
/// high-water mark relies on (ADR 4). Duplicate event ids surface as a rejected claim or as a violation of <c>uq_mt_events_id</c>.
/// </summary>
internal static class AppendStatement
{
    private const string InsertEvents = """
        INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, schema_version, user_name, correlation_id, causation_id, reason)
        SELECT nextval('mt_events_sequence'), e.id, $1, s.version - $3 + e.n, e.data, e.type, e.schema_version, $8, $9, $10, $11
        FROM s CROSS JOIN unnest($4::uuid[], $5::varchar[], $6::int[], $7::jsonb[]) WITH ORDINALITY AS e (id, type, schema_version, data, n)
        RETURNING seq_id, id, version, timestamp
        """;

    // $2 is the stream's type, except for the version-checked update, which reads the expected version from it.
    private const string NewStream = $"""
        WITH s AS (INSERT INTO mt_streams (id, type, version) VALUES ($1, $2::varchar, $3) ON CONFLICT (id) DO NOTHING RETURNING version)
        {InsertEvents}
        """;

    private const string ExistingStream = $"""
        WITH s AS (UPDATE mt_streams SET version = version + $3, timestamp = now() WHERE id = $1 AND version = $2::bigint RETURNING version)
        {InsertEvents}
        """;

    private const string AnyStream = $"""
        WITH s AS (
            INSERT INTO mt_streams AS m (id, type, version) VALUES ($1, $2::varchar, $3)
            ON CONFLICT (id) DO UPDATE SET version = m.version + $3, timestamp = now() RETURNING version)
        {InsertEvents}
        """;

    /// <summary>The statement that appends <paramref name="events"/> to <paramref name="streamId"/>.</summary>
    public static NpgsqlBatchCommand Create(string streamId, string? streamType, ExpectedVersion expected, IReadOnlyList<EventToWrite> events,
        EventMetadata metadata)
    {
        var command = new NpgsqlBatchCommand(expected.Value switch { 0 => NewStream, > 0 => ExistingStream, _ => AnyStream });
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        p.Add(expected.Value > 0
            ? new NpgsqlParameter<long> { TypedValue = expected.Value }
            : new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)streamType ?? DBNull.Value });
        p.Add(new NpgsqlParameter<long> { TypedValue = events.Count });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. events.Select(e => e.Id)] });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = events.Select(e => e.Type).ToArray() });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. events.Select(e => e.SchemaVersion)] });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = events.Select(e => e.Json).ToArray() });
        p.Add(Text(metadata.Actor, NpgsqlDbType.Varchar));
        p.Add(Text(metadata.CorrelationId, NpgsqlDbType.Varchar));
        p.Add(Text(metadata.CausationId, NpgsqlDbType.Varchar));
        p.Add(Text(metadata.Reason, NpgsqlDbType.Text));
        return command;
    }

    /// <summary>Reads one append's rows, in stream order: empty when the claim was refused.</summary>
    public static async Task<List<AppendedRow>> ReadAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var rows = new List<AppendedRow>(1);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new AppendedRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        rows.Sort((a, b) => a.StreamVersion.CompareTo(b.StreamVersion));
        return rows;
    }

    private static NpgsqlParameter Text(string? value, NpgsqlDbType type) => new() { NpgsqlDbType = type, Value = (object?)value ?? DBNull.Value };
}
