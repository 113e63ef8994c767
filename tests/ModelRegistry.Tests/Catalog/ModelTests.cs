using System.Collections.Immutable;
using System.Text.Json;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.Catalog.Archiving;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Catalog.Integrity;
using ModelRegistry.Catalog.Locking;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Updating;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog;

public sealed class ModelTests
{
    private static readonly VersionMetadata Metadata = new(
        "chat", ImmutableDictionary<string, double>.Empty.Add("mmlu", 0.25), "llama", "Q4_K_M", 2048,
        ImmutableDictionary<string, string>.Empty.Add("license", "apache-2.0"));

    private static readonly object[] OneOfEach =
    [
        Events.ModelRegistered(),
        new ModelUpdated("new", ImmutableDictionary<string, string>.Empty.Add("k", "v")),
        new VersionRegistered(1, new VersionSource(SourceType.Huggingface, "org/repo", "main", "m.gguf"), Events.Sha(1), ModelFormat.Gguf,
            Metadata, ArtifactStatus.Pending, null, null),
        new VersionDownloadStarted(1, Events.Job),
        new VersionDownloaded(1, "org/repo/m.gguf", 42, Events.Sha(1), Now, "https://cdn/m.gguf", "abc123", "\"e\""),
        new VersionDownloadFailed(1, "timeout"),
        new VersionPromoted(1, Stage.Production, null, false),
        new VersionDemoted(1, Stage.Production, Stage.Staging),
        new VersionArchived(1),
        new VersionRestored(1),
        new ModelLocked("freeze"),
        new ModelUnlocked("thaw"),
        new ArtifactVerified(1, Events.Sha(1)),
        new ArtifactMissing(1),
        new ArtifactCorrupted(1, Events.Sha(1), Events.Sha(2)),
    ];

    public static TheoryData<int> EventIndexes => [.. Enumerable.Range(0, OneOfEach.Length)];

    private static JsonElement Payload(object @event) => JsonDocument.Parse(DeciderSpec.Serialize(@event)).RootElement;

    private static string[] Fields(JsonElement json) => [.. json.EnumerateObject().Select(p => p.Name)];

    [Fact]
    public void Every_event_is_stored_under_its_SPEC_name_at_schema_version_1() =>
        Assert.Equal(
            ["ModelRegistered", "ModelUpdated", "VersionRegistered", "VersionDownloadStarted", "VersionDownloaded", "VersionDownloadFailed",
                "VersionPromoted", "VersionDemoted", "VersionArchived", "VersionRestored", "ModelLocked", "ModelUnlocked",
                "ArtifactVerified", "ArtifactMissing", "ArtifactCorrupted"],
            OneOfEach.Select(e => EventNames.SplitTypeName(DeciderSpec.StoredName(e.GetType()))).Select(d => d.SchemaVersion == 1 ? d.Type : $"{d.Type}@{d.SchemaVersion}"));

    [Theory]
    [MemberData(nameof(EventIndexes))]
    public void Every_event_reads_back_as_it_was_written(int index)
    {
        var written = OneOfEach[index];
        var read = DeciderSpec.Read(DeciderSpec.StoredName(written.GetType()), DeciderSpec.Serialize(written));

        Assert.IsType(written.GetType(), read);
        Assert.Equal(DeciderSpec.Serialize(written), DeciderSpec.Serialize(read));
    }

    [Fact]
    public void Promotion_and_demotion_payloads_use_the_SPEC_field_names()
    {
        var promoted = Payload(new VersionPromoted(2, Stage.Production, 1, false));
        var demoted = Payload(new VersionDemoted(1, Stage.Production, Stage.Staging));

        Assert.Equal(["version", "stage", "previous_version", "rollback"], Fields(promoted));
        Assert.Equal((2, "production", 1), (promoted.GetProperty("version").GetInt32(), promoted.GetProperty("stage").GetString(),
            promoted.GetProperty("previous_version").GetInt32()));
        Assert.Equal(["version", "from", "to"], Fields(demoted));
        Assert.Equal(("production", "staging"), (demoted.GetProperty("from").GetString(), demoted.GetProperty("to").GetString()));
    }

    [Fact]
    public void A_version_registration_carries_the_version_resource_field_names()
    {
        var registered = Payload(OneOfEach[2]);

        Assert.Equal(["version", "source", "sha256", "format", "metadata", "status", "local_path", "size_bytes"], Fields(registered));
        Assert.Equal(["type", "uri", "revision", "file"], Fields(registered.GetProperty("source")));
        Assert.Equal(["description", "metrics", "architecture", "quantization", "context_length", "tags"], Fields(registered.GetProperty("metadata")));
        Assert.Equal(("huggingface", "gguf", "pending"), (registered.GetProperty("source").GetProperty("type").GetString(),
            registered.GetProperty("format").GetString(), registered.GetProperty("status").GetString()));
        Assert.Equal(0.25, registered.GetProperty("metadata").GetProperty("metrics").GetProperty("mmlu").GetDouble());
    }

