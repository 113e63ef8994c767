using JasperFx.Events;
using Marten;
using ModelRegistry.Access;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Locking;

public sealed record UnlockModel(string Name, string Reason) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, UnlockModel command, DateTimeOffset now)
    {
        state.RequireExisting(command.Name);
        if (string.IsNullOrWhiteSpace(command.Reason))
        {
            throw DomainErrors.Invalid("reason", "reason-required", "Unlocking a model needs a reason.");
        }

        return state.Locked ? [new ModelUnlocked(command.Reason)] : [];
    }
}

public static class UnlockModelHandler
{
    public static CommandDone Handle(UnlockModel command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => UnlockModel.Decide(state, command, clock.GetUtcNow()));
}

internal static class UnlockModelEndpoint
{
    public static IEndpointRouteBuilder MapUnlockModel(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "unlock", (ModelName name, RequiredReasonBody body, HttpContext http, HttpCommands commands) =>
            commands.InvokeOnExistingAsync(http, name,
                context => new UnlockModel(name.Value, body.Reason!) { Context = context },
                (state, _) => CatalogReplies.Model(state),
                body.Reason))
            .RequireRole(Role.Admin).WithNames("UnlockModel").WithSummary("Unlocks a locked model.").Produces<ModelResource>();
        return models;
    }
}
