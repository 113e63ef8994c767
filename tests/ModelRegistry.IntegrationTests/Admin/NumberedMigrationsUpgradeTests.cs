using System.Security.Cryptography;
using System.Text;
using ModelRegistry.Access;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Admin;

/// <summary>
/// The app started on a database whose own tables, pg_trgm and audit indexes were made by the numbered migrations
/// (Fixtures/numbered-migrations-v2.sql, after Marten's tables): Marten's schema takes them over as they are, with their rows.
/// </summary>
public sealed class NumberedMigrationsUpgradeTests : IAsyncLifetime
{
    private const string KeyId = "0123456789abcdef";
    private static readonly string Secret = new('s', 43);
    private static readonly byte[] Request = Encoding.UTF8.GetBytes("""{"name":"kept"}""");
    private static readonly byte[] StoredResponse = Encoding.UTF8.GetBytes("""{"name":"kept","answered":"before the upgrade"}""");

    private readonly TestDatabase _database = new();
    private readonly string _root = Directory.CreateTempSubdirectory("mr-upgrade-").FullName;
    private NpgsqlDataSource _dataSource = null!;
    private RegistryApp? _app;

    /// <summary>Each table, index and constraint of ours with its oid (and a table's file), as the migrations left them.</summary>
    private string _objects = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = _database.CreateDataSource();
        // Marten's tables as both versions make them; what this version declares of its own is then taken away and made again
        // as the migrations made it.
        await (await RegistryApp.StartAsync(_database.ConnectionString, _root)).DisposeAsync();
        await _dataSource.ExecuteAsync($"""
            DROP TABLE {ApiKeyStore.TableName}, {IdempotencyStore.TableName};
            DROP INDEX {string.Join(", ", RegistryStore.AuditIndexes().Select(i => $"{RegistryStore.Schema}.{i.Name}"))};
            """);
        await _dataSource.ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Admin", "Fixtures", "numbered-migrations-v2.sql")));
        await using (var key = _dataSource.CreateCommand("""
            INSERT INTO mr_api_keys (name, role, key_id, secret_sha256, created_at, created_by)
            VALUES ('dave', 'publisher', $1, $2, '2026-12-04 18:05:02+00', 'admin')
            """))
        {
            key.Parameters.Add(new NpgsqlParameter<string> { TypedValue = KeyId });
            key.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = SHA256.HashData(Encoding.UTF8.GetBytes(Secret)) });
            await key.ExecuteNonQueryAsync();
        }

        await using (var response = _dataSource.CreateCommand("""
            INSERT INTO mr_idempotency_keys (key, principal, route, request_sha256, status_code, location, etag, view_kind, view_key, body, created_at)
            VALUES ('before-upgrade', 'dave', 'POST /api/v1/models', $1, 201, '/api/v1/models/kept', '"1"', 'model', 'kept', $2,
                    '2026-12-04 18:05:03+00')
            """))
        {
            response.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = SHA256.HashData(Request) });
            response.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = StoredResponse });
            await response.ExecuteNonQueryAsync();
        }

        _objects = await ObjectsAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_key_stored_before_still_authenticates()
    {
        var app = await UpgradeAsync();

        var dave = await app.Scenario(s => { s.Get.Url("/api/v1/me"); s.WithBearerToken($"mr_{KeyId}_{Secret}"); s.StatusCodeShouldBe(200); });

        Assert.Equal(("dave", "publisher"), (dave.Json.Str("name"), dave.Json.Str("role")));
        await app.Scenario(s => { s.Get.Url("/api/v1/me"); s.WithBearerToken($"mr_{KeyId}_{new string('t', 43)}"); s.StatusCodeShouldBe(401); });
    }

    [Fact]
    public async Task A_response_stored_before_replays_byte_for_byte_and_appends_nothing()
    {
        var app = await UpgradeAsync();

        var replayed = await app.Scenario(s =>
        {
            s.Post.Bytes(Request, "application/json").ToUrl(Models);
            s.WithBearerToken($"mr_{KeyId}_{Secret}");
            s.WithRequestHeader("Idempotency-Key", "before-upgrade");
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal(StoredResponse, replayed.Bytes);
        Assert.Equal(("true", "/api/v1/models/kept", "\"1\""), (replayed.Header("Idempotent-Replayed"), replayed.Location, replayed.ETag));
        await app.Scenario(s => { s.Get.Url($"{Models}/kept"); s.StatusCodeShouldBe(404); });
    }

    [Fact]
    public async Task The_start_keeps_every_table_index_and_constraint_the_migrations_made_and_db_assert_then_finds_no_difference()
    {
        await UpgradeAsync();

        var asserted = await AppCommand.RunAsync(_database.ConnectionString, _root, "db-assert");

        Assert.Equal(_objects, await ObjectsAsync());
        Assert.True(asserted.ExitCode == 0, asserted.ToString());
        Assert.Equal((1L, 1L), (await _dataSource.ScalarAsync<long>("SELECT count(*) FROM mr_api_keys"),
            await _dataSource.ScalarAsync<long>("SELECT count(*) FROM mr_idempotency_keys")));
    }

    private async Task<RegistryApp> UpgradeAsync()
    {
        _app = await RegistryApp.StartAsync(_database.ConnectionString, _root);
        return _app;
    }

    /// <summary>
    /// Our tables (oid and file: a rewrite changes the file), their indexes and the audit indexes (oid: recreated, it changes),
    /// the tables' constraints and pg_trgm, one per line.
    /// </summary>
    private Task<string> ObjectsAsync() => _dataSource.ScalarAsync<string>($"""
        SELECT string_agg(line, E'\n' ORDER BY line) FROM (
            SELECT format('%s.%s %s %s', n.nspname, c.relname, c.oid, c.relfilenode) AS line
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid IN ('{ApiKeyStore.TableName}'::regclass, '{IdempotencyStore.TableName}'::regclass)
               OR c.oid IN (SELECT indexrelid FROM pg_index
                            WHERE indrelid IN ('{ApiKeyStore.TableName}'::regclass, '{IdempotencyStore.TableName}'::regclass))
               OR (n.nspname = '{RegistryStore.Schema}' AND c.relname LIKE 'ix_mt_events_%')
            UNION ALL
            SELECT format('%s %s %s', conname, oid, pg_get_constraintdef(oid)) FROM pg_constraint
            WHERE conrelid IN ('{ApiKeyStore.TableName}'::regclass, '{IdempotencyStore.TableName}'::regclass)
            UNION ALL
            SELECT format('%s %s', extname, oid) FROM pg_extension WHERE extname = 'pg_trgm') objects
        """);
}
