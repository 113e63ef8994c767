using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Promoting;

public sealed class PromoteVersionTests
{
    private static PromoteVersion ToProduction(int version) => new(Events.Name, version, Stage.Production);

    [Fact]
    public void Promoting_a_ready_version_records_it_with_no_previous_version() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(ToProduction(1))
            .Then(new VersionPromoted(1, Stage.Production, null, false))
            .ThenState(s => Assert.Equal((1, Stage.Production), (s.ProductionVersion, s.Versions[1].Stage)));

    [Fact]
    public void Promoting_demotes_the_current_production_version_in_the_same_decision() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.InProduction(1))
            .When(ToProduction(2))
            .Then(new VersionDemoted(1, Stage.Production, Stage.Staging), new VersionPromoted(2, Stage.Production, 1, false))
            .ThenState(s =>
            {
                Assert.Equal(2, s.ProductionVersion);
                Assert.Equal(Stage.Staging, s.Versions[1].Stage);
                Assert.Equal(Stage.Production, s.Versions[2].Stage);
            });

    [Fact]
    public void Promoting_the_production_version_again_records_nothing() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.InProduction(1))
            .When(ToProduction(1))
            .ThenNothing();

    [Fact]
    public void A_downloaded_version_can_be_promoted() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1), Events.Downloaded(1))
            .When(ToProduction(1))
            .Then(new VersionPromoted(1, Stage.Production, null, false));

    [Theory]
    [InlineData("pending")]
    [InlineData("downloading")]
    [InlineData("failed")]
    [InlineData("missing")]
    [InlineData("corrupted")]
    public void Promoting_a_version_that_is_not_ready_is_a_rule_violation(string status) =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1) with { Status = CatalogRules.Parse<ArtifactStatus>(status) })
            .When(ToProduction(1))
            .ThenFails(DomainErrorKind.RuleViolation, "version-not-ready");

    [Fact]
    public void Promoting_an_archived_version_is_rejected() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), new VersionArchived(1))
            .When(ToProduction(1))
            .ThenFails(DomainErrorKind.RuleViolation, "version-archived");

    [Fact]
    public void Promoting_an_unknown_version_is_not_found() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1))
            .When(ToProduction(2))
            .ThenFails(DomainErrorKind.NotFound, "version-not-found");

    [Fact]
    public void Promoting_a_version_of_an_unknown_model_is_not_found() =>
        Given()
            .When(ToProduction(1))
            .ThenFails(DomainErrorKind.NotFound, "model-not-found");

    [Fact]
    public void Promoting_the_production_version_to_staging_demotes_it() =>
        Given(Events.ModelRegistered(), Events.ReadyVersion(1), Events.InProduction(1))
            .When(new PromoteVersion(Events.Name, 1, Stage.Staging))
            .Then(new VersionDemoted(1, Stage.Production, Stage.Staging))
            .ThenState(s => Assert.Null(s.ProductionVersion));

    [Fact]
    public void Promoting_a_staging_version_to_staging_records_nothing() =>
        Given(Events.ModelRegistered(), Events.PendingVersion(1))
            .When(new PromoteVersion(Events.Name, 1, Stage.Staging))
            .ThenNothing();

    [Theory]
    [InlineData("production", true)]
    [InlineData("Staging", true)]
    [InlineData("archived", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void The_stage_in_a_request_is_production_or_staging(string? stage, bool valid) =>
        Assert.Equal(valid, new PromoteVersionRequestValidator().Validate(new PromoteVersionRequest(stage, null)).IsValid);

    [Fact]
    public void Exactly_one_production_version_remains_after_any_sequence_of_commands()
    {
        var random = new Random(20250601);
        var state = Fold([Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.ReadyVersion(3),
            Events.ReadyVersion(4), Events.PendingVersion(5)]);
        var applied = 0;
        for (var step = 0; step < 5000; step++)
        {
            var version = random.Next(1, 6);
            object command = random.Next(8) switch
            {
                0 or 1 => ToProduction(version),
                2 => new PromoteVersion(Events.Name, version, Stage.Staging),
                3 => new DemoteVersion(Events.Name, version),
                4 => new ModelRegistry.Catalog.Archiving.ArchiveVersion(Events.Name, version),
                5 => new ModelRegistry.Catalog.Archiving.RestoreVersion(Events.Name, version),
                _ => new Rollback(Events.Name),
            };
            try
            {
                var events = Decide(state, command);
                state = events.Aggregate(state, CatalogStream.Evolve);
                applied += events.Count;
            }
            catch (DomainException)
            {
            }

            var inProduction = state.Versions.Values.Where(v => v.Stage == Stage.Production).Select(v => v.Version).ToList();
            Assert.True(inProduction.Count <= 1, $"step {step}: {string.Join(",", inProduction)} in production");
            Assert.Equal(state.ProductionVersion is { } p ? [p] : [], inProduction);
            if (state.ProductionVersion is { } current)
            {
                Assert.Equal(current, state.ProductionLineage[^1]);
            }
        }

        Assert.True(applied > 1000);
    }
}
