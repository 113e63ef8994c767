using System.Text.Json;

namespace ModelRegistry.Cli.Api;

// The client's view of the resources of SPEC §5: only the fields it shows. Unknown fields are ignored, so a newer
// server does not break an older client.

internal sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

internal sealed record ModelSummary(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string>? Tags,
    bool Locked,
    int? ProductionVersion,
    int? LatestVersion,
    DateTimeOffset UpdatedAt);

internal sealed record Model(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string>? Tags,
    string? Owner,
    bool Locked,
    string? LockReason,
    int? ProductionVersion,
    int? LatestVersion,
    long StreamVersion,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<ModelVersion> Versions,
    string? VersionsNextCursor);

internal sealed record Source(string Type, string Uri, string? Revision, string? File);

internal sealed record ModelVersion(
    string Name,
    int Version,
    string Stage,
    string Status,
    Source Source,
    string? LocalPath,
    long? SizeBytes,
    string? Sha256,
    string? Format,
    DateTimeOffset CreatedAt,
    string? CreatedBy);

/// <summary>An event of a model's history, or of the audit (which names the <see cref="Stream"/>).</summary>
internal sealed record HistoryItem(
    long Position,
    string? Stream,
    long StreamVersion,
    string Type,
    DateTimeOffset Timestamp,
    string? Actor,
    string? Reason,
    JsonElement Data);

/// <summary>The production pointer as the watch stream sends it: <see cref="Version"/> is null when nothing is in production.</summary>
internal sealed record ProductionPointer(string Name, int? Version, string? LocalPath, string? Sha256, long? SizeBytes,
    DateTimeOffset? PromotedAt, string? PromotedBy);

internal sealed record Download(
    Guid Id,
    string Model,
    int Version,
    string State,
    long BytesDone,
    long? BytesTotal,
    double BytesPerSecond,
    int Attempts,
    int MaxAttempts,
    string? LastError,
    DateTimeOffset? CreatedAt = null,
    DateTimeOffset? FinishedAt = null)
{
    public bool IsFinished => State is "succeeded" or "failed" or "cancelled";
}

/// <summary>An RFC 9457 problem as the registry answers every error.</summary>
internal sealed record Problem(string? Type, string? Title, int? Status, string? Detail, IReadOnlyDictionary<string, string[]>? Errors);

internal sealed record ScannedVersion(string Name, int Version, string LocalPath, long SizeBytes, string? Sha256, string? Format);

internal sealed record SkippedFile(string Path, string Reason);

internal sealed record ScanReport(IReadOnlyList<ScannedVersion> Registered, int Known, int Skipped, IReadOnlyList<SkippedFile>? SkippedFiles, int Ignored);

internal sealed record ApiKey(string Name, string Role, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? RevokedAt);

internal sealed record KeyList(IReadOnlyList<ApiKey> Items);

/// <summary>A new key: <see cref="Key"/> is its secret, shown in this answer only.</summary>
internal sealed record CreatedKey(string Name, string Role, string Key, DateTimeOffset CreatedAt);

/// <summary>A serving endpoint (Ollama, an OpenAI-compatible server, another); <see cref="ApiKey"/> is a mask, never the key.</summary>
internal sealed record ServingEndpoint(
    string Id,
    string Name,
    string BaseUrl,
    string? ApiKey,
    bool IsActive,
    string EndpointType,
    string? ModelsPath,
    string? Owner,
    string HealthStatus,
    DateTimeOffset? LastHealthCheck,
    int? ResponseTimeMs,
    string? HealthError,
    IReadOnlyList<string>? AvailableModels,
    DateTimeOffset? LastModelDiscovery,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A check of an endpoint; <see cref="AvailableModels"/> counts the models it lists.</summary>
internal sealed record EndpointHealth(string Status, int? ResponseTimeMs, string? ErrorMessage, DateTimeOffset? LastChecked, int AvailableModels);

internal sealed record SourceBody(string Type, string Uri, string? Revision, string? File);

internal sealed record RegisterVersionBody(int? Version, SourceBody Source, string? Sha256, string? Format);

internal sealed record UpdateModelBody(string? Description, IReadOnlyDictionary<string, string>? Tags);

internal sealed record CreateKeyBody(string Name, string Role);

internal sealed record PromoteBody(string Stage, string? Reason);

internal sealed record ReasonBody(string? Reason);

internal sealed record EndpointBody(string Name, string BaseUrl, string? ApiKey, string? EndpointType, string? ModelsPath, bool? IsActive);

internal sealed record DownloadBody(string ModelRef, string? Name, string? Sha256);
