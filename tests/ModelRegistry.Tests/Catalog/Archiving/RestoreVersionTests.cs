using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Archiving;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Archiving;

public sealed class RestoreVersionTests
{
    [Fact]
    public void Restoring_an_archived_version_returns_it_to_staging() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), new VersionArchived(1))
            .When(new RestoreVersion(Events.Name, 1))
            .Then(new VersionRestored(1))
            .ThenState(s => Assert.Equal(Stage.Staging, s.Versions[1].Stage));

    [Fact]
    public void A_restored_version_can_be_promoted_again() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), new VersionArchived(1), new VersionRestored(1))
            .When(new PromoteVersion(Events.Name, 1, Stage.Production))
            .Then(new VersionPromoted(1, Stage.Production, null, false));

    [Fact]
    public void Restoring_a_version_that_is_not_archived_records_nothing() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.InProduction(1))
            .When(new RestoreVersion(Events.Name, 1))
            .ThenNothing();

    [Fact]
    public void Restoring_an_unknown_version_is_not_found() =>
        Given(Events.ModelRegistered())
            .When(new RestoreVersion(Events.Name, 2))
            .ThenFails(DomainErrorKind.NotFound, "version-not-found");
}
