using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Commands;

namespace ModelRegistry.Catalog;

internal sealed record ModelRegistered(string Name, string? Description, IReadOnlyDictionary<string, string> Tags, string? Owner);

internal sealed record ModelUpdated(string? Description, IReadOnlyDictionary<string, string>? Tags);

internal sealed record VersionRegistered(
    int Version,
    VersionSource Source,
    string? Sha256,
    ModelFormat Format,
    VersionMetadata Metadata,
    ArtifactStatus Status,
    string? LocalPath,
    long? SizeBytes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? DuplicateOf = null);

internal sealed record VersionDownloadStarted(int Version, Guid JobId);

internal sealed record VersionDownloaded(
    int Version,
    string LocalPath,
    long SizeBytes,
    string Sha256,
    DateTimeOffset DownloadedAt,
    string? ResolvedUri,
    string? ResolvedRevision,
    string? Etag,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? DuplicateOf = null);

internal sealed record VersionDownloadFailed(int Version, string Reason);

internal sealed record VersionPromoted(int Version, Stage Stage, int? PreviousVersion, bool Rollback);

internal sealed record VersionDemoted(int Version, Stage From, Stage To);

internal sealed record VersionArchived(int Version);

internal sealed record VersionRestored(int Version);

internal sealed record ModelLocked(string Reason);

internal sealed record ModelUnlocked(string Reason);

internal sealed record ArtifactVerified(int Version, string Sha256);

internal sealed record ArtifactMissing(int Version);

/// <summary>The file changed; <c>ActualSha256</c> is null when what is there was not read to its end (a link out of the root, a device, a longer file).</summary>
internal sealed record ArtifactCorrupted(int Version, string ExpectedSha256, string? ActualSha256);

internal sealed record VersionSource(SourceType Type, string Uri, string? Revision, string? File);

internal sealed record VersionMetadata(
    string? Description,
    IReadOnlyDictionary<string, double> Metrics,
    string? Architecture,
    string? Quantization,
    int? ContextLength,
    IReadOnlyDictionary<string, string> Tags)
{
    public static VersionMetadata Empty { get; } =
        new(null, ImmutableDictionary<string, double>.Empty, null, null, null, ImmutableDictionary<string, string>.Empty);
}

[JsonConverter(typeof(LowerCaseEnum<SourceType>))]
internal enum SourceType { Huggingface, Url, Local }

[JsonConverter(typeof(LowerCaseEnum<ArtifactStatus>))]
internal enum ArtifactStatus { Pending, Downloading, Ready, Failed, Missing, Corrupted }

[JsonConverter(typeof(LowerCaseEnum<Stage>))]
internal enum Stage { Staging, Production, Archived }

[JsonConverter(typeof(LowerCaseEnum<ModelFormat>))]
internal enum ModelFormat { Gguf, Onnx, Safetensors, Pt, Bin, Other }

internal sealed class LowerCaseEnum<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where T : struct, Enum;

internal sealed record VersionState(
    int Version,
    Stage Stage,
    ArtifactStatus Status,
    VersionSource Source,
    string? Sha256,
    ModelFormat Format,
    VersionMetadata Metadata,
    string? LocalPath,
    long? SizeBytes,
    DateTimeOffset? DownloadedAt,
    Guid? DownloadJobId,
    int? DuplicateOf);

