using System.Collections.Immutable;
using FluentValidation;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Registering;

internal sealed record RegisterModelRequest(string? Name, string? Description, IReadOnlyDictionary<string, string>? Tags)
{
    public RegisterModel ToCommand(string? owner) =>
        new(Name!, Description, Tags ?? ImmutableDictionary<string, string>.Empty, owner);
}

internal sealed class RegisterModelRequestValidator : AbstractValidator<RegisterModelRequest>
{
    public RegisterModelRequestValidator()
    {
        RuleFor(x => x.Name).ModelName();
        RuleFor(x => x.Description).Description();
        RuleFor(x => x.Tags).Tags();
    }
}

internal sealed record RegisterModel(string Name, string? Description, IReadOnlyDictionary<string, string> Tags, string? Owner)
{
    public static IReadOnlyList<object> Decide(ModelState state, RegisterModel command, DateTimeOffset now) =>
        state.Exists
            ? throw DomainErrors.Conflict("duplicate-model", $"A model named '{state.Name}' already exists.")
            : [new ModelRegistered(command.Name, command.Description, command.Tags, command.Owner)];
}

internal static class RegisterModelEndpoint
{
    public static IEndpointRouteBuilder MapRegisterModel(this IEndpointRouteBuilder models)
    {
        models.MapPost("", (RegisterModelRequest request, HttpContext http, HttpCommands commands) =>
            commands.RunAsync(http, request.Name!,
                (state, now) => RegisterModel.Decide(state, request.ToCommand(CatalogReplies.ActorOf(http)), now),
                (state, _) => CatalogReplies.Model(state, StatusCodes.Status201Created)))
            .WithName("RegisterModel").WithSummary("Registers a model, without versions yet.").Produces<ModelResource>(StatusCodes.Status201Created);
        return models;
    }
}
