using System.Collections.Immutable;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Registering;

public sealed class RegisterVersionTests
{
    private static readonly VersionSource Hub = new(SourceType.Huggingface, "TheBloke/TinyLlama-GGUF", "main", "tinyllama.Q4_K_M.gguf");
    private static readonly VersionSource LocalFile = new(SourceType.Local, "tinyllama/model.gguf", null, null);
    private static readonly MeasuredFile Measured = new("tinyllama/model.gguf", 4096, Events.Sha(1).ToUpperInvariant());

    private static RegisterVersion Remote(int? version = null, VersionSource? source = null, string? sha256 = null, ModelFormat? format = null) =>
        new(Events.Name, version, source ?? Hub, sha256, format, VersionMetadata.Empty, "alice", null);

    private static RegisterVersion Local(string? sha256 = null, string? content = null) =>
        new(Events.Name, null, LocalFile, sha256, null, VersionMetadata.Empty, "alice", content is null ? Measured : Measured with { Sha256 = content });

    private static RegisterVersion At(string path, string sha256) =>
        new(Events.Name, null, new VersionSource(SourceType.Local, path, null, null), null, null, VersionMetadata.Empty, "alice",
            Measured with { LocalPath = path, Sha256 = sha256 });

    private static VersionRegistered ReadyWith(int version, string sha256) => Events.ReadyVersion(version) with { Sha256 = sha256 };

    [Fact]
    public void Registering_a_version_of_an_unknown_model_registers_the_model_too() =>
        Given()
            .When(Remote())
            .Then(
                new ModelRegistered(Events.Name, null, ImmutableDictionary<string, string>.Empty, "alice"),
                new VersionRegistered(1, Hub, null, ModelFormat.Gguf, VersionMetadata.Empty, ArtifactStatus.Pending, null, null));

    [Fact]
    public void A_version_of_a_known_model_keeps_the_registered_case_and_does_not_register_the_model_again() =>
        Given(Events.ModelRegistered())
            .When(Remote() with { Name = "thebloke/tinyllama" })
            .Then(new VersionRegistered(1, Hub, null, ModelFormat.Gguf, VersionMetadata.Empty, ArtifactStatus.Pending, null, null))
            .ThenState(s => Assert.Equal(Events.Name, s.Name));

