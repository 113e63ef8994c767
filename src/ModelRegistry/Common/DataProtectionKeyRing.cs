using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace ModelRegistry.Common;

/// <summary>
/// <c>Registry:DataProtection</c>: an optional certificate (a PKCS#12 file) that encrypts the Data Protection keys where they are
/// stored; without one the keys are stored as Data Protection writes them, readable by whoever can read the database.
/// </summary>
internal sealed class KeyRingOptions
{
    public const string Section = "Registry:DataProtection";

    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }
}

/// <summary>One element of ASP.NET Core Data Protection's key ring (a key or a revocation), as the XML it writes.</summary>
internal sealed class DataProtectionKey
{
    public string Id { get; set; } = "";

    public string Xml { get; set; } = "";
}

/// <summary>
/// Data Protection's key ring in Marten's table of <see cref="DataProtectionKey"/> documents, so every instance on the database
/// shares one ring and it outlives any of them.
/// </summary>
internal sealed class MartenKeyRingRepository(IDocumentStore store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => RunOffContext(async () =>
    {
        await using var session = store.QuerySession();
        var keys = await session.Query<DataProtectionKey>().ToListAsync();
        return (IReadOnlyCollection<XElement>)keys.Select(k => XElement.Parse(k.Xml)).ToList();
    });

    public void StoreElement(XElement element, string friendlyName) => RunOffContext(async () =>
    {
        await using var session = store.LightweightSession();
        // Insert, never upsert: a second element under a name already taken fails rather than replacing a key that may have
        // protected data.
        session.Insert(new DataProtectionKey
        {
            Id = string.IsNullOrWhiteSpace(friendlyName) ? Guid.NewGuid().ToString() : friendlyName,
            Xml = element.ToString(SaveOptions.DisableFormatting),
        });
        await session.SaveChangesAsync();
        return true;
    });

    // Data Protection asks synchronously and Marten answers only asynchronously. On the thread pool the wait cannot deadlock on
    // a caller's synchronization context; it happens when the ring is loaded or refreshed (about daily) and when a key is made.
    private static T RunOffContext<T>(Func<Task<T>> work) => Task.Run(work).GetAwaiter().GetResult();
}

internal static class DataProtectionKeyRing
{
    /// <summary>The application name every instance shares, so they derive the same protectors from the same keys.</summary>
    public const string ApplicationName = "ModelRegistry";

    /// <summary>
    /// ASP.NET Core Data Protection for the whole application with its key ring in PostgreSQL (<see cref="MartenKeyRingRepository"/>),
    /// its keys encrypted with the certificate of <c>Registry:DataProtection</c> when one is configured.
    /// </summary>
    public static IServiceCollection AddRegistryDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>() ?? new KeyRingOptions();
        services.ConfigureMarten(o => o.Schema.For<DataProtectionKey>().DocumentAlias("data_protection_key"));
        var dataProtection = services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(
            o => o.XmlRepository = new MartenKeyRingRepository(sp.GetRequiredService<IDocumentStore>())));
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            dataProtection.ProtectKeysWithCertificate(LoadCertificate(options));
        }
        else if (!string.IsNullOrEmpty(options.CertificatePassword))
        {
            throw new InvalidOperationException(
                $"{KeyRingOptions.Section}:CertificatePassword is set without {KeyRingOptions.Section}:CertificatePath.");
        }

        return services;
    }

    private static X509Certificate2 LoadCertificate(KeyRingOptions options)
    {
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath!, options.CertificatePassword,
            X509KeyStorageFlags.EphemeralKeySet);
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException(
                $"The certificate in {KeyRingOptions.Section}:CertificatePath has no private key; the key ring could be written but never read.");
        }

        return certificate;
    }
}
