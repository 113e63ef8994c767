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
        await db.ExecuteAsync($"CREATE DATABASE {db.Name}", ct);
        return db;
    }

    public async ValueTask DisposeAsync() => await ExecuteAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", CancellationToken.None);

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        var admin = new NpgsqlConnectionStringBuilder(_server) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
