using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Endpoints.Secrets;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Endpoints.Secrets;

public sealed class EndpointSecretsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task A_key_set_in_the_callers_session_is_revealed_by_a_new_session()
    {
        var endpoint = NewEndpointId();
        var apiKey = NewApiKey();

        await SetAsync(App, endpoint, apiKey);

        Assert.Equal(apiKey, await RevealAsync(App, endpoint));
    }

    [Fact]
    public async Task A_key_is_stored_only_when_the_callers_session_is_saved()
    {
        var endpoint = NewEndpointId();

        await using (var session = App.Store.LightweightSession())
        {
            Secrets(App).Set(session, endpoint, NewApiKey());
        }

        Assert.Null(await RevealAsync(App, endpoint));
        Assert.Equal(0, await RowsAsync(endpoint));
    }

    [Fact]
    public async Task Setting_a_key_again_replaces_the_one_before()
    {
        var endpoint = NewEndpointId();
        var replacement = NewApiKey();

        await SetAsync(App, endpoint, NewApiKey());
        await SetAsync(App, endpoint, replacement);

        Assert.Equal(replacement, await RevealAsync(App, endpoint));
        Assert.Equal(1, await RowsAsync(endpoint));
    }

    [Fact]
    public async Task An_endpoint_without_a_key_reveals_none_and_has_no_hint()
    {
        var endpoint = NewEndpointId();

        Assert.Null(await RevealAsync(App, endpoint));
        Assert.Empty(await HintsAsync(App, endpoint));
    }

    [Fact]
    public async Task The_key_is_in_no_table_of_the_database_and_in_no_log_in_plain_text_base64_or_hex()
    {
        var endpoint = NewEndpointId();
        var apiKey = NewApiKey();
        await SetAsync(App, endpoint, apiKey);
        await HintsAsync(App, endpoint);
        Assert.Equal(apiKey, await RevealAsync(App, endpoint));

        var rows = await EveryRowAsTextAsync();
        var logs = string.Join('\n', App.Logs.Select(l => l.ToString()));

        Assert.Contains(rows, r => r.Table == "registry.mt_doc_endpoint_secret" && r.Text.Contains(endpoint, StringComparison.Ordinal));
        foreach (var form in FormsOf(apiKey))
        {
            Assert.DoesNotContain(rows, r => r.Text.Contains(form, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(form, logs, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task The_hint_shows_the_last_four_characters_of_a_key_of_twelve_or_more_and_nothing_of_a_shorter_one()
    {
        var (longer, shorter) = (NewEndpointId(), NewEndpointId());
        await SetAsync(App, longer, "sk-abcd-1a2b");
        await SetAsync(App, shorter, "sk-abc-1a2b");

        var hints = await HintsAsync(App, longer, shorter, NewEndpointId());

        Assert.Equal(2, hints.Count);
        Assert.Equal("••••1a2b", hints[longer]);
        Assert.Equal("••••", hints[shorter]);
        Assert.Equal("••••1a2b", await StoredHintAsync(longer));
        Assert.Equal("••••", await StoredHintAsync(shorter));
    }

    [Fact]
    public async Task Erasing_a_key_deletes_its_row_when_the_callers_session_is_saved()
    {
        var endpoint = NewEndpointId();
        await SetAsync(App, endpoint, NewApiKey());

        await using (var session = App.Store.LightweightSession())
        {
            Secrets(App).Erase(session, endpoint);
            Assert.Equal(1, await RowsAsync(endpoint));
            await session.SaveChangesAsync();
        }

        Assert.Equal(0, await RowsAsync(endpoint));
        Assert.Null(await RevealAsync(App, endpoint));
        Assert.Empty(await HintsAsync(App, endpoint));
    }

    [Fact]
    public async Task A_ciphertext_copied_into_another_endpoints_row_does_not_decrypt_there()
    {
        var (victim, other) = (NewEndpointId(), NewEndpointId());
        await SetAsync(App, victim, NewApiKey());
        await SetAsync(App, other, NewApiKey());

        await ExecuteAsync("""
            UPDATE registry.mt_doc_endpoint_secret
            SET data = jsonb_set(data, '{ciphertext}', (SELECT data->'ciphertext' FROM registry.mt_doc_endpoint_secret WHERE id = @victim))
            WHERE id = @other
            """, ("victim", victim), ("other", other));

        var refused = await Assert.ThrowsAsync<CryptographicException>(() => RevealAsync(App, other));
        Assert.Contains(other, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_instance_on_the_same_database_reveals_a_key_this_one_stored_and_the_other_way_round()
    {
        var (here, there) = (NewEndpointId(), NewEndpointId());
        var (hereKey, thereKey) = (NewApiKey(), NewApiKey());
        await SetAsync(App, here, hereKey);
        await using var other = await fixture.StartAsync();

        await SetAsync(other, there, thereKey);

        Assert.Equal(hereKey, await RevealAsync(other, here));
        Assert.Equal(thereKey, await RevealAsync(App, there));
    }

    internal static EndpointSecrets Secrets(RegistryApp app) => app.Services.GetRequiredService<EndpointSecrets>();

    internal static async Task SetAsync(RegistryApp app, string endpoint, string apiKey)
    {
        await using var session = app.Store.LightweightSession();
        Secrets(app).Set(session, endpoint, apiKey);
        await session.SaveChangesAsync();
    }

    internal static async Task<string?> RevealAsync(RegistryApp app, string endpoint)
    {
        await using var session = app.Store.QuerySession();
        return await Secrets(app).RevealAsync(session, endpoint, CancellationToken.None);
    }

    internal static string NewEndpointId() => $"ep-{Guid.NewGuid():N}";

    internal static string NewApiKey() => $"sk-{Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant()}";

    private static async Task<IReadOnlyDictionary<string, string>> HintsAsync(RegistryApp app, params string[] endpoints)
    {
        await using var session = app.Store.QuerySession();
        return await Secrets(app).HintsAsync(session, endpoints, CancellationToken.None);
    }

    /// <summary>
    /// The key as it could sit in a row: as text, as the hex of its UTF-8 bytes (how bytea prints), and as base64 (and base64url) at
    /// each of the three alignments it could have inside longer data, without the characters its neighbours would change.
    /// </summary>
    private static IEnumerable<string> FormsOf(string apiKey)
    {
        var utf8 = Encoding.UTF8.GetBytes(apiKey);
        yield return apiKey;
        yield return Convert.ToHexString(utf8);
        for (var offset = 0; offset < 3; offset++)
        {
            var base64 = Convert.ToBase64String([.. new byte[offset], .. utf8, .. new byte[3]])[4..^8];
            yield return base64;
            yield return base64.Replace('+', '-').Replace('/', '_');
        }
    }

    /// <summary>Every row of every table in every schema of the test database, as PostgreSQL prints the row.</summary>
    private async Task<IReadOnlyList<(string Table, string Text)>> EveryRowAsTextAsync()
    {
        await using var connection = await OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("""
            SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
            """, connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("registry.mt_doc_data_protection_key", tables);
        var rows = new List<(string, string)>();
        foreach (var table in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT t::text FROM {table} t", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((table, reader.GetString(0)));
            }
        }

        return rows;
    }

    private async Task<long> RowsAsync(string endpoint)
    {
        await using var connection = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM registry.mt_doc_endpoint_secret WHERE id = @id", connection);
        cmd.Parameters.AddWithValue("id", endpoint);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<string> StoredHintAsync(string endpoint)
    {
        await using var connection = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT data->>'hint' FROM registry.mt_doc_endpoint_secret WHERE id = @id", connection);
        cmd.Parameters.AddWithValue("id", endpoint);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string sql, params (string Name, string Value)[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
