using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using ModelRegistry.Common;
using Npgsql;
using Weasel.Core;
using Weasel.Postgresql.Tables;

namespace ModelRegistry.Access;

/// <summary>What a key may do; each role includes the ones below it.</summary>
internal enum Role
{
    Reader = 1,
    Publisher = 2,
    Admin = 3,
}

/// <summary>A stored key: never its secret, only the secret's SHA-256.</summary>
internal sealed record ApiKey(string Name, Role Role, string Id, byte[] SecretSha256, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? RevokedAt);

/// <summary>A key as it is handed out once: <c>mr_&lt;id&gt;_&lt;secret&gt;</c>, 16 hex digits of id and 256 random bits of secret.</summary>
internal sealed record IssuedKey(ApiKey Stored, string Secret);

/// <summary>
/// API keys in PostgreSQL. A presented key is found by its id and its secret compared as SHA-256 in constant time (the
/// secrets are random, so a fast hash is enough). Lookups are cached for <see cref="CacheFor"/>: a revocation takes
/// effect at once on the instance that revoked and within that time on the others.
/// </summary>
internal sealed class ApiKeyStore(NpgsqlDataSource dataSource, TimeProvider clock) : IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    /// <summary>Where the keys are kept.</summary>
    public const string TableName = "public.mr_api_keys";

    /// <summary>
    /// The table, which Marten creates and diffs with its own schema (ADR 16). Its constraint and index names are those the
    /// migration that created it before gave them (PostgreSQL's defaults), so Weasel finds such a table as declared; it never
    /// drops what it does not declare (<see cref="TableBase{TColumn,TIndex,TForeignKey}.AddOnlyMigrations"/>).
    /// </summary>
    public static Table SchemaObject()
    {
        var table = new Table(TableName) { PrimaryKeyName = "mr_api_keys_pkey", AddOnlyMigrations = true };
        table.AddColumn("name", "text").AsPrimaryKey();
        table.AddColumn("role", "text").NotNull();
        table.AddColumn("key_id", "text").NotNull();
        table.AddColumn("secret_sha256", "bytea").NotNull();
        table.AddColumn("created_at", "timestamptz").NotNull().DefaultValueByExpression("now()");
        table.AddColumn("created_by", "text");
        table.AddColumn("revoked_at", "timestamptz");
        table.AddColumn("revoked_by", "text");
        // Written as PostgreSQL renders it back, so the comparison with the database finds no difference.
        table.CheckConstraints.Add(new TableCheckConstraint("mr_api_keys_role_check",
            "role = ANY (ARRAY['reader'::text, 'publisher'::text, 'admin'::text])"));
        // A unique index where the migration made a unique constraint: the same rule, and the constraint's own index has this name.
        table.Indexes.Add(new IndexDefinition("mr_api_keys_key_id_key") { IsUnique = true, Columns = ["key_id"] });
        return table;
    }

    private const string Prefix = "mr_";
    private const string Columns = "name, role, key_id, secret_sha256, created_at, created_by, revoked_at";

    private readonly MemoryCache _byId = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    public async Task<IssuedKey> CreateAsync(string name, Role role, string? createdBy, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        await using var cmd = dataSource.CreateCommand($"""
            INSERT INTO {TableName} (name, role, key_id, secret_sha256, created_at, created_by) VALUES (@name, @role, @id, @hash, @at, @by)
            ON CONFLICT (name) DO NOTHING
            RETURNING {Columns}
            """);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("role", Lower(role));
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("hash", Hash(secret));
        cmd.Parameters.AddWithValue("at", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("by", (object?)createdBy ?? DBNull.Value);
        var created = await ReadAsync(cmd, ct);
        return created.Count == 1
            ? new IssuedKey(created[0], $"{Prefix}{id}_{secret}")
            : throw DomainErrors.Conflict("key-name-taken", $"A key named '{name}' exists or existed; names are never reused, so the audit trail stays unambiguous.");
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM {TableName} ORDER BY name");
        return await ReadAsync(cmd, ct);
    }

    /// <summary>Revokes the key; false when there is no key of that name. Revoking twice changes nothing.</summary>
    public async Task<bool> RevokeAsync(string name, string? revokedBy, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            UPDATE {TableName} SET revoked_at = coalesce(revoked_at, @at), revoked_by = coalesce(revoked_by, @by) WHERE name = @name
            RETURNING {Columns}
            """);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("at", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("by", (object?)revokedBy ?? DBNull.Value);
        var revoked = await ReadAsync(cmd, ct);
        foreach (var key in revoked)
        {
            _byId.Remove(key.Id);
        }

        return revoked.Count == 1;
    }

    /// <summary>The live key a presented secret belongs to, or null.</summary>
    public async ValueTask<ApiKey?> AuthenticateAsync(string presented, CancellationToken ct)
    {
        if (!TryParse(presented, out var id, out var secret))
        {
            return null;
        }

        if (!_byId.TryGetValue(id, out ApiKey? key))
        {
            await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM {TableName} WHERE key_id = @id");
            cmd.Parameters.AddWithValue("id", id);
            key = (await ReadAsync(cmd, ct)).SingleOrDefault();
            _byId.Set(id, key, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = CacheFor });
        }

        return key is { RevokedAt: null } && CryptographicOperations.FixedTimeEquals(key.SecretSha256, Hash(secret)) ? key : null;
    }

    public void Dispose() => _byId.Dispose();

    public static string Lower(Role role) => role.ToString().ToLowerInvariant();

    public static bool TryParseRole(string? value, out Role role)
    {
        role = default;
        return value is "reader" or "publisher" or "admin" && Enum.TryParse(value, ignoreCase: true, out role);
    }

    private static bool TryParse(string presented, out string id, out string secret)
    {
        (id, secret) = ("", "");
        if (presented.Length != Prefix.Length + 16 + 1 + 43 || !presented.StartsWith(Prefix, StringComparison.Ordinal) || presented[Prefix.Length + 16] != '_')
        {
            return false;
        }

        id = presented.Substring(Prefix.Length, 16);
        secret = presented[(Prefix.Length + 17)..];
        return id.All(char.IsAsciiHexDigitLower);
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<List<ApiKey>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var keys = new List<ApiKey>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            TryParseRole(reader.GetString(1), out var role);
            keys.Add(new ApiKey(reader.GetString(0), role, reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return keys;
    }
}
