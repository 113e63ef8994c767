using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Endpoints.Secrets.EndpointSecretsTests;

namespace ModelRegistry.IntegrationTests.Common;

/// <summary>Data Protection's key ring in PostgreSQL, each test on a database of its own, so each starts with an empty ring.</summary>
public sealed class DataProtectionKeyRingTests : IAsyncLifetime
{
    private const string CertificatePassword = "key-ring-test";

    private readonly TestDatabase _database = new();
    private readonly string _scratch = Directory.CreateTempSubdirectory("mr-key-ring-").FullName;

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task The_key_ring_is_one_table_in_the_database_and_a_restarted_instance_reveals_what_the_one_before_stored()
    {
        var endpoint = NewEndpointId();
        var apiKey = NewApiKey();
        var app = await StartAsync();
        try
        {
            await SetAsync(app, endpoint, apiKey);
            app = await app.RestartAsync();

            Assert.Equal(apiKey, await RevealAsync(app, endpoint));
        }
        finally
        {
            await app.DisposeAsync();
        }

        var keys = await StoredKeysAsync();
        Assert.Single(keys);
        Assert.Contains("<masterKey", keys[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_certificate_the_stored_keys_are_encrypted_and_a_restarted_instance_still_reveals_what_was_stored()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Registry:DataProtection:CertificatePath"] = WriteCertificate(),
            ["Registry:DataProtection:CertificatePassword"] = CertificatePassword,
        };
        var endpoint = NewEndpointId();
        var apiKey = NewApiKey();
        var app = await StartAsync(settings);
        try
        {
            await SetAsync(app, endpoint, apiKey);
            app = await app.RestartAsync();

            Assert.Equal(apiKey, await RevealAsync(app, endpoint));
        }
        finally
        {
            await app.DisposeAsync();
        }

        var key = Assert.Single(await StoredKeysAsync());
        Assert.DoesNotContain("<masterKey", key, StringComparison.Ordinal);
        Assert.Contains("<encryptedSecret", key, StringComparison.Ordinal);
        Assert.Contains("<EncryptedData", key, StringComparison.Ordinal);
    }

    private Task<RegistryApp> StartAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        RegistryApp.StartAsync(_database.ConnectionString, Path.Combine(_scratch, "models"), settings);

    /// <summary>A self-signed certificate with its private key, as a password-protected .pfx in the test's scratch directory.</summary>
    private string WriteCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=ModelRegistry key ring test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(_scratch, "key-ring.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, CertificatePassword));
        return path;
    }

    private async Task<IReadOnlyList<string>> StoredKeysAsync()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT data->>'xml' FROM registry.mt_doc_data_protection_key", connection);
        await using var reader = await cmd.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
