using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Downloading;

public sealed class StartDownloadTests
{
    private static readonly Guid OtherJob = Guid.Parse("0197a000-0000-7000-8000-000000000002");

    [Fact]
    public void Starting_a_download_marks_the_version_downloading_by_that_job() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1))
            .When(new StartDownload(Events.Name, 1, Events.Job))
            .Then(new VersionDownloadStarted(1, Events.Job))
            .ThenState(s => Assert.Equal((ArtifactStatus.Downloading, Events.Job), (s.Versions[1].Status, s.Versions[1].DownloadJobId)));

    [Fact]
    public void Starting_the_same_job_again_records_nothing() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1), new VersionDownloadStarted(1, Events.Job))
            .When(new StartDownload(Events.Name, 1, Events.Job))
            .ThenNothing();

    [Fact]
    public void Starting_another_job_while_one_runs_is_a_conflict() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1), new VersionDownloadStarted(1, Events.Job))
            .When(new StartDownload(Events.Name, 1, OtherJob))
            .ThenFails(DomainErrorKind.Conflict, "download-in-progress");

    [Fact]
    public void Starting_a_download_of_a_ready_version_is_a_conflict() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(new StartDownload(Events.Name, 1, Events.Job))
            .ThenFails(DomainErrorKind.Conflict, "version-already-ready");

    [Theory]
    [InlineData("failed")]
    [InlineData("missing")]
    [InlineData("corrupted")]
    public void A_version_without_a_good_file_can_be_downloaded_again(string status) =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1) with { Status = CatalogRules.Parse<ArtifactStatus>(status) })
            .When(new StartDownload(Events.Name, 1, OtherJob))
            .Then(new VersionDownloadStarted(1, OtherJob));

    [Fact]
    public void Starting_a_download_of_an_unknown_model_is_not_found() =>
        Given()
            .When(new StartDownload(Events.Name, 1, Events.Job))
            .ThenFails(DomainErrorKind.NotFound, "model-not-found");
}
