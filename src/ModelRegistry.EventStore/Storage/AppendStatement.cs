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

    // Several appends to distinct streams in one statement: the stream rows are claimed (updated under the version check first,
    // then created, then upserted, each in key order, so concurrent groups take their locks in one order), and each claimed
    // stream's events are inserted, in stream order. An append whose claim fails gets no rows back; the others go on.
    // A lone append keeps the one-kind statements above: measured with pgbench at 16 clients, this form runs a single append
    // about a third slower (its three claims and joins are planned and run even when two of them have nothing to do).
    private const string Group = """
        WITH i AS (
            SELECT * FROM unnest($1::text[], $2::varchar[], $3::bigint[], $4::bigint[], $5::varchar[], $6::varchar[], $7::varchar[], $8::text[])
                WITH ORDINALITY AS i (stream, stream_type, expected, n, user_name, correlation_id, causation_id, reason, member)
        ),
        updated AS (
            UPDATE mt_streams s SET version = s.version + i.n, timestamp = now()
            FROM i WHERE i.expected > 0 AND s.id = i.stream AND s.version = i.expected
            RETURNING s.id, s.version
        ),
        created AS (
            INSERT INTO mt_streams (id, type, version) SELECT stream, stream_type, n FROM i WHERE expected = 0 ORDER BY stream
            ON CONFLICT (id) DO NOTHING RETURNING id, version
        ),
        upserted AS (
            INSERT INTO mt_streams AS m (id, type, version) SELECT stream, stream_type, n FROM i WHERE expected < 0 ORDER BY stream
            ON CONFLICT (id) DO UPDATE SET version = m.version + excluded.version, timestamp = now() RETURNING id, version
        ),
        claimed AS (SELECT * FROM updated UNION ALL SELECT * FROM created UNION ALL SELECT * FROM upserted)
        INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, schema_version, user_name, correlation_id, causation_id, reason)
        SELECT nextval('mt_events_sequence'), e.id, i.stream, c.version - i.n + e.ord, e.data, e.type, e.schema_version,
               i.user_name, i.correlation_id, i.causation_id, i.reason
        FROM claimed c
        JOIN i ON i.stream = c.id
        JOIN unnest($9::bigint[], $10::bigint[], $11::uuid[], $12::varchar[], $13::int[], $14::jsonb[]) AS e (member, ord, id, type, schema_version, data)
            ON e.member = i.member
        ORDER BY i.member, e.ord
        RETURNING seq_id, id, version, timestamp
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

    /// <summary>The statement for appends to distinct streams, in key order; read it with <see cref="ReadGroupAsync"/>.</summary>
    public static NpgsqlBatchCommand CreateGroup(IReadOnlyList<PendingAppend> appends)
    {
        var command = new NpgsqlBatchCommand(Group);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string[]> { TypedValue = [.. appends.Select(a => a.StreamId)] });
        p.Add(Texts(appends.Select(a => a.StreamType), NpgsqlDbType.Varchar));
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. appends.Select(a => a.Expected.Value)] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. appends.Select(a => (long)a.Events.Count)] });
        p.Add(Texts(appends.Select(a => a.Metadata.Actor), NpgsqlDbType.Varchar));
        p.Add(Texts(appends.Select(a => a.Metadata.CorrelationId), NpgsqlDbType.Varchar));
        p.Add(Texts(appends.Select(a => a.Metadata.CausationId), NpgsqlDbType.Varchar));
        p.Add(Texts(appends.Select(a => a.Metadata.Reason), NpgsqlDbType.Text));
        var events = appends.SelectMany((a, member) => a.Events.Select((e, ord) => (Member: member + 1L, Ord: ord + 1L, e.Write))).ToList();
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. events.Select(e => e.Member)] });
        p.Add(new NpgsqlParameter<long[]> { TypedValue = [.. events.Select(e => e.Ord)] });
        p.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. events.Select(e => e.Write.Id)] });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = events.Select(e => e.Write.Type).ToArray() });
        p.Add(new NpgsqlParameter<int[]> { TypedValue = [.. events.Select(e => e.Write.SchemaVersion)] });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = events.Select(e => e.Write.Json).ToArray() });
        return command;
    }

    /// <summary>Each append's rows, in stream order, by its position in the group: empty for an append whose claim was refused.</summary>
    public static async Task<List<AppendedRow>[]> ReadGroupAsync(NpgsqlDataReader reader, IReadOnlyList<PendingAppend> appends, CancellationToken ct)
    {
        var owner = new Dictionary<Guid, int>();
        for (var member = 0; member < appends.Count; member++)
        {
            foreach (var e in appends[member].Events)
            {
                owner[e.Write.Id] = member;
            }
        }

        var rows = appends.Select(_ => new List<AppendedRow>(1)).ToArray();
        foreach (var row in await ReadAsync(reader, ct))
        {
            rows[owner[row.Id]].Add(row);
        }

        return rows;
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

    private static NpgsqlParameter Texts(IEnumerable<string?> values, NpgsqlDbType type) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | type, Value = values.ToArray() };

    private static NpgsqlParameter Text(string? value, NpgsqlDbType type) => new() { NpgsqlDbType = type, Value = (object?)value ?? DBNull.Value };
}
