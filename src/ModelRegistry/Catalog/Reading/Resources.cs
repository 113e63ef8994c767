using System.Collections.Immutable;
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
    string SourceUri,
    int? DuplicateOf);

/// <summary>
/// A model with the newest of its versions, newest first; <see cref="VersionsNextCursor"/> pages on through
/// <c>GET /api/v1/models/{name}/versions?cursor=</c> when there are more.
/// </summary>
internal sealed record ModelResource(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string> Tags,
    string? Owner,
    bool Locked,
    string? LockReason,
    int? ProductionVersion,
    int? LatestVersion,
    long StreamVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<VersionResource> Versions,
    string? VersionsNextCursor);

/// <summary>A model as listed: everything but its versions.</summary>
internal sealed record ModelSummaryResource(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, string> Tags,
    string? Owner,
    bool Locked,
    int? ProductionVersion,
    int? LatestVersion,
    long StreamVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

internal sealed record ProductionPointerResource(
    string Name, int Version, string? LocalPath, string? Sha256, long? SizeBytes, DateTimeOffset PromotedAt, string? PromotedBy);

internal sealed record HistoryItem(
    long Position,
    Guid Id,
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

internal sealed record StorageResource(long TotalBytes, long Files, IReadOnlyList<ModelStorage> Models, IReadOnlyList<SourceTypeStorage> SourceTypes);

internal sealed record ModelStorage(string Name, long Bytes, long Files);

internal sealed record SourceTypeStorage(string SourceType, long Bytes, long Files);

/// <summary>Rows to resources: the one mapping both the tables and the as_of folds go through.</summary>
internal static class CatalogResources
{
    public static VersionResource Version(string modelName, VersionRow v)
    {
        var sourceType = Lower(v.Source.Type);
        var m = v.Metadata;
        return new VersionResource(
            modelName, v.Version, Lower(v.Stage), Lower(v.Status),
            new SourceResource(sourceType, v.Source.Uri, v.Source.Revision, v.Source.File),
            v.LocalPath, v.SizeBytes, v.Sha256, Lower(v.Format),
            new MetadataResource(m.Description, Sorted(m.Metrics), m.Architecture, m.Quantization, m.ContextLength, Sorted(m.Tags)),
            v.CreatedAt, v.CreatedBy, v.DownloadedAt, sourceType, v.Source.Uri, v.DuplicateOf);
    }

    public static ModelResource Model(ModelRow m, IEnumerable<VersionRow> versions, string? versionsNextCursor) => new(
        m.Name, m.Description, m.Tags, m.Owner, m.Locked, m.LockReason, m.ProductionVersion, Latest(m), m.StreamVersion,
        m.CreatedAt, m.UpdatedAt, versions.Select(v => Version(m.Name, v)).ToList(), versionsNextCursor);

    public static ModelSummaryResource Summary(ModelRow m) => new(
        m.Name, m.Description, m.Tags, m.Owner, m.Locked, m.ProductionVersion, Latest(m), m.StreamVersion, m.CreatedAt, m.UpdatedAt);

    public static ProductionPointerResource? Pointer(ModelRow m, VersionRow? production) =>
        m is { ProductionVersion: { } version, PromotedAt: { } at }
            ? new ProductionPointerResource(m.Name, version, production?.LocalPath, production?.Sha256, production?.SizeBytes, at, m.PromotedBy)
            : null;

    public static string Lower<T>(T value) where T : struct, Enum => LowerNames<T>.ByValue[value];

    public static T Parse<T>(string value) where T : struct, Enum => LowerNames<T>.ByName[value];

    private static int? Latest(ModelRow m) => m.LatestVersion == 0 ? null : m.LatestVersion;

    private static ImmutableSortedDictionary<string, TValue> Sorted<TValue>(IReadOnlyDictionary<string, TValue> values) =>
        values as ImmutableSortedDictionary<string, TValue>
        ?? (values.Count == 0 ? Empty<TValue>.Value : values.ToImmutableSortedDictionary(StringComparer.Ordinal));

    private static class Empty<TValue>
    {
        public static readonly ImmutableSortedDictionary<string, TValue> Value = ImmutableSortedDictionary.Create<string, TValue>(StringComparer.Ordinal);
    }

    private static class LowerNames<T> where T : struct, Enum
    {
        public static readonly IReadOnlyDictionary<T, string> ByValue =
            Enum.GetValues<T>().ToDictionary(v => v, v => v.ToString().ToLowerInvariant());

        public static readonly IReadOnlyDictionary<string, T> ByName =
            Enum.GetValues<T>().ToDictionary(v => v.ToString().ToLowerInvariant(), v => v, StringComparer.OrdinalIgnoreCase);
    }
}
