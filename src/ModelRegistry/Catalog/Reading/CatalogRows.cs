using System.Collections.Immutable;
using JasperFx.Events;

namespace ModelRegistry.Catalog.Reading;

/// <summary>A row of <c>catalog_models</c>.</summary>
internal sealed record ModelRow(
    string Key,
    string Name,
    string? Description,
    ImmutableSortedDictionary<string, string> Tags,
    string? Owner,
    bool Locked,
    string? LockReason,
    int LatestVersion,
    int? ProductionVersion,
    DateTimeOffset? PromotedAt,
    string? PromotedBy,
    long? ProductionPosition,
    long StreamVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A row of <c>catalog_versions</c>.</summary>
internal sealed record VersionRow(
    string ModelKey,
    int Version,
    Stage Stage,
    ArtifactStatus Status,
    VersionSource Source,
    string? LocalPath,
    long? SizeBytes,
    string? Sha256,
    ModelFormat Format,
    VersionMetadata Metadata,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    DateTimeOffset? DownloadedAt,
    int? DuplicateOf = null);

/// <summary>Column changes to a model row; null leaves a column as it is.</summary>
internal sealed record ModelPatch(
    string? Description = null,
    ImmutableSortedDictionary<string, string>? Tags = null,
    bool? Locked = null,
    string? LockReason = null,
    int? Latest = null,
    int? SetProduction = null,
    int? ClearProductionOf = null)
{
    public static ModelPatch None { get; } = new();
}

/// <summary>Column changes to a version row; null leaves a column as it is.</summary>
internal sealed record VersionPatch(
    int Version,
    Stage? Stage = null,
    ArtifactStatus? Status = null,
    string? LocalPath = null,
    long? SizeBytes = null,
    string? Sha256 = null,
    DateTimeOffset? DownloadedAt = null,
    int? DuplicateOf = null);

/// <summary>
/// What one event does to the catalog's rows. <see cref="CatalogProjection"/> writes it as SQL and
/// <see cref="CatalogView"/> folds it in memory for as_of reads and watchers, so both read the same
/// answer from the same events. Applying it to rows already at or past <see cref="StreamVersion"/> is a no-op.
/// <see cref="Position"/> is 0 for an event seen inline, before Marten has read its position back: the SQL then looks it up by
/// <see cref="EventId"/>.
/// </summary>
internal sealed record RowChange(
    string Key,
    long StreamVersion,
    long Position,
    Guid EventId,
    DateTimeOffset At,
    string? Actor,
    ModelRegistered? Registered,
    VersionRow? NewVersion,
    VersionPatch? Version,
    ModelPatch Model)
{
    /// <summary>Whether the production pointer (version, its file, promoted at/by) may have changed.</summary>
    public bool AffectsProduction =>
        Model.SetProduction is not null || Model.ClearProductionOf is not null || Version is { LocalPath: not null } or { Sha256: not null };
}

internal static class CatalogChanges
{
    /// <summary>The row change an event makes (as stored, or being appended as an inline Marten projection sees it), or null.</summary>
    public static RowChange? Of(IEvent e) => Of(e.StreamKey!, e.Version, e.Sequence, e.Id, e.Timestamp, e.UserName, e.Data);

    private static RowChange? Of(string key, long streamVersion, long position, Guid id, DateTimeOffset at, string? actor, object data)
    {
        RowChange Change(ModelPatch? model = null, VersionPatch? version = null, VersionRow? added = null, ModelRegistered? registered = null) =>
            new(key, streamVersion, position, id, at, actor, registered, added, version, model ?? ModelPatch.None);

        return data switch
        {
            ModelRegistered r => Change(registered: r),
            ModelUpdated u => Change(new ModelPatch(
                Description: u.Description,
                Tags: u.Tags?.ToImmutableSortedDictionary(StringComparer.Ordinal))),
            VersionRegistered r => Change(
                new ModelPatch(Latest: r.Version),
                added: new VersionRow(key, r.Version, Stage.Staging, r.Status, r.Source, r.LocalPath, r.SizeBytes, r.Sha256, r.Format,
                    r.Metadata, at, actor, null, r.DuplicateOf)),
            VersionDownloadStarted d => Change(version: new VersionPatch(d.Version, Status: ArtifactStatus.Downloading)),
            VersionDownloaded d => Change(version: new VersionPatch(d.Version, Status: ArtifactStatus.Ready, LocalPath: d.LocalPath,
                SizeBytes: d.SizeBytes, Sha256: d.Sha256, DownloadedAt: Microseconds(d.DownloadedAt), DuplicateOf: d.DuplicateOf)),
            VersionDownloadFailed d => Change(version: new VersionPatch(d.Version, Status: ArtifactStatus.Failed)),
            VersionPromoted { Stage: Stage.Production } p => Change(new ModelPatch(SetProduction: p.Version), new VersionPatch(p.Version, Stage.Production)),
            VersionPromoted p => StageChange(p.Version, p.Stage),
            VersionDemoted d => StageChange(d.Version, d.To),
            VersionArchived a => StageChange(a.Version, Stage.Archived),
            VersionRestored r => StageChange(r.Version, Stage.Staging),
            ModelLocked l => Change(new ModelPatch(Locked: true, LockReason: l.Reason)),
            ModelUnlocked => Change(new ModelPatch(Locked: false)),
            ArtifactVerified v => Change(version: new VersionPatch(v.Version, Status: ArtifactStatus.Ready, Sha256: v.Sha256)),
            ArtifactMissing m => Change(version: new VersionPatch(m.Version, Status: ArtifactStatus.Missing)),
            ArtifactCorrupted c => Change(version: new VersionPatch(c.Version, Status: ArtifactStatus.Corrupted)),
            _ => null,
        };

        // PostgreSQL keeps microseconds; a fold must read what the table reads.
        static DateTimeOffset Microseconds(DateTimeOffset at) => at.AddTicks(-(at.Ticks % 10));

        RowChange StageChange(int version, Stage stage) => Change(
            stage == Stage.Production ? new ModelPatch(SetProduction: version) : new ModelPatch(ClearProductionOf: version),
            new VersionPatch(version, stage));
    }
}

/// <summary>The catalog rows of one model, folded in memory from its stream.</summary>
internal sealed record CatalogView(ModelRow? Model, ImmutableSortedDictionary<int, VersionRow> Versions)
{
    public static CatalogView Initial { get; } = new(null, ImmutableSortedDictionary<int, VersionRow>.Empty);

    public static CatalogView Evolve(CatalogView view, IEvent e) => CatalogChanges.Of(e) is { } change ? view.Apply(change) : view;

    public VersionRow? Production =>
        Model?.ProductionVersion is { } version ? Versions.GetValueOrDefault(version) : null;

    /// <summary>Whether <paramref name="c"/> changes these rows: it is newer than them, and the model exists or it registers it.</summary>
    public bool Accepts(RowChange c) =>
        Model is { } existing ? existing.StreamVersion < c.StreamVersion : c.Registered is not null;

    /// <summary>Whether applying <paramref name="c"/> sets or clears the production pointer (and so its position).</summary>
    public bool MovesProduction(RowChange c) =>
        Accepts(c) && c.Registered is null
        && (c.Model.SetProduction is not null || (c.Model.ClearProductionOf is { } clear && Model!.ProductionVersion == clear));

    public CatalogView Apply(RowChange c)
    {
        if (!Accepts(c))
        {
            return this;
        }

        if (c.Registered is { } r)
        {
            var registered = (Model ?? new ModelRow(c.Key, r.Name, null, ImmutableSortedDictionary<string, string>.Empty, null, false, null, 0, null,
                null, null, null, 0, c.At, c.At)) with
            {
                Name = r.Name,
                Description = r.Description,
                Tags = r.Tags.ToImmutableSortedDictionary(StringComparer.Ordinal),
                Owner = r.Owner,
                StreamVersion = c.StreamVersion,
                UpdatedAt = c.At,
            };
            return this with { Model = registered };
        }

        var versions = Versions;
        if (c.NewVersion is { } added)
        {
            versions = versions.SetItem(added.Version, added);
        }

        if (c.Version is { } p && versions.TryGetValue(p.Version, out var row))
        {
            versions = versions.SetItem(p.Version, row with
            {
                Stage = p.Stage ?? row.Stage,
                Status = p.Status ?? row.Status,
                LocalPath = p.LocalPath ?? row.LocalPath,
                SizeBytes = p.SizeBytes ?? row.SizeBytes,
                Sha256 = p.Sha256 ?? row.Sha256,
                DownloadedAt = p.DownloadedAt ?? row.DownloadedAt,
                DuplicateOf = row.DuplicateOf ?? p.DuplicateOf,
            });
        }

        var m = c.Model;
        var model = Model!;
        var moves = MovesProduction(c);
        var next = model with
        {
            Description = m.Description ?? model.Description,
            Tags = m.Tags ?? model.Tags,
            Locked = m.Locked ?? model.Locked,
            LockReason = m.Locked is null ? model.LockReason : m.LockReason,
            LatestVersion = Math.Max(model.LatestVersion, m.Latest ?? 0),
            ProductionVersion = moves ? m.SetProduction : model.ProductionVersion,
            PromotedAt = moves ? m.SetProduction is null ? null : c.At : model.PromotedAt,
            PromotedBy = moves ? m.SetProduction is null ? null : c.Actor : model.PromotedBy,
            ProductionPosition = moves ? c.Position : model.ProductionPosition,
            StreamVersion = c.StreamVersion,
            UpdatedAt = c.At,
        };
        return new CatalogView(next, versions);
    }
}
