using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten.Events.Aggregation;

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

public sealed record VersionSource(SourceType Type, string Uri, string? Revision, string? File);

public sealed record VersionMetadata(
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
public enum SourceType { Huggingface, Url, Local }

[JsonConverter(typeof(LowerCaseEnum<ArtifactStatus>))]
public enum ArtifactStatus { Pending, Downloading, Ready, Failed, Missing, Corrupted }

[JsonConverter(typeof(LowerCaseEnum<Stage>))]
public enum Stage { Staging, Production, Archived }

[JsonConverter(typeof(LowerCaseEnum<ModelFormat>))]
public enum ModelFormat { Gguf, Onnx, Safetensors, Pt, Bin, Other }

internal sealed class LowerCaseEnum<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where T : struct, Enum;

public sealed record VersionState(
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

/// <summary>
/// What a model's commands decide on: its stream folded by <see cref="CatalogStream.Evolve"/>. Marten keeps it as the snapshot of
/// <see cref="ModelStateProjection"/> keyed by <see cref="Id"/>, the stream key, and caches it between commands.
/// </summary>
public sealed record ModelState(
    string Id,
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
    ImmutableList<int> ProductionLineage)
{
    public static ModelState Initial { get; } = new(
        "", false, "", null, ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal), null, false, null,
        ImmutableSortedDictionary<int, VersionState>.Empty, 0, null, ImmutableList<int>.Empty);

    internal ModelState RequireExisting(string name) => Exists ? this : throw CatalogErrors.ModelNotFound(name);

    internal ModelState RequireMutable(string name) =>
        RequireExisting(name).Locked ? throw CatalogErrors.ModelLocked(Name, LockReason) : this;

    internal VersionState RequireVersion(int version) =>
        Versions.TryGetValue(version, out var v) ? v : throw CatalogErrors.VersionNotFound(Name, version);

    /// <summary>
    /// The lowest-numbered version other than <paramref name="except"/> whose file has (or, downloading, is to have) this SHA-256;
    /// a failed download has no content. Null when none has.
    /// </summary>
    public int? VersionWithContent(string? sha256, int except = 0) =>
        sha256 is null ? null : Versions.Values.FirstOrDefault(v => v.Version != except && v.Sha256 == sha256 && v.Status != ArtifactStatus.Failed)?.Version;

    public int? PreviousProductionVersion =>
        ProductionVersion is not null && ProductionLineage.Count > 1 ? ProductionLineage[^2] : null;

    internal ModelState WithVersion(int version, Func<VersionState, VersionState> change) =>
        Versions.TryGetValue(version, out var v) ? this with { Versions = Versions.SetItem(version, change(v)) } : this;

    internal ModelState WithStage(int version, Stage stage) =>
        WithVersion(version, v => v with { Stage = stage }) with
        {
            ProductionVersion = ProductionVersion == version && stage != Stage.Production ? null : ProductionVersion,
        };
}

/// <summary>
/// <see cref="ModelState"/> as Marten keeps it: an async snapshot of each model's stream, which <c>FetchForWriting</c> takes as
/// its starting point (with the events appended since) when the node's cache of recently written models has none.
/// </summary>
internal sealed class ModelStateProjection : SingleStreamProjection<ModelState, string>
{
    public const string ProjectionName = "model-state";

    public ModelStateProjection()
    {
        Name = ProjectionName;
        // The daemon reads only the events of these types. Without the list it reads every event (an overridden Evolve names
        // none, and no source-generated evolver names them either), so another module's stream would become a ModelState
        // document, and an event type this node does not know would fault the projection.
        foreach (var (type, _) in CatalogStream.EventTypes)
        {
            IncludeType(type);
        }
    }

    public override ModelState Evolve(ModelState? snapshot, string id, IEvent e) =>
        CatalogStream.Evolve(snapshot ?? ModelState.Initial with { Id = id }, e.Data);
}

internal static class CatalogStream
{
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

    private static ImmutableList<int> Lineage(ImmutableList<int> lineage, VersionPromoted promoted)
    {
        var walkedBack = promoted.Rollback && !lineage.IsEmpty ? lineage.RemoveAt(lineage.Count - 1) : lineage;
        return !walkedBack.IsEmpty && walkedBack[^1] == promoted.Version ? walkedBack : walkedBack.Add(promoted.Version);
    }


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

    public static void Map(Marten.Events.IEventStoreOptions events)
    {
        foreach (var (type, name) in EventTypes)
        {
            events.MapEventType(type, name);
        }
    }
}