    [Fact]
    public void An_omitted_version_number_is_one_more_than_the_highest() =>
        Assert.Equal(8, Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(7), Events.ReadyVersion(3))
            .When(Remote()).Events.OfType<VersionRegistered>().Single().Version);

    [Fact]
    public void The_first_version_is_1() =>
        Assert.Equal(1, Given().When(Remote()).Events.OfType<VersionRegistered>().Single().Version);

    [Fact]
    public void An_explicit_new_version_number_is_kept() =>
        Assert.Equal(10, Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(Remote(version: 10)).Events.OfType<VersionRegistered>().Single().Version);

    [Fact]
    public void An_explicit_version_number_that_exists_is_a_conflict() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(Remote(version: 1))
            .ThenFails(DomainErrorKind.Conflict, "duplicate-version");

    [Fact]
    public void An_explicit_version_number_above_a_billion_is_invalid_on_version()
    {
        var error = Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(Remote(version: int.MaxValue))
            .ThenFails(DomainErrorKind.Invalid, "version-out-of-range");

        Assert.Equal(["version"], error.Errors.Keys);
    }

    [Fact]
    public void After_the_highest_explicit_version_number_auto_numbering_goes_on() =>
        Assert.Equal(1_000_000_001, Given(Events.ModelRegistered(), Events.ReadyVersion(1_000_000_000))
            .When(Remote()).Events.OfType<VersionRegistered>().Single().Version);

    [Fact]
    public void The_highest_explicit_version_number_is_a_billion() =>
        Assert.Equal(1_000_000_000, Given(Events.ModelRegistered())
            .When(Remote(version: 1_000_000_000)).Events.OfType<VersionRegistered>().Single().Version);

    [Fact]
    public void A_file_a_version_has_already_registers_as_a_duplicate_of_the_lowest_such_version() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), ReadyWith(2, Events.Sha(1)), Events.ReadyVersion(3))
            .When(Local(content: Events.Sha(1)))
            .Then(new VersionRegistered(4, LocalFile, Events.Sha(1), ModelFormat.Gguf, VersionMetadata.Empty, ArtifactStatus.Ready,
                "tinyllama/model.gguf", 4096, DuplicateOf: 1))
            .ThenState(s => Assert.Equal(1, s.Versions[4].DuplicateOf));

    [Fact]
    public void A_file_a_version_points_at_already_is_no_new_version_when_only_a_new_path_is_asked_for() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(At("tinyllama/v1.gguf", Events.Sha(1)) with { IfNewPath = true })
            .ThenNothing();

    [Fact]
    public void A_copy_of_a_file_at_a_new_path_is_a_new_version_when_only_a_new_path_is_asked_for() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(At("tinyllama/copy.gguf", Events.Sha(1)) with { IfNewPath = true })
            .Then(new VersionRegistered(2, new VersionSource(SourceType.Local, "tinyllama/copy.gguf", null, null), Events.Sha(1), ModelFormat.Gguf,
                VersionMetadata.Empty, ArtifactStatus.Ready, "tinyllama/copy.gguf", 4096, DuplicateOf: 1));

    [Fact]
    public void New_content_is_a_duplicate_of_nothing() =>
        Assert.Null(Given(Events.ModelRegistered(), Events.ReadyVersion(2))
            .When(Local(content: Events.Sha(1))).Events.OfType<VersionRegistered>().Single().DuplicateOf);

    [Fact]
    public void A_remote_source_whose_expected_hash_a_version_has_is_a_duplicate_of_it() =>
        Assert.Equal(1, Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(Remote(sha256: Events.Sha(1).ToUpperInvariant())).Events.OfType<VersionRegistered>().Single().DuplicateOf);

    [Fact]
    public void A_failed_download_has_no_content_to_duplicate() =>
        Assert.Null(Given(Events.ModelRegistered(), Events.PendingVersion(1), new VersionDownloadFailed(1, "404"))
            .When(Remote(sha256: Events.Sha(1))).Events.OfType<VersionRegistered>().Single().DuplicateOf);

    [Fact]
    public void With_if_new_content_a_file_a_version_has_already_registers_nothing() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(Local(content: Events.Sha(1)) with { IfNewContent = true })
            .ThenNothing();

    [Fact]
    public void With_if_new_content_a_remote_source_whose_expected_hash_a_version_has_registers_nothing() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(Remote(sha256: Events.Sha(1)) with { IfNewContent = true })
            .ThenNothing();

    [Fact]
    public void With_if_new_content_new_content_registers_as_usual() =>
        Assert.Equal(2, Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(Local(content: Events.Sha(2)) with { IfNewContent = true }).Events.OfType<VersionRegistered>().Single().Version);

    [Fact]
    public void New_versions_start_in_staging() =>
        Given(Events.ModelRegistered())
            .When(Remote())
            .ThenState(s => Assert.Equal(Stage.Staging, s.Versions[1].Stage));

    [Fact]
    public void A_remote_source_registers_as_pending_with_the_expected_hash_in_lower_case() =>
        Given(Events.ModelRegistered())
            .When(Remote(sha256: Events.Sha(2).ToUpperInvariant()))
            .Then(new VersionRegistered(1, Hub, Events.Sha(2), ModelFormat.Gguf, VersionMetadata.Empty, ArtifactStatus.Pending, null, null))
            .ThenState(s => Assert.Equal(ArtifactStatus.Pending, s.Versions[1].Status));

    [Fact]
    public void A_local_file_registers_in_one_event_as_ready_with_its_measured_path_size_and_hash() =>
        Given(Events.ModelRegistered())
            .When(Local())
            .Then(new VersionRegistered(1, LocalFile, Events.Sha(1), ModelFormat.Gguf, VersionMetadata.Empty, ArtifactStatus.Ready,
                "tinyllama/model.gguf", 4096))
            .ThenState(s =>
            {
                var v = s.Versions[1];
                Assert.Equal((ArtifactStatus.Ready, "tinyllama/model.gguf", 4096L, Events.Sha(1)), (v.Status, v.LocalPath, v.SizeBytes, v.Sha256));
            });

    [Fact]
    public void A_local_file_with_the_requested_hash_in_any_case_is_accepted() =>
        Given(Events.ModelRegistered())
            .When(Local(sha256: Events.Sha(1).ToUpperInvariant()))
            .ThenState(s => Assert.Equal(ArtifactStatus.Ready, s.Versions[1].Status));

    [Fact]
    public void A_local_file_whose_hash_differs_from_the_requested_one_is_invalid_on_sha256()
    {
        var error = Given(Events.ModelRegistered())
            .When(Local(sha256: Events.Sha(2)))
            .ThenFails(DomainErrorKind.Invalid, "sha256-mismatch");

        Assert.Equal(["sha256"], error.Errors.Keys);
    }

    [Fact]
    public void A_huggingface_source_without_a_revision_asks_for_main() =>
        Assert.Equal("main", Given()
            .When(Remote(source: Hub with { Revision = null })).Events.OfType<VersionRegistered>().Single().Source.Revision);

    [Theory]
    [InlineData("local", "models/tiny.gguf", null, "gguf")]
    [InlineData("local", "models/VISION.ONNX", null, "onnx")]
    [InlineData("url", "https://example.com/m/model.safetensors?download=true", null, "safetensors")]
    [InlineData("url", "https://example.com/m/model.pt", null, "pt")]
    [InlineData("url", "https://example.com/m/model.pth#frag", null, "pt")]
    [InlineData("huggingface", "org/repo", "pytorch_model.bin", "bin")]
    [InlineData("huggingface", "org/repo.gguf", null, "other")]
    [InlineData("local", "models/readme", null, "other")]
    [InlineData("local", "models/archive.tar.gz", null, "other")]
    public void The_format_is_inferred_from_the_file_name(string type, string uri, string? file, string expected) =>
        Assert.Equal(CatalogRules.Parse<ModelFormat>(expected), RegisterVersion.InferFormat(new VersionSource(CatalogRules.Parse<SourceType>(type), uri, null, file)));

    [Fact]
    public void An_explicit_format_wins_over_the_file_name() =>
        Assert.Equal(ModelFormat.Onnx, Given()
            .When(Remote(format: ModelFormat.Onnx)).Events.OfType<VersionRegistered>().Single().Format);

    [Fact]
    public void A_version_registered_on_a_locked_model_is_refused() =>
        Given(Events.ModelRegistered(), new ModelLocked("release freeze"))
            .When(Remote())
            .ThenFails(DomainErrorKind.Locked, "model-locked");

    [Fact]
    public void A_complete_request_is_valid_and_maps_to_the_command()
    {
        var request = new RegisterVersionRequest(
            3,
            new SourceRequest("HuggingFace", "TheBloke/TinyLlama-GGUF", "v1.0", "q4/tinyllama.gguf"),
            Events.Sha(1),
            "gguf",
            new MetadataRequest("chat", new Dictionary<string, double> { ["mmlu"] = 0.25 }, "llama", "Q4_K_M", 2048,
                new Dictionary<string, string> { ["license"] = "apache-2.0" }));

        Assert.True(new RegisterVersionRequestValidator().Validate(request).IsValid);
        var command = request.ToCommand(Events.Name, new CommandContext("alice", null, null), null);
        Assert.Equal((SourceType.Huggingface, ModelFormat.Gguf, 2048), (command.Source.Type, command.Format, command.Metadata.ContextLength));
    }

    [Theory]
    [InlineData(0, "url", "https://example.com/m.gguf", null, null, null, "Version")]
    [InlineData(null, "ftp", "https://example.com/m.gguf", null, null, null, "Source.Type")]
    [InlineData(null, "url", "", null, null, null, "Source.Uri")]
    [InlineData(null, "url", "ftp://example.com/m.gguf", null, null, null, "Source.Uri")]
    [InlineData(null, "url", "/relative/m.gguf", null, null, null, "Source.Uri")]
    [InlineData(null, "url", " https://example.com/m.gguf", null, null, null, "Source.Uri")]
    [InlineData(null, "url", "https://example.com/m.gguf ", null, null, null, "Source.Uri")]
    [InlineData(null, "local", "models/m.gguf ", null, null, null, "Source.Uri")]
    [InlineData(null, "huggingface", "a/b/c", null, null, null, "Source.Uri")]
    [InlineData(null, "huggingface", "org/repo", "../../etc/passwd", null, null, "Source.File")]
    [InlineData(null, "huggingface", "org/repo", "/abs.gguf", null, null, "Source.File")]
    [InlineData(null, "url", "https://example.com/m.gguf", null, "abc", null, "Sha256")]
    [InlineData(null, "url", "https://example.com/m.gguf", null, null, "pickle", "Format")]
    public void A_malformed_request_names_the_offending_field(
        int? version, string type, string uri, string? file, string? sha256, string? format, string field)
    {
        var request = new RegisterVersionRequest(version, new SourceRequest(type, uri, null, file), sha256, format, null);

        Assert.Contains(new RegisterVersionRequestValidator().Validate(request).Errors, e => e.PropertyName == field);
    }

    [Fact]
    public void A_request_without_a_source_is_invalid() =>
        Assert.Contains(new RegisterVersionRequestValidator().Validate(new RegisterVersionRequest(null, null, null, null, null)).Errors,
            e => e.PropertyName == "Source");

    [Fact]
    public void A_request_with_a_non_positive_context_length_is_invalid()
    {
        var request = new RegisterVersionRequest(null, new SourceRequest("local", "m.gguf", null, null), null, null,
            new MetadataRequest(null, null, null, null, 0, null));

        Assert.Contains(new RegisterVersionRequestValidator().Validate(request).Errors, e => e.PropertyName == "Metadata.ContextLength");
    }
}
