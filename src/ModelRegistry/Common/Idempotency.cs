using Marten;
using Marten.Exceptions;
using ModelRegistry.Catalog;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql.Tables;

namespace ModelRegistry.Common;

/// <summary>
/// A retried command with the same Idempotency-Key (per principal and route) gets the first response back, byte for byte, and
/// appends nothing. A command that appends claims the key in its own transaction (<see cref="Claim"/>, with the stream versions it
/// went from and to), so the events and the claim commit together and of two concurrent duplicates exactly one appends; its answer
/// is stored beside the claim right after the commit, or made again from those events by a replay that finds none.
/// </summary>
internal sealed class IdempotencyStore(NpgsqlDataSource dataSource)
{
    /// <summary>Where the stored responses are kept.</summary>
    public const string TableName = "public.mr_idempotency_keys";

    // The name the migration that created the table before gave its key, so Weasel finds such a table as declared.
    private const string PrimaryKey = "mr_idempotency_keys_pkey";

    private const string Columns = "request_sha256, status_code, location, etag, view_kind, view_key, as_of, body, stream_key, version_before, version_after";

    /// <summary>
    /// The table, which Marten creates and diffs with its own schema (ADR 16); it never drops what it does not declare. Drift
    /// detection makes the answer columns nullable on tables created when every claim came with its answer.
    /// </summary>
    public static Table SchemaObject()
    {
        var table = new Table(TableName) { PrimaryKeyName = PrimaryKey, AddOnlyMigrations = true, DetectColumnDrift = true };
        table.AddColumn("key", "text").AsPrimaryKey();
        table.AddColumn("principal", "text").AsPrimaryKey();
        table.AddColumn("route", "text").AsPrimaryKey();
        table.AddColumn("request_sha256", "bytea").NotNull();
        table.AddColumn("status_code", "integer");
        table.AddColumn("location", "text");
        table.AddColumn("etag", "text");
        table.AddColumn("view_kind", "text");
        table.AddColumn("view_key", "text");
        table.AddColumn("as_of", "timestamptz");
        table.AddColumn("body", "bytea");
        table.AddColumn("stream_key", "text");
        table.AddColumn("version_before", "bigint");
        table.AddColumn("version_after", "bigint");
        table.AddColumn("created_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        table.Indexes.Add(new IndexDefinition("ix_mr_idempotency_keys_created_at") { Columns = ["created_at"] });
        return table;
    }

    /// <summary>Claims the key in <paramref name="session"/>'s transaction; a concurrent holder fails that transaction (<see cref="IsClaimTaken"/>).</summary>
    public static void Claim(IDocumentSession session, IdempotencyClaim claim, string streamKey, long versionBefore, long versionAfter) =>
        session.QueueSqlCommand(
            $"INSERT INTO {TableName} (key, principal, route, request_sha256, stream_key, version_before, version_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
            claim.Key, claim.Principal, claim.Route, claim.RequestSha256, streamKey, versionBefore, versionAfter);

    /// <summary>Whether a command failed because another request holds its Idempotency-Key (its transaction rolled back).</summary>
    public static bool IsClaimTaken(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: PrimaryKey })
            {
                return true;
            }

            if (e is MartenCommandException { InnerException: null })
            {
                return false;
            }
        }

        return false;
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
            reader.IsDBNull(1) ? null : reader.GetInt32(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : new ResponseView(reader.GetString(4), reader.GetString(5)),
            reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<byte[]>(7),
            reader.IsDBNull(8) ? "" : reader.GetString(8),
            reader.IsDBNull(9) ? 0 : reader.GetInt64(9),
            reader.IsDBNull(10) ? 0 : reader.GetInt64(10));
    }

    /// <summary>Stores the answer of a command that appended nothing, with its key; false when someone holds the key already.</summary>
    public async Task<bool> TryClaimAnsweredAsync(IdempotencyScope scope, CommandReply reply, string etag, byte[] body, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            INSERT INTO {TableName} (key, principal, route, request_sha256, status_code, location, etag, view_kind, view_key, body)
            VALUES (@key, @principal, @route, @sha, @status, @location, @etag, @kind, @viewkey, @body)
            ON CONFLICT DO NOTHING
            """);
        AddScope(cmd, scope);
        cmd.Parameters.Add(new NpgsqlParameter<byte[]>("sha", scope.RequestSha256));
        AddReply(cmd, reply, etag, asOf: null, body);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Stores the answer once; whoever stores first wins, and everyone answers with the stored bytes.</summary>
    public async Task CompleteAsync(IdempotencyScope scope, CommandReply reply, string etag, DateTimeOffset? asOf, byte[] body, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            UPDATE {TableName} SET status_code = @status, location = @location, etag = @etag, view_kind = @kind, view_key = @viewkey,
                as_of = @asof, body = @body
            WHERE key = @key AND principal = @principal AND route = @route AND body IS NULL
            """);
        AddScope(cmd, scope);
        AddReply(cmd, reply, etag, asOf, body);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void AddReply(NpgsqlCommand cmd, CommandReply reply, string etag, DateTimeOffset? asOf, byte[] body)
    {
        cmd.Parameters.Add(new NpgsqlParameter<int>("status", reply.Status));
        cmd.Parameters.Add(new NpgsqlParameter("location", NpgsqlDbType.Text) { Value = (object?)reply.Location ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter<string>("etag", etag));
        cmd.Parameters.Add(new NpgsqlParameter<string>("kind", reply.View.Kind));
        cmd.Parameters.Add(new NpgsqlParameter<string>("viewkey", reply.View.Key));
        cmd.Parameters.Add(new NpgsqlParameter("asof", NpgsqlDbType.TimestampTz) { Value = (object?)asOf?.ToUniversalTime() ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter<byte[]>("body", body));
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

    public IdempotencyClaim Claim => new(Key, Principal, Route, RequestSha256);

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

/// <summary>
/// A stored response. The answer (<see cref="Status"/> to <see cref="Body"/>) is null only between the commit of the command that
/// claimed the key and the answer stored after it; the stream versions say which events that command appended.
/// </summary>
internal sealed record StoredResponse(
    byte[] RequestSha256, int? Status, string? Location, string? ETag, ResponseView? View, DateTimeOffset? AsOf, byte[]? Body,
    string StreamKey, long VersionBefore, long VersionAfter);
