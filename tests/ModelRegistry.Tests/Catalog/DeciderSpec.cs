using System.Collections;
using System.Collections.Immutable;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Archiving;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Catalog.Integrity;
using ModelRegistry.Catalog.Locking;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.Common;
using Marten;

namespace ModelRegistry.Tests.Catalog;

internal static class DeciderSpec
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The store's configuration: its stored type names and its serializer.</summary>
    public static StoreOptions Store { get; } = StoredForm();

    public static Scenario Given(params object[] events) => new(Flatten(events).ToList());

    public static ModelState Fold(IEnumerable<object> events) => events.Aggregate(ModelState.Initial, CatalogStream.Evolve);

    public static IReadOnlyList<object> Decide(ModelState state, object command) => command switch
    {
        RegisterModel c => RegisterModel.Decide(state, c, Now),
        RegisterVersion c => RegisterVersion.Decide(state, c, Now),
        UpdateModel c => UpdateModel.Decide(state, c, Now),
        PromoteVersion c => PromoteVersion.Decide(state, c, Now),
        DemoteVersion c => DemoteVersion.Decide(state, c, Now),
        Rollback c => Rollback.Decide(state, c, Now),
        ArchiveVersion c => ArchiveVersion.Decide(state, c, Now),
        RestoreVersion c => RestoreVersion.Decide(state, c, Now),
        LockModel c => LockModel.Decide(state, c, Now),
        UnlockModel c => UnlockModel.Decide(state, c, Now),
        StartDownload c => StartDownload.Decide(state, c, Now),
        CompleteDownload c => CompleteDownload.Decide(state, c, Now),
        FailDownload c => FailDownload.Decide(state, c, Now),
        RecordIntegrity c => RecordIntegrity.Decide(state, c, Now),
        _ => throw new ArgumentException($"No decider for {command.GetType().Name}.", nameof(command)),
    };

    /// <summary>An event as the store keeps it: its stored type name and its payload.</summary>
    public static string Describe(object @event) => $"{StoredName(@event.GetType())} {Serialize(@event)}";

    public static string StoredName(Type type) => ((JasperFx.Events.IEventRegistry)Store.Events).EventMappingFor(type).EventTypeName;

    public static string Serialize(object @event) => Store.Serializer().ToJson(@event);

    /// <summary>A payload read back as the event type stored under <paramref name="storedName"/>.</summary>
    public static object Read(string storedName, string json) =>
        Store.Serializer().FromJson(CatalogStream.EventTypes.Single(t => StoredName(t.Type) == storedName).Type,
            new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));

    private static IEnumerable<object> Flatten(IEnumerable<object> items) =>
        items.SelectMany(i => i is IEnumerable nested and not string ? Flatten(nested.Cast<object>()) : [i]);

    private static StoreOptions StoredForm()
    {
        var options = new StoreOptions();
        RegistryStore.Configure(options, "Host=localhost", CatalogStream.Map);
        return options;
    }
}

internal sealed class Scenario(IReadOnlyList<object> given)
{
    public ModelState State { get; } = DeciderSpec.Fold(given);

    public Outcome When(object command)
    {
        try
        {
            return new Outcome(State, DeciderSpec.Decide(State, command), null);
        }
        catch (DomainException ex)
        {
            return new Outcome(State, [], ex);
        }
    }
}

internal sealed class Outcome(ModelState before, IReadOnlyList<object> events, DomainException? error)
{
    public IReadOnlyList<object> Events => NoError(events);

    public ModelState State => NoError(events).Aggregate(before, CatalogStream.Evolve);

    public Outcome Then(params object[] expected)
    {
        Assert.Equal(expected.Select(DeciderSpec.Describe), NoError(events).Select(DeciderSpec.Describe));
        return this;
    }

    public Outcome ThenNothing() => Then();

    public Outcome ThenState(Action<ModelState> check)
    {
        check(State);
        return this;
    }

    public DomainException ThenFails(DomainErrorKind kind, string code)
    {
        Assert.True(error is not null, $"Expected {kind} '{code}' but the decision was: {string.Join(", ", events.Select(DeciderSpec.Describe))}");
        Assert.Equal((kind, code), (error.Kind, error.Code));
        return error;
    }

    private T NoError<T>(T value) => error is null ? value : throw new Xunit.Sdk.XunitException($"Expected events but the decision failed: {error.Kind} {error.Code}: {error.Detail}");
}

internal static class Events
{
    public const string Name = "TheBloke/TinyLlama";
    public static readonly Guid Job = Guid.Parse("0197a000-0000-7000-8000-000000000001");

    public static string Sha(int version) => new((char)('a' + (version % 6)), 64);

    public static ModelRegistered ModelRegistered(string name = Name) =>
        new(name, "A small chat model", ImmutableDictionary<string, string>.Empty.Add("team", "nlp"), "alice");

    public static VersionRegistered ReadyVersion(int version) => new(
        version, new VersionSource(SourceType.Local, $"tinyllama/v{version}.gguf", null, null), Sha(version), ModelFormat.Gguf,
        VersionMetadata.Empty, ArtifactStatus.Ready, $"tinyllama/v{version}.gguf", 1000 + version);

    public static VersionRegistered PendingVersion(int version) => new(
        version, new VersionSource(SourceType.Huggingface, "TheBloke/TinyLlama-GGUF", "main", $"v{version}.gguf"), Sha(version),
        ModelFormat.Gguf, VersionMetadata.Empty, ArtifactStatus.Pending, null, null);

    public static VersionDownloaded Downloaded(int version) =>
        new(version, $"tinyllama/v{version}.gguf", 2000 + version, Sha(version), DeciderSpec.Now, null, null, null);

    public static object[] InProduction(int version, int? previous = null) => previous is { } p
        ? [new VersionDemoted(p, Stage.Production, Stage.Staging), new VersionPromoted(version, Stage.Production, p, false)]
        : [new VersionPromoted(version, Stage.Production, null, false)];

    public static object[] RolledBack(int version, int from) =>
        [new VersionDemoted(from, Stage.Production, Stage.Staging), new VersionPromoted(version, Stage.Production, from, true)];
}