    [Fact]
    public void Download_and_integrity_payloads_use_snake_case_field_names()
    {
        Assert.Equal(["version", "job_id"], Fields(Payload(OneOfEach[3])));
        Assert.Equal(["version", "local_path", "size_bytes", "sha256", "downloaded_at", "resolved_uri", "resolved_revision", "etag"],
            Fields(Payload(OneOfEach[4])));
        Assert.Equal(["version", "reason"], Fields(Payload(OneOfEach[5])));
        Assert.Equal(["version", "sha256"], Fields(Payload(OneOfEach[12])));
        Assert.Equal(["version", "expected_sha256", "actual_sha256"], Fields(Payload(OneOfEach[14])));
        Assert.Equal(["name", "description", "tags", "owner"], Fields(Payload(OneOfEach[0])));
        Assert.Equal(["reason"], Fields(Payload(OneOfEach[10])));
    }

    [Fact]
    public void Tag_keys_keep_their_case_in_payloads() =>
        Assert.Equal(["Team"], Fields(Payload(new ModelUpdated(null, ImmutableDictionary<string, string>.Empty.Add("Team", "x"))).GetProperty("tags")));

    [Fact]
    public void A_payload_of_an_unknown_type_leaves_the_state_as_it_was()
    {
        var state = Fold([Events.ModelRegistered(), Events.ReadyVersion(1)]);

        Assert.Same(state, CatalogStream.Evolve(state, JsonDocument.Parse("{\"version\":1}").RootElement));
    }

    [Fact]
    public void Folding_a_lifecycle_decided_command_by_command_gives_the_expected_state()
    {
        var local = new VersionSource(SourceType.Local, "tiny/v1.gguf", null, null);
        var hub = new VersionSource(SourceType.Huggingface, "TheBloke/TinyLlama-GGUF", null, "tiny.Q8_0.gguf");
        object[] commands =
        [
            new RegisterVersion("TheBloke/TinyLlama", null, local, null, null, Metadata, "alice", new MeasuredFile("tiny/v1.gguf", 100, Events.Sha(1))),
            new RegisterVersion("thebloke/tinyllama", null, hub, Events.Sha(2), null, VersionMetadata.Empty, "bob", null),
            new StartDownload("TheBloke/TinyLlama", 2, Events.Job),
            new CompleteDownload("TheBloke/TinyLlama", 2, Events.Job, "tiny/v2.gguf", 200, Events.Sha(2), null, "c0ffee", null),
            new UpdateModel("TheBloke/TinyLlama", "Tiny", new Dictionary<string, string> { ["team"] = "nlp" }),
            new PromoteVersion("TheBloke/TinyLlama", 1, Stage.Production),
            new PromoteVersion("TheBloke/TinyLlama", 2, Stage.Production),
            new RecordIntegrity("TheBloke/TinyLlama", 1, new FileFound.Nothing()),
            new RecordIntegrity("TheBloke/TinyLlama", 1, new FileFound.Hashed(Events.Sha(1))),
            new Rollback("TheBloke/TinyLlama"),
            new ArchiveVersion("TheBloke/TinyLlama", 2),
            new LockModel("TheBloke/TinyLlama", "release freeze"),
        ];
        var events = new List<object>();
        foreach (var command in commands)
        {
            events.AddRange(Decide(Fold(events), command));
        }

        var state = Fold(events);
        var stored = Fold(events.Select(e => DeciderSpec.Read(DeciderSpec.StoredName(e.GetType()), DeciderSpec.Serialize(e))));

        Assert.Equal(("TheBloke/TinyLlama", "Tiny", "alice", true, "release freeze"), (state.Name, state.Description, state.Owner, state.Locked, state.LockReason));
        Assert.Equal((1, 2), (state.ProductionVersion, state.LatestVersion));
        Assert.Equal(new[] { 1 }, state.ProductionLineage);
        var v1 = state.Versions[1];
        var v2 = state.Versions[2];
        Assert.Equal((Stage.Production, ArtifactStatus.Ready, "tiny/v1.gguf", 100L, Events.Sha(1), ModelFormat.Gguf, 2048),
            (v1.Stage, v1.Status, v1.LocalPath, v1.SizeBytes, v1.Sha256, v1.Format, v1.Metadata.ContextLength));
        Assert.Equal((Stage.Archived, ArtifactStatus.Ready, "tiny/v2.gguf", 200L, Events.Sha(2), "main", (DateTimeOffset?)Now),
            (v2.Stage, v2.Status, v2.LocalPath, v2.SizeBytes, v2.Sha256, v2.Source.Revision, v2.DownloadedAt));
        Assert.Equal(DeciderSpec.Serialize(state), DeciderSpec.Serialize(stored));
    }
}
