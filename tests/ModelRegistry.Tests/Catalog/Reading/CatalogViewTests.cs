using System.Collections.Immutable;
using System.Text.Json;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using JasperFx.Events;

namespace ModelRegistry.Tests.Catalog.Reading;

public sealed class CatalogViewTests
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly object[] Lifecycle =
    [
        Events.ModelRegistered(),
        new ModelUpdated("updated", ImmutableDictionary<string, string>.Empty.Add("team", "vision").Add("tier", "gold")),
        Events.ReadyVersion(1),
        Events.PendingVersion(2),
        new VersionDownloadStarted(2, Events.Job),
        Events.Downloaded(2),
        Events.InProduction(1),
        Events.InProduction(2, previous: 1),
        Events.PendingVersion(3),
        new VersionDownloadFailed(3, "timeout"),
        new VersionArchived(1),
        new ModelLocked("audit"),
        new ModelUnlocked("done"),
        Events.RolledBack(1, from: 2),
        new VersionDemoted(1, Stage.Production, Stage.Staging),
        new VersionRestored(1),
        new ArtifactMissing(2),
        new ArtifactVerified(2, Events.Sha(2)),
        new ArtifactCorrupted(2, Events.Sha(2), Events.Sha(3)),
        new ModelUpdated(null, null),
    ];

    internal static List<IEvent> Stored(IEnumerable<object> events, string actor = "alice") =>
        events.SelectMany(e => e is object[] many ? many : [e])
            .Select((e, i) => Wrap(e, 100 + i, i + 1, Start.AddMinutes(i), $"{actor}-{i + 1}"))
            .ToList();

    /// <summary>An event as Marten reads it back from the store.</summary>
    private static IEvent Wrap(object data, long position, long version, DateTimeOffset at, string actor)
    {
        var e = (IEvent)Activator.CreateInstance(typeof(Event<>).MakeGenericType(data.GetType()), data)!;
        (e.Sequence, e.Id, e.StreamKey, e.Version, e.Timestamp, e.UserName) = (position, Guid.CreateVersion7(), "thebloke/tinyllama", version, at, actor);
        return e;
    }

    [Fact]
    public void Folding_row_changes_gives_the_same_model_as_the_domain_fold_after_every_event()
    {
        var stored = Stored(Lifecycle);
        var view = CatalogView.Initial;
        var state = ModelState.Initial;
        foreach (var e in stored)
        {
            view = CatalogView.Evolve(view, e);
            state = CatalogStream.Evolve(state, e.Data);

            var model = Assert.IsType<ModelRow>(view.Model);
            Assert.Equal((state.Name, state.Description, state.Owner, state.Locked, state.LockReason, state.LatestVersion, state.ProductionVersion),
                (model.Name, model.Description, model.Owner, model.Locked, model.LockReason, model.LatestVersion, model.ProductionVersion));
            Assert.Equal(state.Tags, model.Tags);
            Assert.Equal(e.Version, model.StreamVersion);
            Assert.Equal(
                state.Versions.Values.Select(v => (v.Version, v.Stage, v.Status, v.LocalPath, v.SizeBytes, v.Sha256, v.DownloadedAt, v.Source, v.Format)),
                view.Versions.Values.Select(v => (v.Version, v.Stage, v.Status, v.LocalPath, v.SizeBytes, v.Sha256, v.DownloadedAt, v.Source, v.Format)));
        }
    }

    [Fact]
    public void A_version_remembers_when_and_by_whom_it_was_registered()
    {
        var view = Stored([Events.ModelRegistered(), Events.ReadyVersion(1)]).Aggregate(CatalogView.Initial, CatalogView.Evolve);

        var version = view.Versions[1];
        Assert.Equal((Start.AddMinutes(1), "alice-2"), (version.CreatedAt, version.CreatedBy));
        Assert.Equal((Start, Start.AddMinutes(1)), (view.Model!.CreatedAt, view.Model.UpdatedAt));
    }

    [Fact]
    public void The_production_pointer_carries_who_promoted_it_when_and_the_position_of_that_event()
    {
        var stored = Stored([Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.InProduction(1), Events.InProduction(2, previous: 1)]);
        var view = stored.Aggregate(CatalogView.Initial, CatalogView.Evolve);

        var pointer = CatalogResources.Pointer(view.Model!, view.Production);
        Assert.Equal(new ProductionPointerResource(Events.Name, 2, "tinyllama/v2.gguf", Events.Sha(2), 1002, stored[^1].Timestamp, "alice-6"), pointer);
        Assert.Equal(stored[^1].Sequence, view.Model!.ProductionPosition);
    }

    [Fact]
    public void Demoting_the_production_version_leaves_no_pointer_and_moves_the_position()
    {
        var stored = Stored([Events.ModelRegistered(), Events.ReadyVersion(1), Events.InProduction(1), new VersionDemoted(1, Stage.Production, Stage.Staging)]);
        var view = stored.Aggregate(CatalogView.Initial, CatalogView.Evolve);

        Assert.Null(CatalogResources.Pointer(view.Model!, view.Production));
        Assert.Equal((null, null, stored[^1].Sequence), (view.Model!.PromotedAt, view.Model.PromotedBy, view.Model.ProductionPosition));
    }

    [Fact]
    public void Demoting_a_version_that_is_not_in_production_keeps_the_pointer()
    {
        var stored = Stored([Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.InProduction(1), new VersionArchived(2)]);
        var view = stored.Aggregate(CatalogView.Initial, CatalogView.Evolve);

        Assert.Equal((1, stored[3].Sequence), (view.Model!.ProductionVersion, view.Model.ProductionPosition));
    }

    [Fact]
    public void Applying_an_event_again_changes_nothing()
    {
        var stored = Stored(Lifecycle);
        var once = stored.Aggregate(CatalogView.Initial, CatalogView.Evolve);

        var again = stored.Aggregate(once, CatalogView.Evolve);

        Assert.Same(once, again);
    }

    [Fact]
    public void Events_of_other_streams_types_are_ignored()
    {
        var stored = Stored([Events.ModelRegistered()]);
        var other = Wrap(JsonDocument.Parse("{}").RootElement, stored[0].Sequence + 1, 2, stored[0].Timestamp, "alice");

        var view = CatalogView.Evolve(CatalogView.Evolve(CatalogView.Initial, stored[0]), other);

        Assert.Equal(1, view.Model!.StreamVersion);
    }

    [Fact]
    public void Only_changes_that_can_move_the_production_pointer_are_announced()
    {
        var announced = Stored(Lifecycle).Select(CatalogChanges.Of).Where(c => c!.AffectsProduction).Select(c => c!.StreamVersion).ToList();

        // promote/demote/archive/restore, the download and the verification; never registrations, locks or failures
        Assert.Equal([6, 7, 8, 9, 12, 15, 16, 17, 18, 20], announced);
    }

    [Fact]
    public void Resources_list_tags_and_metadata_in_a_stable_order()
    {
        var metadata = new VersionMetadata("d", new Dictionary<string, double> { ["z"] = 1, ["a"] = 2 }, null, null, null,
            new Dictionary<string, string> { ["y"] = "1", ["b"] = "2" });
        var row = new VersionRow("m", 1, Stage.Staging, ArtifactStatus.Ready, new VersionSource(SourceType.Url, "https://x/m.onnx", null, null),
            "m.onnx", 1, Events.Sha(1), ModelFormat.Onnx, metadata, Start, "bob", null);

        var resource = CatalogResources.Version("m", row);

        Assert.Equal(["a", "z"], resource.Metadata.Metrics.Keys);
        Assert.Equal(["b", "y"], resource.Metadata.Tags.Keys);
        Assert.Equal(("url", "https://x/m.onnx", "onnx", "ready", "staging"), (resource.SourceType, resource.SourceUri, resource.Format, resource.Status, resource.Stage));
    }
}
