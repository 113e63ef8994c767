using Npgsql;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh database on the real PostgreSQL server for one test class, dropped afterwards, so classes
/// run in parallel without seeing each other. The server comes from ConnectionStrings__Registry,
/// which `make test` sets.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private static readonly string ServerConnectionString =
        Environment.GetEnvironmentVariable("ConnectionStrings__Registry")
        ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=modelregistry";

    public string Name { get; } = $"mr_test_{Guid.NewGuid():N}"[..30];

    public string ConnectionString => new NpgsqlConnectionStringBuilder(ServerConnectionString)
    {
        Database = Name,
        MaxPoolSize = 40,
    }.ConnectionString;

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public async Task InitializeAsync()
    {
        await using var conn = new NpgsqlConnection(Admin());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{Name}\"", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(Admin());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static string Admin() => new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
}
