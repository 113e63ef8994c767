using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Promoting;

public sealed class RollbackTests
{
    private static readonly Rollback RollBack = new(Events.Name);

    private static readonly object[] ThreeReleases =
    [
        Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.ReadyVersion(3),
        Events.InProduction(1), Events.InProduction(2, previous: 1), Events.InProduction(3, previous: 2),
    ];

    [Fact]
    public void Rollback_promotes_the_version_that_was_in_production_before_the_current_one() =>
        Given(ThreeReleases)
            .When(RollBack)
            .Then(new VersionDemoted(3, Stage.Production, Stage.Staging), new VersionPromoted(2, Stage.Production, 3, true))
            .ThenState(s =>
            {
                Assert.Equal(2, s.ProductionVersion);
                Assert.Equal(Stage.Staging, s.Versions[3].Stage);
            });

    [Fact]
    public void Repeated_rollbacks_keep_walking_back_until_there_is_no_earlier_version()
    {
        var history = ThreeReleases.ToList();

        history.AddRange(Given(history).When(RollBack).Then(Events.RolledBack(2, from: 3)).Events);
        history.AddRange(Given(history).When(RollBack).Then(Events.RolledBack(1, from: 2)).Events);

        Assert.Equal(1, Given(history).State.ProductionVersion);
        Given(history).When(RollBack).ThenFails(DomainErrorKind.Conflict, "no-previous-production");
    }

    [Fact]
    public void A_rollback_after_a_new_promotion_returns_to_the_version_that_promotion_replaced() =>
        Given(ThreeReleases, Events.RolledBack(2, from: 3), Events.ReadyVersion(4), Events.InProduction(4, previous: 2))
            .When(RollBack)
            .Then(Events.RolledBack(2, from: 4));

    [Fact]
    public void A_manual_promotion_back_to_an_earlier_version_is_itself_a_step_that_rollback_undoes() =>
        Given(ThreeReleases, Events.InProduction(1, previous: 3))
            .When(RollBack)
            .Then(Events.RolledBack(3, from: 1));

    [Fact]
    public void Rollback_reaches_the_previous_production_version_across_a_period_without_one() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.InProduction(1),
                new VersionDemoted(1, Stage.Production, Stage.Staging), Events.InProduction(2))
            .When(RollBack)
            .Then(Events.RolledBack(1, from: 2));

    [Fact]
    public void Rollback_without_a_previous_production_version_is_a_conflict() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.InProduction(1))
            .When(RollBack)
            .ThenFails(DomainErrorKind.Conflict, "no-previous-production");

    [Fact]
    public void Rollback_without_a_production_version_is_a_conflict() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.InProduction(1),
                Events.InProduction(2, previous: 1), new VersionDemoted(2, Stage.Production, Stage.Staging))
            .When(RollBack)
            .ThenFails(DomainErrorKind.Conflict, "no-production-version");

    [Fact]
    public void Rollback_to_an_archived_version_is_a_rule_violation() =>
        Given(ThreeReleases, new VersionArchived(2))
            .When(RollBack)
            .ThenFails(DomainErrorKind.RuleViolation, "version-archived");

    [Fact]
    public void Rollback_to_a_version_whose_file_went_missing_is_a_rule_violation() =>
        Given(ThreeReleases, new ArtifactMissing(2))
            .When(RollBack)
            .ThenFails(DomainErrorKind.RuleViolation, "version-not-ready");

    [Fact]
    public void Rollback_of_an_unknown_model_is_not_found() =>
        Given().When(RollBack).ThenFails(DomainErrorKind.NotFound, "model-not-found");
}
