using System.Text;
using System.Text.Json;
using Alba;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Endpoints;

internal static class EndpointScenarios
{
    public const string Seed = "/api/local-models";
    public const string V1 = "/api/v1/endpoints";

    private static readonly JsonSerializerOptions Camel = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>A JSON body as the seed's clients write it: camelCase members.</summary>
    public static SendExpression CamelJson(this IUrlExpression url, object body) =>
        url.Bytes(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Camel), "application/json");

    /// <summary>Adds an endpoint through v1 with <paramref name="key"/> (the bootstrap admin's when null) and returns it.</summary>
    public static async Task<JsonElement> AddEndpointAsync(this RegistryApp app, object body, string? key = null)
    {
        var created = await app.Scenario(s =>
        {
            s.Post.SnakeJson(body).ToUrl(V1);
            if (key is not null)
            {
                s.WithBearerToken(key);
            }

            s.StatusCodeShouldBe(201);
        });
        return created.Json;
    }

    /// <summary>Every row of every table in the database, as text: what someone with a copy of the database could read.</summary>
    public static async Task<string> DumpDatabaseAsync(string connectionString)
    {
        await using var conn = new Npgsql.NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = new Npgsql.NpgsqlCommand(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables " +
            "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var cmd = new Npgsql.NpgsqlCommand($"SELECT t::text FROM {table} t", conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                dump.Append(table).Append(' ').AppendLine(reader.GetString(0));
            }
        }

        return dump.ToString();
    }
}
