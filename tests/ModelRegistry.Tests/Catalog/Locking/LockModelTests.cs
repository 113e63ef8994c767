using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Archiving;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Catalog.Integrity;
using ModelRegistry.Catalog.Locking;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Locking;

public sealed class LockModelTests
{
    private static readonly object[] LockedWithHistory =
    [
        Events.ModelRegistered(), Events.ReadyVersion(1), Events.ReadyVersion(2), Events.ReadyVersion(3), Events.PendingVersion(4),
        Events.InProduction(1), Events.InProduction(2, previous: 1), new VersionArchived(3), new ModelLocked("release freeze"),
    ];

    private static readonly Dictionary<string, object> UserMutations = new()
    {
        ["register version"] = new RegisterVersion(Events.Name, null, new VersionSource(SourceType.Url, "https://example.com/m.gguf", null, null),
            null, null, VersionMetadata.Empty, "bob", null),
        ["update"] = new UpdateModel(Events.Name, "changed", null),
        ["promote"] = new PromoteVersion(Events.Name, 1, Stage.Production),
        ["promote to staging"] = new PromoteVersion(Events.Name, 2, Stage.Staging),
        ["demote"] = new DemoteVersion(Events.Name, 2),
        ["rollback"] = new Rollback(Events.Name),
        ["archive"] = new ArchiveVersion(Events.Name, 1),
        ["restore"] = new RestoreVersion(Events.Name, 3),
    };

    private static readonly Dictionary<string, object> RecordedFacts = new()
    {
        ["start download"] = new StartDownload(Events.Name, 4, Events.Job),
        ["fail download"] = new FailDownload(Events.Name, 4, Events.Job, "connection reset"),
        ["complete download"] = new CompleteDownload(Events.Name, 4, Events.Job, "tinyllama/v4.gguf", 10, Events.Sha(4), null, null, null),
        ["missing file"] = new RecordIntegrity(Events.Name, 2, new FileFound.Nothing()),
        ["corrupted file"] = new RecordIntegrity(Events.Name, 2, new FileFound.Hashed(Events.Sha(5))),
    };

    public static TheoryData<string> UserMutationNames => [.. UserMutations.Keys];

    public static TheoryData<string> RecordedFactNames => [.. RecordedFacts.Keys];

    [Fact]
    public void Locking_records_the_reason() =>
        Given(Events.ModelRegistered())
            .When(new LockModel(Events.Name, "release freeze"))
            .Then(new ModelLocked("release freeze"))
            .ThenState(s => Assert.Equal((true, "release freeze"), (s.Locked, s.LockReason)));

    [Theory]
    [MemberData(nameof(UserMutationNames))]
    public void A_locked_model_refuses_every_mutation(string mutation) =>
        Given(LockedWithHistory)
            .When(UserMutations[mutation])
            .ThenFails(DomainErrorKind.Locked, "model-locked");

    [Theory]
    [MemberData(nameof(UserMutationNames))]
    public void Every_refused_mutation_is_accepted_once_the_model_is_unlocked(string mutation) =>
        Assert.NotEmpty(Given(LockedWithHistory, new ModelUnlocked("freeze over")).When(UserMutations[mutation]).Events);

    [Theory]
    [MemberData(nameof(RecordedFactNames))]
    public void A_locked_model_still_records_what_happened_to_its_files(string fact) =>
        Assert.NotEmpty(Given(LockedWithHistory).When(RecordedFacts[fact]).Events);

    [Fact]
    public void Locking_a_locked_model_records_nothing() =>
        Given(Events.ModelRegistered(), new ModelLocked("release freeze"))
            .When(new LockModel(Events.Name, "again"))
            .ThenNothing();

    [Fact]
    public void Locking_without_a_reason_is_invalid() =>
        Given(Events.ModelRegistered())
            .When(new LockModel(Events.Name, "  "))
            .ThenFails(DomainErrorKind.Invalid, "reason-required");

    [Fact]
    public void Locking_an_unknown_model_is_not_found() =>
        Given()
            .When(new LockModel(Events.Name, "freeze"))
            .ThenFails(DomainErrorKind.NotFound, "model-not-found");

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("release freeze", true)]
    public void A_lock_or_unlock_request_needs_a_reason(string? reason, bool valid) =>
        Assert.Equal(valid, new RequiredReasonBodyValidator().Validate(new RequiredReasonBody(reason)).IsValid);
}
