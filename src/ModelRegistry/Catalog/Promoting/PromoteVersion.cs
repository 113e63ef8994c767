using JasperFx.Events;
using Marten;
using FluentValidation;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Promoting;

internal sealed record PromoteVersionRequest(string? Stage, string? Reason)
{
    public PromoteVersion ToCommand(string name, int version, CommandContext context) =>
        new(name, version, CatalogRules.Parse<Stage>(Stage!)) { Context = context };
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

public sealed record PromoteVersion(string Name, int Version, Stage Stage) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

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

public static class PromoteVersionHandler
{
    public static CommandDone Handle(PromoteVersion command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => PromoteVersion.Decide(state, command, clock.GetUtcNow()));
}

internal static class PromoteVersionEndpoint
{
    public static IEndpointRouteBuilder MapPromoteVersion(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "versions/{version:int}/promote",
            (ModelName name, int version, PromoteVersionRequest request, HttpContext http, HttpCommands commands) =>
                commands.InvokeOnExistingAsync(http, name,
                    context => request.ToCommand(name.Value, version, context),
                    (state, _) => CatalogReplies.Version(state, version),
                    request.Reason))
            .WithNames("PromoteVersion")
            .WithSummary("Moves a version to staging or production; promoting to production demotes the one there.")
            .Produces<VersionResource>();
        return models;
    }
}
