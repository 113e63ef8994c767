using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Locking;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Locking;

public sealed class UnlockModelTests
{
    [Fact]
    public void Unlocking_a_locked_model_records_the_reason_and_clears_the_lock() =>
        Given(Events.ModelRegistered(), new ModelLocked("release freeze"))
            .When(new UnlockModel(Events.Name, "freeze over"))
            .Then(new ModelUnlocked("freeze over"))
            .ThenState(s => Assert.Equal((false, null), (s.Locked, s.LockReason)));

    [Fact]
    public void Unlocking_an_unlocked_model_records_nothing() =>
        Given(Events.ModelRegistered())
            .When(new UnlockModel(Events.Name, "just in case"))
            .ThenNothing();

    [Fact]
    public void Unlocking_without_a_reason_is_invalid() =>
        Given(Events.ModelRegistered(), new ModelLocked("release freeze"))
            .When(new UnlockModel(Events.Name, ""))
            .ThenFails(DomainErrorKind.Invalid, "reason-required");

    [Fact]
    public void Unlocking_an_unknown_model_is_not_found() =>
        Given()
            .When(new UnlockModel(Events.Name, "x"))
            .ThenFails(DomainErrorKind.NotFound, "model-not-found");
}
