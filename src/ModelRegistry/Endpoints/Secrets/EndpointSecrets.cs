using Marten;

namespace ModelRegistry.Endpoints.Secrets;

// Placeholder of the encrypted secret store, replaced by the Data Protection one.
public sealed class EndpointSecrets
{
    public void Set(IDocumentSession session, string endpointId, string apiKey) => throw new NotSupportedException();

    public void Erase(IDocumentSession session, string endpointId)
    {
    }

    public Task<string?> RevealAsync(IQuerySession session, string endpointId, CancellationToken ct) => throw new NotSupportedException();

    public Task<IReadOnlyDictionary<string, string>> HintsAsync(IQuerySession session, IEnumerable<string> endpointIds, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
}

internal static class EndpointSecretsModule
{
    public static IServiceCollection AddEndpointSecrets(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton<EndpointSecrets>();
}
