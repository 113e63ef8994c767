using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelRegistry.Endpoints;

/// <summary>What serves the models: Ollama (<c>/api/tags</c>), an OpenAI-compatible server (<c>/v1/models</c>), or another with a configured models path.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EndpointType>))]
public enum EndpointType
{
    [JsonStringEnumMemberName("ollama")]
    Ollama,

    [JsonStringEnumMemberName("openai-compatible")]
    OpenAiCompatible,

    [JsonStringEnumMemberName("custom")]
    Custom,
}

[JsonConverter(typeof(JsonStringEnumConverter<HealthStatus>))]
public enum HealthStatus
{
    [JsonStringEnumMemberName("unknown")]
    Unknown,

    [JsonStringEnumMemberName("healthy")]
    Healthy,

    [JsonStringEnumMemberName("unhealthy")]
    Unhealthy,
}

/// <summary>A model an endpoint reports it serves; <c>Digest</c> is a lower-case sha256 hex when the endpoint gives one.</summary>
public sealed record DiscoveredModel(
    string Name,
    long? SizeBytes = null,
    string? Digest = null,
    DateTimeOffset? ModifiedAt = null,
    IReadOnlyDictionary<string, string>? Details = null);

/// <summary>What one check of an endpoint found: its health, how long it took, why it failed, and the models it lists (null when it failed).</summary>
public sealed record ProbeResult(HealthStatus Status, int ResponseTimeMs, string? Error, IReadOnlyList<DiscoveredModel>? Models);

internal static class EndpointTypeNames
{
    public static string Of(EndpointType type) => JsonSerializer.Serialize(type).Trim('"');
}
