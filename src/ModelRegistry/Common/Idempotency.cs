using ModelRegistry.EventStore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace ModelRegistry.Common;

/// <summary>
/// A retried command with the same Idempotency-Key (per principal and route) gets the first response back, byte for
/// byte, and appends nothing. The key is claimed in the append's own transaction, so the events and the claim commit
/// together and of two concurrent duplicates exactly one appends; the body is rendered from the read model right after
/// the commit and stored beside the claim.
/// </summary>
internal sealed class IdempotencyStore(NpgsqlDataSource dataSource)
{
    public static Migration Migration { get; } = new(101, "idempotency keys", """
        CREATE TABLE mr_idempotency_keys (
            key             text NOT NULL,
            principal       text NOT NULL,
            route           text NOT NULL,
            request_sha256  bytea NOT NULL,
            status_code     integer NOT NULL,
            location        text NULL,
            etag            text NULL,
            view_kind       text NOT NULL,
            view_key        text NOT NULL,
            as_of           timestamptz NULL,
            body            bytea NULL,
            created_at      timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (key, principal, route)
        );
        CREATE INDEX ix_mr_idempotency_keys_created_at ON mr_idempotency_keys (created_at);
        """);

    private const string Columns = "request_sha256, status_code, location, etag, view_kind, view_key, as_of, body";

    public async Task<StoredResponse?> FindAsync(IdempotencyScope scope, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            $"SELECT {Columns} FROM mr_idempotency_keys WHERE key = @key AND principal = @principal AND route = @route");
        AddScope(cmd, scope);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new StoredResponse(
            reader.GetFieldValue<byte[]>(0),
            reader.GetInt32(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            new ResponseView(reader.GetString(4), reader.GetString(5)),
            reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7));
    }

    /// <summary>Claims the key; false when someone holds it already (after waiting for their transaction to end).</summary>
    public async Task<bool> TryClaimAsync(NpgsqlConnection? connection, NpgsqlTransaction? transaction, IdempotencyScope scope,
        CommandReply reply, string etag, DateTimeOffset? asOf, byte[]? body, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO mr_idempotency_keys (key, principal, route, request_sha256, status_code, location, etag, view_kind, view_key, as_of, body)
            VALUES (@key, @principal, @route, @sha, @status, @location, @etag, @kind, @viewkey, @asof, @body)
            ON CONFLICT DO NOTHING
            """;
        await using var cmd = connection is null ? dataSource.CreateCommand(sql) : new NpgsqlCommand(sql, connection, transaction);
        AddScope(cmd, scope);
        cmd.Parameters.Add(new NpgsqlParameter<byte[]>("sha", scope.RequestSha256));
        cmd.Parameters.Add(new NpgsqlParameter<int>("status", reply.Status));
        cmd.Parameters.Add(new NpgsqlParameter("location", NpgsqlDbType.Text) { Value = (object?)reply.Location ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter<string>("etag", etag));
        cmd.Parameters.Add(new NpgsqlParameter<string>("kind", reply.View.Kind));
        cmd.Parameters.Add(new NpgsqlParameter<string>("viewkey", reply.View.Key));
        cmd.Parameters.Add(new NpgsqlParameter("asof", NpgsqlDbType.TimestampTz) { Value = (object?)asOf ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("body", NpgsqlDbType.Bytea) { Value = (object?)body ?? DBNull.Value });
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Stores the rendered body once; whoever stores first wins, and everyone answers with the stored bytes.</summary>
    public async Task CompleteAsync(IdempotencyScope scope, byte[] body, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "UPDATE mr_idempotency_keys SET body = @body WHERE key = @key AND principal = @principal AND route = @route AND body IS NULL");
        AddScope(cmd, scope);
        cmd.Parameters.Add(new NpgsqlParameter<byte[]>("body", body));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void AddScope(NpgsqlCommand cmd, IdempotencyScope scope)
    {
        cmd.Parameters.Add(new NpgsqlParameter<string>("key", scope.Key));
        cmd.Parameters.Add(new NpgsqlParameter<string>("principal", scope.Principal));
        cmd.Parameters.Add(new NpgsqlParameter<string>("route", scope.Route));
    }
}

/// <summary>Who sent which key to which route, with the fingerprint of the body it came with.</summary>
internal sealed record IdempotencyScope(string Key, string Principal, string Route, byte[] RequestSha256)
{
    public const int MaxKeyLength = 255;

    public static IdempotencyScope? Of(HttpContext http, RequestContext request)
    {
        if (request.IdempotencyKey is not { } key)
        {
            return null;
        }

        if (key.Length > MaxKeyLength || !key.All(RequestContext.IsTokenChar))
        {
            throw DomainErrors.Invalid(RequestContext.IdempotencyHeader, "invalid-idempotency-key",
                $"An Idempotency-Key is 1 to {MaxKeyLength} visible ASCII characters.");
        }

        var path = (http.Request.PathBase + http.Request.Path).Value ?? "";
        var route = $"{http.Request.Method} {path.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase).ToLowerInvariant()}";
        return new IdempotencyScope(key, http.User.Identity?.Name ?? "", route, request.BodySha256());
    }
}

/// <summary>A stored response; <see cref="Body"/> is null only between the commit and the render that follows it.</summary>
internal sealed record StoredResponse(
    byte[] RequestSha256, int Status, string? Location, string? ETag, ResponseView View, DateTimeOffset? AsOf, byte[]? Body);
