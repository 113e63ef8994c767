using ModelRegistry.Access;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Locking;

internal sealed record UnlockModel(string Name, string Reason)
{
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

internal static class UnlockModelEndpoint
{
    public static IEndpointRouteBuilder MapUnlockModel(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "unlock", (ModelName name, RequiredReasonBody body, HttpContext http, HttpCommands commands) =>
            commands.RunOnExistingAsync(http, name,
                (state, now) => UnlockModel.Decide(state, new UnlockModel(name.Value, body.Reason!), now),
                (state, _) => CatalogReplies.Model(state),
                body.Reason))
            .RequireRole(Role.Admin).WithNames("UnlockModel").WithSummary("Unlocks a locked model.").Produces<ModelResource>();
        return models;
    }
}
