using Npgsql;

namespace ModelRegistry.IntegrationTests.Admin;

/// <summary>Plain SQL on a database loaded from the previous version's fixture, for the legacy tests.</summary>
internal static class LegacyDatabase
{
    public static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Admin", "Fixtures", "legacy-v1.sql");

    public static async Task ExecuteAsync(this NpgsqlDataSource source, string sql)
    {
        await using var cmd = source.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(this NpgsqlDataSource source, string sql)
    {
        await using var cmd = source.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
