using FluentValidation;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Updating;

internal sealed record UpdateModelRequest(string? Description, IReadOnlyDictionary<string, string>? Tags)
{
    public UpdateModel ToCommand(string name) => new(name, Description, Tags);
}

internal sealed class UpdateModelRequestValidator : AbstractValidator<UpdateModelRequest>
{
    public UpdateModelRequestValidator()
    {
        RuleFor(x => x.Description).Description();
        RuleFor(x => x.Tags).Tags();
    }
}

internal sealed record UpdateModel(string Name, string? Description, IReadOnlyDictionary<string, string>? Tags)
{
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

internal static class UpdateModelEndpoint
{
    public static IEndpointRouteBuilder MapUpdateModel(this IEndpointRouteBuilder models)
    {
        models.MapModel("PATCH", "", (ModelName name, UpdateModelRequest request, HttpContext http, HttpCommands commands) =>
            commands.RunOnExistingAsync(http, name,
                (state, now) => UpdateModel.Decide(state, request.ToCommand(name.Value), now),
                (state, _) => CatalogReplies.Model(state)))
            .WithNames("UpdateModel").WithSummary("Changes a model's description or tags.").Produces<ModelResource>();
        return models;
    }
}
