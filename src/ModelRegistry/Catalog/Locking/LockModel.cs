using ModelRegistry.Access;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Locking;

internal sealed record LockModel(string Name, string Reason)
{
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

internal static class LockModelEndpoint
{
    public static IEndpointRouteBuilder MapLockModel(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "lock", (ModelName name, RequiredReasonBody body, HttpContext http, HttpCommands commands) =>
            commands.RunOnExistingAsync(http, name,
                (state, now) => LockModel.Decide(state, new LockModel(name.Value, body.Reason!), now),
                (state, _) => CatalogReplies.Model(state),
                body.Reason))
            .RequireRole(Role.Admin).WithNames("LockModel").WithSummary("Locks a model: no command changes it until it is unlocked.").Produces<ModelResource>();
        return models;
    }
}
