using ModelRegistry.Common;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>
/// Appends a stored payload as a row of Marten's tables, as an earlier version of the code could have written it (any type name,
/// any schema version, any payload), on a connection and transaction the test controls. The stream row comes first, so the
/// transaction has its id before it draws a position, as Marten's own append.
/// </summary>
internal static class RawAppend
{
    /// <summary>Appends one event with <paramref name="json"/> as its payload to <paramref name="stream"/> (any version); returns its position.</summary>
    public static async Task<long> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string stream, string type, int schemaVersion, string json)
    {
        await using var cmd = new NpgsqlCommand($"""
            WITH s AS (
                INSERT INTO {RegistryStore.Schema}.mt_streams AS m (id, version) VALUES ($1, 1)
                ON CONFLICT (id) DO UPDATE SET version = m.version + 1, timestamp = now() RETURNING version)
            INSERT INTO {RegistryStore.Schema}.mt_events (seq_id, id, stream_id, version, data, type)
            SELECT nextval('{RegistryStore.Schema}.mt_events_sequence'), $2, $1, s.version, $3::jsonb, $4 FROM s
            RETURNING seq_id
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = EventNames.StoredTypeName(type, schemaVersion) });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>The same on a connection of its own, committed at once.</summary>
    public static async Task<long> ExecuteAsync(string connectionString, string stream, string type, int schemaVersion, string json)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        return await ExecuteAsync(conn, null, stream, type, schemaVersion, json);
    }
}
