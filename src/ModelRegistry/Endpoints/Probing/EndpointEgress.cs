namespace ModelRegistry.Endpoints.Probing;

// Placeholder of the endpoints' egress policy.
public sealed class EndpointEgress
{
    public string? CheckUrl(string baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? null : "A base URL is an http or https URL.";
}
