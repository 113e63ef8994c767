using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Admin;

/// <summary>
/// Marten's schema commands on an empty database: <c>db-apply</c> creates Marten's tables with the registry's own tables and
/// indexes (the catalog's among them), <c>db-assert</c> fails while one of them is missing, <c>db-patch</c> scripts it.
/// </summary>
public sealed class SchemaCommandsTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private readonly string _storageRoot = Directory.CreateTempSubdirectory("mr-storage-").FullName;

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_storageRoot, recursive: true);
    }

    private Task<AppCommandResult> RunAsync(params string[] args) => AppCommand.RunAsync(_database.ConnectionString, _storageRoot, args);

    [Fact]
    public async Task Db_apply_creates_Martens_schema_with_the_registrys_own_objects_which_db_assert_and_db_patch_check()
    {
        var before = await RunAsync("db-assert");
        var applied = await RunAsync("db-apply");
        var asserted = await RunAsync("db-assert");

        Assert.Equal(1, before.ExitCode);
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Contains("0 failed", applied.Out, StringComparison.Ordinal);
        Assert.True(asserted.ExitCode == 0, asserted.ToString());
        Assert.True(await ScalarAsync<bool>("SELECT to_regclass('registry.mt_events') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>("SELECT to_regclass('public.mr_api_keys') IS NOT NULL AND to_regclass('public.mr_idempotency_keys') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>("SELECT to_regclass('registry.ix_mt_events_user_seq') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')"));
        Assert.True(await ScalarAsync<bool>("SELECT to_regclass('public.catalog_models') IS NOT NULL AND to_regclass('public.catalog_versions') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>("SELECT to_regclass('public.catalog_models_name_description_idx') IS NOT NULL"));

        // Missing: an audit index, the keys' role check and a catalog index: db-assert fails, db-patch writes them, db-apply applies them.
        await ScalarAsync<int>("""
            DROP INDEX registry.ix_mt_events_user_seq;
            ALTER TABLE public.mr_api_keys DROP CONSTRAINT mr_api_keys_role_check;
            DROP INDEX public.catalog_versions_model_key_stage_idx;
            SELECT 1
            """);
        var pending = await RunAsync("db-assert");
        var patch = Path.Combine(_storageRoot, "patch.sql");
        var patched = await RunAsync("db-patch", patch, "--database", "marten://store/");
        var reapplied = await RunAsync("db-apply");

        Assert.Equal(1, pending.ExitCode);
        Assert.True(patched.ExitCode == 0, patched.ToString());
        var sql = await File.ReadAllTextAsync(patch);
        Assert.Contains("CREATE INDEX IF NOT EXISTS ix_mt_events_user_seq ON registry.mt_events", sql, StringComparison.Ordinal);
        Assert.Contains("mr_api_keys_role_check CHECK (role = ANY (ARRAY['reader'::text, 'publisher'::text, 'admin'::text]))", sql,
            StringComparison.Ordinal);
        Assert.Contains("CREATE INDEX catalog_versions_model_key_stage_idx ON public.catalog_versions", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("ix_mt_events_type_seq", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("mr_idempotency_keys", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("catalog_models", sql, StringComparison.Ordinal);
        Assert.True(reapplied.ExitCode == 0, reapplied.ToString());
        Assert.True(await ScalarAsync<bool>("SELECT to_regclass('public.catalog_versions_model_key_stage_idx') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>("SELECT to_regclass('registry.ix_mt_events_user_seq') IS NOT NULL"));
        Assert.True(await ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'mr_api_keys_role_check')"));
        Assert.Equal(0, (await RunAsync("db-assert")).ExitCode);
    }

    [Fact]
    public async Task The_executable_lists_Martens_and_its_own_commands()
    {
        var help = await RunAsync("help");

        Assert.True(help.ExitCode == 0, help.ToString());
        foreach (var command in new[] { "db-apply", "db-assert", "db-patch", "db-dump", "describe", "resources", "codegen", "projections", "keys", "registry-projections", "run" })
        {
            Assert.Matches($@"(?m)^\s+{command}\s", help.Out);
        }
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var conn = new NpgsqlConnection(_database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
}
