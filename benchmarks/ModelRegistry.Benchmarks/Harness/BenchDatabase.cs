using Npgsql;

namespace ModelRegistry.Benchmarks.Harness;

/// <summary>A database of its own on the benchmark server, dropped afterwards even when the scenario fails.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _server;

    private BenchDatabase(string server, string name)
    {
        _server = server;
        Name = name;
    }

    public string Name { get; }

    public string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = Name }.ConnectionString;

    public static async Task<BenchDatabase> CreateAsync(string server, CancellationToken ct)
    {
        var db = new BenchDatabase(server, $"mr_bench_{Guid.NewGuid():N}"[..21]);
        await ExecuteAsync(server, $"CREATE DATABASE {db.Name}", ct);
        return db;
    }

    public async ValueTask DisposeAsync() => await ExecuteAsync(_server, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", CancellationToken.None);

    public static async Task<string> ServerVersionAsync(string server, CancellationToken ct) =>
        (string)(await ExecuteAsync(server, "SHOW server_version", ct))!;

    private static async Task<object?> ExecuteAsync(string server, string sql, CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return await cmd.ExecuteScalarAsync(ct);
    }
}
