using System.Globalization;
using System.Security.Cryptography;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using ModelRegistry.Common;

namespace ModelRegistry.Endpoints.Secrets;

/// <summary>
/// An endpoint's API key as stored: encrypted with Data Protection under a purpose bound to <see cref="Id"/> (the endpoint's id),
/// and a <see cref="Hint"/> that is safe to show.
/// </summary>
internal sealed class EndpointSecret
{
    public string Id { get; set; } = "";

    public string Ciphertext { get; set; } = "";

    public string Hint { get; set; } = "";
}

/// <summary>
/// Endpoints' API keys, encrypted at rest. Writes are queued in the caller's session, so a key is stored or erased in the same
/// transaction as the endpoint's events; the key itself is never in an event, a log or an answer, only its <see cref="HintOf"/>.
/// </summary>
public sealed class EndpointSecrets(IDataProtectionProvider dataProtection)
{
    /// <summary>Data Protection's purpose for endpoints' API keys; each endpoint's id is a further purpose below it.</summary>
    public const string Purpose = "ModelRegistry.Endpoints.ApiKey.v1";

    private const string Mask = "••••";

    /// <summary>Keys shorter than this show nothing of themselves in their hint: four characters would be too much of them.</summary>
    private const int ShortestKeyWithVisibleEnd = 12;

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);

    /// <summary>Stores <paramref name="apiKey"/> as the key of endpoint <paramref name="endpointId"/>, replacing any it had, when <paramref name="session"/> is saved.</summary>
    public void Set(IDocumentSession session, string endpointId, string apiKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpointId);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        session.Store(new EndpointSecret
        {
            Id = endpointId,
            Ciphertext = ProtectorFor(endpointId).Protect(apiKey),
            Hint = HintOf(apiKey),
        });
    }

    /// <summary>Deletes the stored key of <paramref name="endpointId"/> (the row, not a mark on it) when <paramref name="session"/> is saved.</summary>
    public void Erase(IDocumentSession session, string endpointId)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpointId);
        session.Delete<EndpointSecret>(endpointId);
    }

    /// <summary>The key of <paramref name="endpointId"/> in plain text, or null when it has none: only for calling the endpoint.</summary>
    /// <exception cref="CryptographicException">The stored key cannot be decrypted: the key ring lost the key it was encrypted with, or the row was copied from another endpoint.</exception>
    public async Task<string?> RevealAsync(IQuerySession session, string endpointId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpointId);
        var secret = await session.LoadAsync<EndpointSecret>(endpointId, ct);
        if (secret is null)
        {
            return null;
        }

        try
        {
            return ProtectorFor(endpointId).Unprotect(secret.Ciphertext);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException(
                $"The API key stored for endpoint '{endpointId}' cannot be decrypted with the Data Protection key ring; set it again.", e);
        }
    }

    /// <summary>The hints of those of <paramref name="endpointIds"/> that have a key, by endpoint id.</summary>
    public async Task<IReadOnlyDictionary<string, string>> HintsAsync(IQuerySession session, IEnumerable<string> endpointIds, CancellationToken ct)
    {
        var ids = endpointIds.Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length == 0)
        {
            return new Dictionary<string, string>();
        }

        var secrets = await session.LoadManyAsync<EndpointSecret>(ct, ids);
        return secrets.ToDictionary(s => s.Id, s => s.Hint, StringComparer.Ordinal);
    }

    /// <summary><c>••••</c> and the key's last four characters, or only <c>••••</c> for a key shorter than twelve.</summary>
    public static string HintOf(string apiKey)
    {
        var characters = StringInfo.ParseCombiningCharacters(apiKey);
        return characters.Length < ShortestKeyWithVisibleEnd ? Mask : Mask + apiKey[characters[^4]..];
    }

    // The endpoint's id is part of the purpose, so a ciphertext copied into another endpoint's row does not decrypt there.
    private IDataProtector ProtectorFor(string endpointId) => _protector.CreateProtector(endpointId);
}

internal static class EndpointSecretsModule
{
    /// <summary>Data Protection with its key ring in PostgreSQL, and the table of endpoints' encrypted API keys.</summary>
    public static IServiceCollection AddEndpointSecrets(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddRegistryDataProtection(configuration);
        services.ConfigureMarten(o => o.Schema.For<EndpointSecret>().DocumentAlias("endpoint_secret"));
        services.AddSingleton<EndpointSecrets>();
        return services;
    }
}
