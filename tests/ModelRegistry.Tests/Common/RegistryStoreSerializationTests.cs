using System.Collections.Immutable;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.EventStore;

namespace ModelRegistry.Tests.Common;

/// <summary>Marten stores every event payload as the JSON the event store has always written (SPEC §3), so old and new events read alike.</summary>
public sealed class RegistryStoreSerializationTests
{
    private static readonly ISerializer Marten = MartenSerializer();
    private static readonly EventTypeRegistry Stored = StoredTypes();

    public static TheoryData<object> Events() =>
    [
        new ModelRegistered("Acme/Llama", "a model", ImmutableSortedDictionary<string, string>.Empty.Add("Team", "vision"), "alice"),
        new ModelUpdated(null, new Dictionary<string, string> { ["CamelKey"] = "v" }),
        new VersionRegistered(3, new VersionSource(SourceType.Huggingface, "acme/llama", "main", "model.Q4_K_M.gguf"), null, ModelFormat.Gguf,
            new VersionMetadata("d", new Dictionary<string, double> { ["Accuracy"] = 0.9 }, "llama", "Q4_K_M", 4096, ImmutableDictionary<string, string>.Empty),
            ArtifactStatus.Pending, null, null),
        new VersionDownloaded(3, "acme/llama/3/model.gguf", 42, new string('a', 64), DateTimeOffset.Parse("2026-01-02T03:04:05.123456Z"), "https://x.example/f",
            "abc", "\"etag\"", DuplicateOf: 2),
        new VersionPromoted(3, Stage.Production, 2, Rollback: true),
        new VersionDemoted(3, Stage.Production, Stage.Staging),
        new ArtifactCorrupted(3, new string('b', 64), null),
    ];

    [Theory]
    [MemberData(nameof(Events))]
    public void A_payload_is_stored_as_the_event_store_has_always_written_it(object payload) =>
        Assert.Equal(Stored.Serialize(payload), Marten.ToJson(payload));

    [Theory]
    [MemberData(nameof(Events))]
    public void A_payload_written_by_the_event_store_reads_back_equal_through_Marten(object payload)
    {
        var read = Marten.FromJson(payload.GetType(), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Stored.Serialize(payload))));
        Assert.Equal(Stored.Serialize(payload), Stored.Serialize(read));
    }

    private static ISerializer MartenSerializer()
    {
        var options = new StoreOptions();
        RegistryStore.Configure(options, "Host=localhost", EventTypes.Map);
        return options.Serializer();
    }

    private static EventTypeRegistry StoredTypes()
    {
        var registry = new EventTypeRegistry();
        EventTypes.Register(registry);
        return registry;
    }
}
