using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Promoting;

public sealed class DemoteVersionTests
{
    [Fact]
    public void Demoting_the_production_version_moves_it_to_staging_and_leaves_no_production_version() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.InProduction(1))
            .When(new DemoteVersion(Events.Name, 1))
            .Then(new VersionDemoted(1, Stage.Production, Stage.Staging))
            .ThenState(s =>
            {
                Assert.Null(s.ProductionVersion);
                Assert.Equal(Stage.Staging, s.Versions[1].Stage);
            });

    [Fact]
    public void Demoting_a_staging_version_records_nothing() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.InProduction(2))
            .When(new DemoteVersion(Events.Name, 1))
            .ThenNothing();

    [Fact]
    public void Demoting_an_archived_version_is_rejected() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), new VersionArchived(1))
            .When(new DemoteVersion(Events.Name, 1))
            .ThenFails(DomainErrorKind.RuleViolation, "version-archived");

    [Fact]
    public void Demoting_an_unknown_version_is_not_found() =>
        Given(Events.ModelRegistered())
            .When(new DemoteVersion(Events.Name, 1))
            .ThenFails(DomainErrorKind.NotFound, "version-not-found");
}
