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
