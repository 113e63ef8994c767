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
