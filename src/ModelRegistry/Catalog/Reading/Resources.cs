using System.Text.Json;

namespace ModelRegistry.Catalog.Reading;

internal sealed record SourceResource(string Type, string Uri, string? Revision, string? File);

internal sealed record MetadataResource(
    string? Description,
    IReadOnlyDictionary<string, double> Metrics,
    string? Architecture,
    string? Quantization,
    int? ContextLength,
    IReadOnlyDictionary<string, string> Tags);

internal sealed record VersionResource(
    string Name,
    int Version,
    string Stage,
    string Status,
    SourceResource Source,
    string? LocalPath,
    long? SizeBytes,
    string? Sha256,
    string Format,
    MetadataResource Metadata,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    DateTimeOffset? DownloadedAt,
    string SourceType,
    string SourceUri);

internal sealed record ModelResource(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string> Tags,
    string? Owner,
    bool Locked,
    int? ProductionVersion,
    int? LatestVersion,
    long StreamVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<VersionResource> Versions);

internal sealed record ProductionPointerResource(
    string Name, int Version, string? LocalPath, string? Sha256, long? SizeBytes, DateTimeOffset PromotedAt, string? PromotedBy);

internal sealed record HistoryItem(
    long Position,
    string Stream,
    long StreamVersion,
    string Type,
    int SchemaVersion,
    DateTimeOffset Timestamp,
    string? Actor,
    string? CorrelationId,
    string? CausationId,
    string? Reason,
    JsonElement Data);

internal sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
