using System.Collections.Immutable;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Common;

/// <summary>
/// Marten stores every event payload as the registry has always written it (SPEC §3): snake_case members, enums in snake_case,
/// dictionary keys exactly as given. Events stored by every earlier version read back alike, and the history shows them unchanged.
/// </summary>
public sealed class RegistryStoreSerializationTests
{
    private static readonly ISerializer Marten = MartenSerializer();

    public static TheoryData<object, string> Events() => new()
    {
        {
            new ModelRegistered("Acme/Llama", "a model", ImmutableSortedDictionary<string, string>.Empty.Add("Team", "vision"), "alice"),
            """{"name":"Acme/Llama","description":"a model","tags":{"Team":"vision"},"owner":"alice"}"""
        },
        {
            new ModelUpdated(null, new Dictionary<string, string> { ["CamelKey"] = "v" }),
            """{"description":null,"tags":{"CamelKey":"v"}}"""
        },
        {
            new VersionRegistered(3, new VersionSource(SourceType.Huggingface, "acme/llama", "main", "model.Q4_K_M.gguf"), null, ModelFormat.Gguf,
                new VersionMetadata("d", new Dictionary<string, double> { ["Accuracy"] = 0.9 }, "llama", "Q4_K_M", 4096, ImmutableDictionary<string, string>.Empty),
                ArtifactStatus.Pending, null, null),
            """{"version":3,"source":{"type":"huggingface","uri":"acme/llama","revision":"main","file":"model.Q4_K_M.gguf"},"sha256":null,"format":"gguf","metadata":{"description":"d","metrics":{"Accuracy":0.9},"architecture":"llama","quantization":"Q4_K_M","context_length":4096,"tags":{}},"status":"pending","local_path":null,"size_bytes":null}"""
        },
        {
            new VersionDownloaded(3, "acme/llama/3/model.gguf", 42, new string('a', 64), DateTimeOffset.Parse("2026-01-02T03:04:05.123456Z"),
                "https://x.example/f", "abc", "\"etag\"", DuplicateOf: 2),
            $$"""{"version":3,"local_path":"acme/llama/3/model.gguf","size_bytes":42,"sha256":"{{new string('a', 64)}}","downloaded_at":"2026-01-02T03:04:05.123456+00:00","resolved_uri":"https://x.example/f","resolved_revision":"abc","etag":"\u0022etag\u0022","duplicate_of":2}"""
        },
        { new VersionPromoted(3, Stage.Production, 2, Rollback: true), """{"version":3,"stage":"production","previous_version":2,"rollback":true}""" },
        { new VersionDemoted(3, Stage.Production, Stage.Staging), """{"version":3,"from":"production","to":"staging"}""" },
        {
            new ArtifactCorrupted(3, new string('b', 64), null),
            $$"""{"version":3,"expected_sha256":"{{new string('b', 64)}}","actual_sha256":null}"""
        },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void A_payload_is_stored_as_the_registry_has_always_written_it(object payload, string stored) =>
        Assert.Equal(stored, Marten.ToJson(payload));

    [Theory]
    [MemberData(nameof(Events))]
    public void A_stored_payload_reads_back_equal(object payload, string stored)
    {
        var read = Marten.FromJson(payload.GetType(), new MemoryStream(System.Text.Encoding.UTF8.GetBytes(stored)));
        Assert.Equal(stored, Marten.ToJson(read));
    }

    private static ISerializer MartenSerializer()
    {
        var options = new StoreOptions();
        RegistryStore.Configure(options, "Host=localhost", CatalogStream.Map);
        return options.Serializer();
    }
}
