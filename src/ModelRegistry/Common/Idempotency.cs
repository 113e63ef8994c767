using Npgsql;
using NpgsqlTypes;
using Weasel.Core;
using Weasel.Postgresql.Tables;

namespace ModelRegistry.Common;

/// <summary>
/// A retried command with the same Idempotency-Key (per principal and route) gets the first response back, byte for
/// byte, and appends nothing. The key is claimed in the append's own transaction, so the events and the claim commit
/// together and of two concurrent duplicates exactly one appends; the body is rendered from the read model right after
/// the commit and stored beside the claim.
/// </summary>
internal sealed class IdempotencyStore(NpgsqlDataSource dataSource)
{
    /// <summary>Where the stored responses are kept.</summary>
    public const string TableName = "public.mr_idempotency_keys";

    private const string Columns = "request_sha256, status_code, location, etag, view_kind, view_key, as_of, body";

    /// <summary>
    /// The table, which Marten creates and diffs with its own schema (ADR 16). Its constraint and index names are those the
    /// migration that created it before gave them, so Weasel finds such a table as declared; it never drops what it does not
    /// declare (<see cref="TableBase{TColumn,TIndex,TForeignKey}.AddOnlyMigrations"/>).
    /// </summary>
    public static Table SchemaObject()
    {
        var table = new Table(TableName) { PrimaryKeyName = "mr_idempotency_keys_pkey", AddOnlyMigrations = true };
        table.AddColumn("key", "text").AsPrimaryKey();
        table.AddColumn("principal", "text").AsPrimaryKey();
        table.AddColumn("route", "text").AsPrimaryKey();
        table.AddColumn("request_sha256", "bytea").NotNull();
        table.AddColumn("status_code", "integer").NotNull();
        table.AddColumn("location", "text");
        table.AddColumn("etag", "text");
        table.AddColumn("view_kind", "text").NotNull();
        table.AddColumn("view_key", "text").NotNull();
        table.AddColumn("as_of", "timestamptz");
        table.AddColumn("body", "bytea");
        table.AddColumn("created_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        table.Indexes.Add(new IndexDefinition("ix_mr_idempotency_keys_created_at") { Columns = ["created_at"] });
        return table;
    }

    public async Task<StoredResponse?> FindAsync(IdempotencyScope scope, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            $"SELECT {Columns} FROM {TableName} WHERE key = @key AND principal = @principal AND route = @route");
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
        const string sql = $"""
            INSERT INTO {TableName} (key, principal, route, request_sha256, status_code, location, etag, view_kind, view_key, as_of, body)
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
            $"UPDATE {TableName} SET body = @body WHERE key = @key AND principal = @principal AND route = @route AND body IS NULL");
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
