using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Downloading;

public sealed class FailDownloadTests
{
    [Fact]
    public void Failing_a_download_records_the_reason_and_marks_the_version_failed() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1), new VersionDownloadStarted(1, Events.Job))
            .When(new FailDownload(Events.Name, 1, Events.Job, "sha256 mismatch after 5 attempts"))
            .Then(new VersionDownloadFailed(1, "sha256 mismatch after 5 attempts"))
            .ThenState(s => Assert.Equal(ArtifactStatus.Failed, s.Versions[1].Status));

    [Fact]
    public void A_failure_reported_after_the_version_became_ready_records_nothing() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1), Events.Downloaded(1))
            .When(new FailDownload(Events.Name, 1, Events.Job, "late"))
            .ThenNothing();

    [Fact]
    public void A_failure_of_a_job_that_no_longer_owns_the_download_records_nothing() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1), new VersionDownloadStarted(1, Events.Job))
            .When(new FailDownload(Events.Name, 1, Guid.Parse("0197a000-0000-7000-8000-000000000009"), "stale lease"))
            .ThenNothing();

    [Fact]
    public void Failing_a_download_of_an_unknown_model_is_not_found() =>
        Given()
            .When(new FailDownload(Events.Name, 1, Events.Job, "x"))
            .ThenFails(DomainErrorKind.NotFound, "model-not-found");
}
