using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Archiving;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Archiving;

public sealed class ArchiveVersionTests
{
    [Fact]
    public void Archiving_a_staging_version_moves_it_to_archived() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(new ArchiveVersion(Events.Name, 1))
            .Then(new VersionArchived(1))
            .ThenState(s => Assert.Equal(Stage.Archived, s.Versions[1].Stage));

    [Fact]
    public void Archiving_the_production_version_is_a_conflict() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.InProduction(1))
            .When(new ArchiveVersion(Events.Name, 1))
            .ThenFails(DomainErrorKind.Conflict, "archive-production");

    [Fact]
    public void Archiving_an_archived_version_records_nothing() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), new VersionArchived(1))
            .When(new ArchiveVersion(Events.Name, 1))
            .ThenNothing();

    [Fact]
    public void Archiving_an_unknown_version_is_not_found() =>
        Given(Events.ModelRegistered())
            .When(new ArchiveVersion(Events.Name, 9))
            .ThenFails(DomainErrorKind.NotFound, "version-not-found");
}
