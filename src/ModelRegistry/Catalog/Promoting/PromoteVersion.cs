using FluentValidation;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Promoting;

internal sealed record PromoteVersionRequest(string? Stage, string? Reason)
{
    public PromoteVersion ToCommand(string name, int version) => new(name, version, CatalogRules.Parse<Stage>(Stage!));
}

internal sealed class PromoteVersionRequestValidator : AbstractValidator<PromoteVersionRequest>
{
    public PromoteVersionRequestValidator()
    {
        RuleFor(x => x.Stage).NotEmpty().Must(s => s is not null && CatalogRules.IsOneOf<Stage>(s) && CatalogRules.Parse<Stage>(s) != Catalog.Stage.Archived)
            .WithMessage("One of: production, staging.");
        RuleFor(x => x.Reason).Reason();
    }
}

internal sealed record PromoteVersion(string Name, int Version, Stage Stage)
{
    public static IReadOnlyList<object> Decide(ModelState state, PromoteVersion command, DateTimeOffset now)
    {
        var target = state.RequireMutable(command.Name).RequireVersion(command.Version);
        return (command.Stage, target.Stage) switch
        {
            (_, Stage.Archived) => throw CatalogErrors.VersionArchived(state.Name, target.Version),
            (Stage.Production, Stage.Production) or (Stage.Staging, Stage.Staging) => [],
            (Stage.Staging, Stage.Production) => [new VersionDemoted(target.Version, Stage.Production, Stage.Staging)],
            (Stage.Production, _) => ToProduction(state, target, rollback: false),
            _ => throw DomainErrors.Invalid("stage", "invalid-stage", "A version is promoted to production or staging."),
        };
    }

    public static IReadOnlyList<object> ToProduction(ModelState state, VersionState target, bool rollback)
    {
        if (target.Stage == Stage.Archived)
        {
            throw CatalogErrors.VersionArchived(state.Name, target.Version);
        }

        if (target.Status != ArtifactStatus.Ready)
        {
            throw CatalogErrors.VersionNotReady(state.Name, target);
        }

        var promoted = new VersionPromoted(target.Version, Stage.Production, state.ProductionVersion, rollback);
        return state.ProductionVersion is { } current
            ? [new VersionDemoted(current, Stage.Production, Stage.Staging), promoted]
            : [promoted];
    }
}

internal static class PromoteVersionEndpoint
{
    public static IEndpointRouteBuilder MapPromoteVersion(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "versions/{version:int}/promote",
            (ModelName name, int version, PromoteVersionRequest request, HttpContext http, HttpCommands commands) =>
                commands.RunOnExistingAsync(http, name,
                    (state, now) => PromoteVersion.Decide(state, request.ToCommand(name.Value, version), now),
                    (state, _) => CatalogReplies.Version(state, version),
                    request.Reason))
            .WithNames("PromoteVersion")
            .WithSummary("Moves a version to staging or production; promoting to production demotes the one there.")
            .Produces<VersionResource>();
        return models;
    }
}
