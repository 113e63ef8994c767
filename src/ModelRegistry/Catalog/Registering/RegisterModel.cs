using JasperFx.Events;
using Marten;
using System.Collections.Immutable;
using FluentValidation;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Registering;

internal sealed record RegisterModelRequest(string? Name, string? Description, IReadOnlyDictionary<string, string>? Tags)
{
    public RegisterModel ToCommand(CommandContext context) =>
        new(Name!, Description, Tags ?? ImmutableDictionary<string, string>.Empty, context.Actor) { Context = context };
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

public sealed record RegisterModel(string Name, string? Description, IReadOnlyDictionary<string, string> Tags, string? Owner) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, RegisterModel command, DateTimeOffset now) =>
        state.Exists
            ? throw DomainErrors.Conflict("duplicate-model", $"A model named '{state.Name}' already exists.")
            : [new ModelRegistered(command.Name, command.Description, command.Tags, command.Owner)];
}

public static class RegisterModelHandler
{
    public static CommandDone Handle(RegisterModel command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => RegisterModel.Decide(state, command, clock.GetUtcNow()));
}

internal static class RegisterModelEndpoint
{
    public static IEndpointRouteBuilder MapRegisterModel(this IEndpointRouteBuilder models)
    {
        models.MapPost("", (RegisterModelRequest request, HttpContext http, HttpCommands commands) =>
            commands.InvokeAsync(http,
                request.ToCommand,
                (state, _) => CatalogReplies.Model(state, StatusCodes.Status201Created)))
            .WithName("RegisterModel").WithSummary("Registers a model, without versions yet.").Produces<ModelResource>(StatusCodes.Status201Created);
        return models;
    }
}
