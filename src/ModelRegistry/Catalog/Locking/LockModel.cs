using JasperFx.Events;
using Marten;
using ModelRegistry.Access;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Locking;

public sealed record LockModel(string Name, string Reason) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, LockModel command, DateTimeOffset now)
    {
        state.RequireExisting(command.Name);
        if (string.IsNullOrWhiteSpace(command.Reason))
        {
            throw DomainErrors.Invalid("reason", "reason-required", "Locking a model needs a reason.");
        }

        return state.Locked ? [] : [new ModelLocked(command.Reason)];
    }
}

public static class LockModelHandler
{
    public static CommandDone Handle(LockModel command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => LockModel.Decide(state, command, clock.GetUtcNow()));
}

internal static class LockModelEndpoint
{
    public static IEndpointRouteBuilder MapLockModel(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "lock", (ModelName name, RequiredReasonBody body, HttpContext http, HttpCommands commands) =>
            commands.InvokeOnExistingAsync(http, name,
                context => new LockModel(name.Value, body.Reason!) { Context = context },
                (state, _) => CatalogReplies.Model(state),
                body.Reason))
            .RequireRole(Role.Admin).WithNames("LockModel").WithSummary("Locks a model: no command changes it until it is unlocked.").Produces<ModelResource>();
        return models;
    }
}