internal sealed record ModelState(
    bool Exists,
    string Name,
    string? Description,
    ImmutableSortedDictionary<string, string> Tags,
    string? Owner,
    bool Locked,
    string? LockReason,
    ImmutableSortedDictionary<int, VersionState> Versions,
    int LatestVersion,
    int? ProductionVersion,
    ImmutableStack<int> ProductionLineage)
{
    public static ModelState Initial { get; } = new(
        false, "", null, ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal), null, false, null,
        ImmutableSortedDictionary<int, VersionState>.Empty, 0, null, ImmutableStack<int>.Empty);

    public ModelState RequireExisting(string name) => Exists ? this : throw CatalogErrors.ModelNotFound(name);

    public ModelState RequireMutable(string name) =>
        RequireExisting(name).Locked ? throw CatalogErrors.ModelLocked(Name, LockReason) : this;

    public VersionState RequireVersion(int version) =>
        Versions.TryGetValue(version, out var v) ? v : throw CatalogErrors.VersionNotFound(Name, version);

    /// <summary>
    /// The lowest-numbered version other than <paramref name="except"/> whose file has (or, downloading, is to have) this SHA-256;
    /// a failed download has no content. Null when none has.
    /// </summary>
    public int? VersionWithContent(string? sha256, int except = 0) =>
        sha256 is null ? null : Versions.Values.FirstOrDefault(v => v.Version != except && v.Sha256 == sha256 && v.Status != ArtifactStatus.Failed)?.Version;

    public int? PreviousProductionVersion =>
        ProductionVersion is not null && !ProductionLineage.IsEmpty && ProductionLineage.Pop() is { IsEmpty: false } earlier
            ? earlier.Peek()
            : null;

    public static ModelState Evolve(ModelState state, object @event) => @event switch
    {
        ModelRegistered e => state with
        {
            Exists = true,
            Name = e.Name,
            Description = e.Description,
            Tags = e.Tags.ToImmutableSortedDictionary(StringComparer.Ordinal),
            Owner = e.Owner,
        },
        ModelUpdated e => state with
        {
            Description = e.Description ?? state.Description,
            Tags = e.Tags?.ToImmutableSortedDictionary(StringComparer.Ordinal) ?? state.Tags,
        },
        VersionRegistered e => state with
        {
            Versions = state.Versions.SetItem(e.Version, new VersionState(
                e.Version, Stage.Staging, e.Status, e.Source, e.Sha256, e.Format, e.Metadata, e.LocalPath, e.SizeBytes, null, null, e.DuplicateOf)),
            LatestVersion = Math.Max(state.LatestVersion, e.Version),
        },
        VersionDownloadStarted e => state.WithVersion(e.Version, v => v with { Status = ArtifactStatus.Downloading, DownloadJobId = e.JobId }),
        VersionDownloaded e => state.WithVersion(e.Version, v => v with
        {
            Status = ArtifactStatus.Ready,
            LocalPath = e.LocalPath,
            SizeBytes = e.SizeBytes,
            Sha256 = e.Sha256,
            DownloadedAt = e.DownloadedAt,
            DuplicateOf = v.DuplicateOf ?? e.DuplicateOf,
        }),
        VersionDownloadFailed e => state.WithVersion(e.Version, v => v with { Status = ArtifactStatus.Failed }),
        VersionPromoted { Stage: Stage.Production } e => state.WithVersion(e.Version, v => v with { Stage = Stage.Production }) with
        {
            ProductionVersion = e.Version,
            ProductionLineage = Lineage(state.ProductionLineage, e),
        },
        VersionPromoted e => state.WithStage(e.Version, e.Stage),
        VersionDemoted e => state.WithStage(e.Version, e.To),
        VersionArchived e => state.WithStage(e.Version, Stage.Archived),
        VersionRestored e => state.WithStage(e.Version, Stage.Staging),
        ModelLocked e => state with { Locked = true, LockReason = e.Reason },
        ModelUnlocked => state with { Locked = false, LockReason = null },
        ArtifactVerified e => state.WithVersion(e.Version, v => v with { Status = ArtifactStatus.Ready, Sha256 = e.Sha256 }),
        ArtifactMissing e => state.WithVersion(e.Version, v => v with { Status = ArtifactStatus.Missing }),
        ArtifactCorrupted e => state.WithVersion(e.Version, v => v with { Status = ArtifactStatus.Corrupted }),
        _ => state,
    };

    private static ImmutableStack<int> Lineage(ImmutableStack<int> lineage, VersionPromoted promoted)
    {
        var walkedBack = promoted.Rollback && !lineage.IsEmpty ? lineage.Pop() : lineage;
        return !walkedBack.IsEmpty && walkedBack.Peek() == promoted.Version ? walkedBack : walkedBack.Push(promoted.Version);
    }

    private ModelState WithVersion(int version, Func<VersionState, VersionState> change) =>
        Versions.TryGetValue(version, out var v) ? this with { Versions = Versions.SetItem(version, change(v)) } : this;

    private ModelState WithStage(int version, Stage stage) =>
        WithVersion(version, v => v with { Stage = stage }) with
        {
            ProductionVersion = ProductionVersion == version && stage != Stage.Production ? null : ProductionVersion,
        };
}

internal static class CatalogStream
{
    public static StreamDefinition<ModelState> Definition { get; } = new("model", ModelState.Initial, ModelState.Evolve);

    public static string StreamId(string name) => name.ToLowerInvariant();

    /// <summary>The stream's events under their stored names (SPEC §3); every one is at schema version 1.</summary>
    public static IReadOnlyList<(Type Type, string Name)> EventTypes { get; } =
    [
        (typeof(ModelRegistered), "ModelRegistered"),
        (typeof(ModelUpdated), "ModelUpdated"),
        (typeof(VersionRegistered), "VersionRegistered"),
        (typeof(VersionDownloadStarted), "VersionDownloadStarted"),
        (typeof(VersionDownloaded), "VersionDownloaded"),
        (typeof(VersionDownloadFailed), "VersionDownloadFailed"),
        (typeof(VersionPromoted), "VersionPromoted"),
        (typeof(VersionDemoted), "VersionDemoted"),
        (typeof(VersionArchived), "VersionArchived"),
        (typeof(VersionRestored), "VersionRestored"),
        (typeof(ModelLocked), "ModelLocked"),
        (typeof(ModelUnlocked), "ModelUnlocked"),
        (typeof(ArtifactVerified), "ArtifactVerified"),
        (typeof(ArtifactMissing), "ArtifactMissing"),
        (typeof(ArtifactCorrupted), "ArtifactCorrupted"),
    ];

    public static void Register(EventTypeRegistry registry)
    {
        foreach (var (type, name) in EventTypes)
        {
            registry.Register(type, name, 1);
        }
    }

    public static void Map(Marten.Events.IEventStoreOptions events)
    {
        foreach (var (type, name) in EventTypes)
        {
            events.MapEventType(type, name);
        }
    }
}
