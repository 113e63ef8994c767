using JasperFx.Events;
using Marten;
using FluentValidation;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Updating;

internal sealed record UpdateModelRequest(string? Description, IReadOnlyDictionary<string, string>? Tags)
{
    public UpdateModel ToCommand(string name, CommandContext context) => new(name, Description, Tags) { Context = context };
}

internal sealed class UpdateModelRequestValidator : AbstractValidator<UpdateModelRequest>
{
    public UpdateModelRequestValidator()
    {
        RuleFor(x => x.Description).Description();
        RuleFor(x => x.Tags).Tags();
    }
}

public sealed record UpdateModel(string Name, string? Description, IReadOnlyDictionary<string, string>? Tags) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, UpdateModel command, DateTimeOffset now)
    {
        state.RequireMutable(command.Name);
        var description = command.Description is { } d && d != state.Description ? d : null;
        var tags = command.Tags is { } t && !SameTags(t, state.Tags) ? t : null;
        return description is null && tags is null ? [] : [new ModelUpdated(description, tags)];
    }

    private static bool SameTags(IReadOnlyDictionary<string, string> requested, IReadOnlyDictionary<string, string> current) =>
        requested.Count == current.Count
        && requested.All(t => current.TryGetValue(t.Key, out var value) && value == t.Value);
}

public static class UpdateModelHandler
{
    public static CommandDone Handle(UpdateModel command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => UpdateModel.Decide(state, command, clock.GetUtcNow()));
}

internal static class UpdateModelEndpoint
{
    public static IEndpointRouteBuilder MapUpdateModel(this IEndpointRouteBuilder models)
    {
        models.MapModel("PATCH", "", (ModelName name, UpdateModelRequest request, HttpContext http, HttpCommands commands) =>
            commands.InvokeOnExistingAsync(http, name,
                context => request.ToCommand(name.Value, context),
                (state, _) => CatalogReplies.Model(state)))
            .WithNames("UpdateModel").WithSummary("Changes a model's description or tags.").Produces<ModelResource>();
        return models;
    }
}
