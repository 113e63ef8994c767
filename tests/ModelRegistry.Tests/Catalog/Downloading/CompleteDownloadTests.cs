using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Downloading;

public sealed class CompleteDownloadTests
{
    private static readonly object[] Downloading = [Events.ModelRegistered(), Events.PendingVersion(1), new VersionDownloadStarted(1, Events.Job)];

    private static CompleteDownload Complete(string? sha256 = null, Guid? job = null) => new(
        Events.Name, 1, job ?? Events.Job, "TheBloke/TinyLlama-GGUF/v1.gguf", 637_000_000, sha256 ?? Events.Sha(1).ToUpperInvariant(),
        "https://cdn.example/v1.gguf", "4f0c246", "\"etag-1\"");

    [Fact]
    public void Completing_a_download_makes_the_version_ready_with_its_file_provenance_and_time() =>
        Given(Downloading)
            .When(Complete())
            .Then(new VersionDownloaded(1, "TheBloke/TinyLlama-GGUF/v1.gguf", 637_000_000, Events.Sha(1), Now,
                "https://cdn.example/v1.gguf", "4f0c246", "\"etag-1\""))
            .ThenState(s =>
            {
                var v = s.Versions[1];
                Assert.Equal((ArtifactStatus.Ready, "TheBloke/TinyLlama-GGUF/v1.gguf", 637_000_000L, Events.Sha(1), Now),
                    (v.Status, v.LocalPath, v.SizeBytes, v.Sha256, v.DownloadedAt));
            });

    [Fact]
    public void A_download_without_an_expected_hash_takes_the_measured_one() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1) with { Sha256 = null }, new VersionDownloadStarted(1, Events.Job))
            .When(Complete(sha256: Events.Sha(3)))
            .ThenState(s => Assert.Equal(Events.Sha(3), s.Versions[1].Sha256));

    [Fact]
    public void A_download_of_a_file_a_version_has_already_names_that_version_as_duplicate_of() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(3), Events.PendingVersion(1) with { Sha256 = null }, new VersionDownloadStarted(1, Events.Job))
            .When(Complete(sha256: Events.Sha(3)))
            .ThenState(s => Assert.Equal(3, s.Versions[1].DuplicateOf));

    [Fact]
    public void A_download_of_new_content_is_a_duplicate_of_nothing() =>
        Given(Downloading)
            .When(Complete())
            .ThenState(s => Assert.Null(s.Versions[1].DuplicateOf));

    [Fact]
    public void Completing_with_a_hash_other_than_the_expected_one_is_invalid() =>
        Given(Downloading)
            .When(Complete(sha256: Events.Sha(2)))
            .ThenFails(DomainErrorKind.Invalid, "sha256-mismatch");

    [Fact]
    public void Completing_the_same_download_twice_records_nothing() =>
        Given(Downloading, new VersionDownloaded(1, "TheBloke/TinyLlama-GGUF/v1.gguf", 637_000_000, Events.Sha(1), Now, null, null, null))
            .When(Complete())
            .ThenNothing();

    [Fact]
    public void Completing_a_download_that_another_job_owns_is_a_conflict() =>
        Given(Downloading)
            .When(Complete(job: Guid.Parse("0197a000-0000-7000-8000-000000000009")))
            .ThenFails(DomainErrorKind.Conflict, "download-in-progress");

    [Fact]
    public void Completing_a_download_of_an_unknown_version_is_not_found() =>
        Given(Events.ModelRegistered())
            .When(Complete())
            .ThenFails(DomainErrorKind.NotFound, "version-not-found");
}
