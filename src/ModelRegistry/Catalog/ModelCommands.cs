using System.Globalization;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Core;
using JasperFx.Events;
using Marten;
using ModelRegistry.Common;
using Wolverine;
using Wolverine.Configuration;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace ModelRegistry.Catalog;

/// <summary>
/// What a command carries besides its own fields, into the events it appends: who asked, the request's correlation and
/// causation ids, the human reason, the stream version an If-Match named, and the Idempotency-Key to claim with the events.
/// </summary>
public sealed record CommandContext(string? Actor, string? CorrelationId, string? CausationId, string? Reason = null)
{
    public static CommandContext None { get; } = new(null, null, null);

    public long? IfMatch { get; init; }

    public IdempotencyClaim? Claim { get; init; }

    /// <summary>Gives the events <paramref name="session"/> appends this context's actor, correlation, causation and reason.</summary>
    public void StampOn(IDocumentSession session)
    {
        session.CorrelationId = CorrelationId ?? session.CorrelationId;
        session.CausationId = CausationId ?? session.CausationId;
        session.LastModifiedBy = Actor;
        if (Reason is { } reason)
        {
            session.SetHeader(RegistryStore.ReasonHeader, reason);
        }
    }
}

/// <summary>An Idempotency-Key, claimed in the transaction of the events it answers for, so that a retry can never append twice.</summary>
public sealed record IdempotencyClaim(string Key, string Principal, string Route, byte[] RequestSha256);

/// <summary>A command on one model's stream, handled by a Wolverine handler with the aggregate handler workflow.</summary>
public interface IModelCommand
{
    string Name { get; }

    /// <summary>The model's stream: its lower-cased name.</summary>
    string StreamKey { get; }

    CommandContext Context { get; }
}

/// <summary>What a command did: the model after it, the stream's version after it, and the events it appended (none for a no-op).</summary>
public sealed record CommandDone(ModelState State, long Version, IReadOnlyList<IEvent> Events)
{
    public IReadOnlyList<object> Decided => Events.Select(e => e.Data).ToList();
}

internal static class ModelCommands
{
    /// <summary>
    /// The one way a handler decides on a model: If-Match is checked against the version the stream was fetched at (412),
    /// the pure decision runs on the model as it is (a new model is <see cref="ModelState.Initial"/>), its events get UUID v7
    /// ids and the command's metadata, and an Idempotency-Key is claimed in the same transaction; Wolverine commits it all.
    /// </summary>
    public static CommandDone Decide(this IEventStream<ModelState> model, IModelCommand command, IDocumentSession session,
        Func<ModelState, IReadOnlyList<object>> decide)
    {
        var context = command.Context;
        var version = model.StartingVersion ?? 0;
        if (context.IfMatch is { } expected && expected != version)
        {
            throw DomainErrors.PreconditionFailed("precondition-failed",
                $"If-Match named version {expected.ToString(CultureInfo.InvariantCulture)}, but the model is at version {version.ToString(CultureInfo.InvariantCulture)}.");
        }

        var before = model.Aggregate ?? ModelState.Initial with { Id = command.StreamKey };
        var decided = decide(before);
        if (decided.Count == 0)
        {
            return new CommandDone(before, version, []);
        }

        context.StampOn(session);
        var events = decided.Select(data =>
        {
            var e = session.Events.BuildEvent(data);
            e.Id = Guid.CreateVersion7();
            return e;
        }).ToList();
        model.AppendMany(events);
        if (context.Claim is { } claim)
        {
            IdempotencyStore.Claim(session, claim, command.StreamKey, version, version + events.Count);
        }

        return new CommandDone(decided.Aggregate(before, CatalogStream.Evolve), version + events.Count, events);
    }

    /// <summary>
    /// The catalog's handlers, and what a lost race does to them: a command that met another on the same stream (or two first
    /// registrations of one new model) runs again on the new state, a few times, before its conflict reaches the caller (409).
    /// </summary>
    public static void ConfigureMessaging(WolverineOptions opts)
    {
        foreach (var handler in Handlers)
        {
            opts.Discovery.IncludeType(handler);
        }

        opts.Policies.Add(new RetryLostRaces(t => t.IsAssignableTo(typeof(IModelCommand)) || t == typeof(Reading.RequestCatalogRebuild)));

        // A rebuild of the catalog is one durable message, taken by one instance (another if that one dies), one at a time.
        opts.Discovery.IncludeType(typeof(Reading.RequestCatalogRebuildHandler));
        opts.Discovery.IncludeType(typeof(Reading.RebuildCatalogHandler));
        opts.LocalQueue(ProjectionsQueue).UseDurableInbox().MaximumParallelMessages(1);
        opts.PublishMessage<Reading.RebuildCatalog>().ToLocalQueue(ProjectionsQueue);
    }

    public const string ProjectionsQueue = "projections";

    public static IReadOnlyList<Type> Handlers { get; } =
    [
        typeof(Registering.RegisterModelHandler),
        typeof(Registering.RegisterVersionHandler),
        typeof(Updating.UpdateModelHandler),
        typeof(Promoting.PromoteVersionHandler),
        typeof(Promoting.DemoteVersionHandler),
        typeof(Promoting.RollbackHandler),
        typeof(Archiving.ArchiveVersionHandler),
        typeof(Archiving.RestoreVersionHandler),
        typeof(Locking.LockModelHandler),
        typeof(Locking.UnlockModelHandler),
        typeof(Integrity.RecordIntegrityHandler),
        typeof(Downloading.StartDownloadHandler),
        typeof(Downloading.CompleteDownloadHandler),
        typeof(Downloading.FailDownloadHandler),
    ];
}

/// <summary>
/// What a lost race does to the commands <paramref name="commands"/> picks: such a command that met another on the same stream (or
/// two first appends to one new stream) runs again on the new state, a few times, before its conflict reaches the caller (409).
/// </summary>
internal sealed class RetryLostRaces(Func<Type, bool> commands) : IHandlerPolicy
{
    public void Apply(IReadOnlyList<HandlerChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(c => commands(c.MessageType)))
        {
            // A refusal is an answer (problem+json), not a failure to log; what is one is logged where it surfaces.
            chain.FailureLogLevel = LogLevel.Debug;
            chain.OnException<ConcurrencyException>().Or<Marten.Exceptions.ExistingStreamIdCollisionException>()
                .RetryWithCooldown(5.Milliseconds(), 10.Milliseconds(), 20.Milliseconds(), 40.Milliseconds(), 80.Milliseconds(),
                    160.Milliseconds(), 320.Milliseconds())
                .WithFullJitter();
        }
    }
}

/// <summary>
/// <c>[WriteAggregate]</c> on a model's stream: keyed by the command's <see cref="IModelCommand.StreamKey"/>; a missing stream is a
/// model not registered yet (the decider refuses what needs one); no member is taken for an expected version, since a command's
/// version numbers are a model's, and If-Match comes with its <see cref="CommandContext"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class ModelStreamAttribute : Wolverine.Marten.WriteAggregateAttribute
{
    public ModelStreamAttribute()
        : base(nameof(IModelCommand.StreamKey))
    {
        Required = false;
        VersionSource = "__no_expected_stream_version__";
    }
}
