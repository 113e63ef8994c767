using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Integrity;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Integrity;

public sealed class RecordIntegrityTests
{
    private static readonly object[] Ready = [Events.ModelRegistered(), Events.ReadyVersion(1)];

    [Fact]
    public void A_missing_file_marks_the_version_missing() =>
        Given(Ready)
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.Nothing()))
            .Then(new ArtifactMissing(1))
            .ThenState(s => Assert.Equal(ArtifactStatus.Missing, s.Versions[1].Status));

    [Fact]
    public void A_file_with_another_hash_marks_the_version_corrupted() =>
        Given(Ready)
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.Hashed(Events.Sha(2))))
            .Then(new ArtifactCorrupted(1, Events.Sha(1), Events.Sha(2)))
            .ThenState(s => Assert.Equal((ArtifactStatus.Corrupted, Events.Sha(1)), (s.Versions[1].Status, s.Versions[1].Sha256)));

    [Fact]
    public void Something_else_in_place_of_the_file_marks_the_version_corrupted_without_a_hash() =>
        Given(Ready)
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.SomethingElse()))
            .Then(new ArtifactCorrupted(1, Events.Sha(1), null))
            .ThenState(s => Assert.Equal(ArtifactStatus.Corrupted, s.Versions[1].Status));

    [Fact]
    public void Something_else_in_place_of_a_missing_file_marks_the_version_corrupted() =>
        Given(Ready, new ArtifactMissing(1))
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.SomethingElse()))
            .Then(new ArtifactCorrupted(1, Events.Sha(1), null));

    [Fact]
    public void A_file_that_matches_again_is_verified_and_ready() =>
        Given(Ready, new ArtifactCorrupted(1, Events.Sha(1), Events.Sha(2)))
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.Hashed(Events.Sha(1).ToUpperInvariant())))
            .Then(new ArtifactVerified(1, Events.Sha(1)))
            .ThenState(s => Assert.Equal(ArtifactStatus.Ready, s.Versions[1].Status));

    [Fact]
    public void A_ready_version_whose_file_matches_records_nothing() =>
        Given(Ready)
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.Hashed(Events.Sha(1))))
            .ThenNothing();

    [Fact]
    public void Finding_a_missing_file_missing_again_records_nothing() =>
        Given(Ready, new ArtifactMissing(1))
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.Nothing()))
            .ThenNothing();

    [Fact]
    public void Finding_a_corrupted_file_corrupted_again_records_nothing() =>
        Given(Ready, new ArtifactCorrupted(1, Events.Sha(1), Events.Sha(2)))
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.Hashed(Events.Sha(3))))
            .ThenNothing();

    [Fact]
    public void Checking_a_version_that_was_never_downloaded_is_a_conflict() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1))
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.Nothing()))
            .ThenFails(DomainErrorKind.Conflict, "no-artifact");

    [Fact]
    public void Checking_an_unknown_version_is_not_found() =>
        Given(Events.ModelRegistered())
            .When(new RecordIntegrity(Events.Name, 1, new FileFound.Nothing()))
            .ThenFails(DomainErrorKind.NotFound, "version-not-found");
}
