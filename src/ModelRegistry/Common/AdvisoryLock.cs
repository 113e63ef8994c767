using Npgsql;

namespace ModelRegistry.Common;

/// <summary>
/// A PostgreSQL session advisory lock named by a string, held on a connection of its own until disposed, so work that
/// spans many transactions (a scan, a periodic check) runs on one app instance at a time.
/// </summary>
internal sealed class AdvisoryLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly string _name;

    private AdvisoryLock(NpgsqlConnection connection, string name)
    {
        _connection = connection;
        _name = name;
    }

    /// <summary>Takes the lock, waiting for it when <paramref name="wait"/>; otherwise null when another session holds it.</summary>
    public static async Task<AdvisoryLock?> TakeAsync(NpgsqlDataSource dataSource, string name, bool wait, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = Command(connection, wait ? "SELECT pg_advisory_lock(hashtextextended($1, 0))::text" : "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name);
            var taken = await cmd.ExecuteScalarAsync(ct);
            if (wait || taken is true)
            {
                return new AdvisoryLock(connection, name);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        // A pooled connection keeps its session when it is closed, so the lock is given back explicitly.
        try
        {
            await using var cmd = Command(_connection, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", _name);
            await cmd.ExecuteScalarAsync(CancellationToken.None);
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, string name) =>
        new(sql, connection) { Parameters = { new NpgsqlParameter<string> { TypedValue = name } } };
}
