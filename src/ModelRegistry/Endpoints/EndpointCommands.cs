using System.Globalization;
using JasperFx;
using JasperFx.Events;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using Wolverine;

namespace ModelRegistry.Endpoints;

/// <summary>Who asks: a principal sees and changes only the endpoints it owns, unless it is an admin.</summary>
public sealed record Caller(string Name, bool Admin)
{
    public bool Sees(EndpointState? endpoint) => endpoint is { Exists: true } && (Admin || string.Equals(endpoint.Owner, Name, StringComparison.Ordinal));
}

/// <summary>A command on one endpoint's stream, handled with Marten's aggregate handler workflow.</summary>
public interface IEndpointCommand
{
    string EndpointId { get; }

    Caller Caller { get; }

    CommandContext Context { get; }

    /// <summary>The endpoint's stream: <see cref="EndpointStream.StreamId"/> of its id.</summary>
    string StreamKey { get; }
}

/// <summary>What a command did: the endpoint's stream version after it, and how many events it appended (none for a no-op).</summary>
public sealed record EndpointDone(long Version, int Appended);

internal static class EndpointCommands
{
    /// <summary>
    /// The one way a handler decides on an endpoint: the caller must see it (404 otherwise, never 403, so others cannot learn it
    /// exists), If-Match is checked (412), and the events carry the command's actor, correlation, causation and reason.
    /// </summary>
    public static EndpointDone Decide(this IEventStream<EndpointState> endpoint, IEndpointCommand command, IDocumentSession session,
        Func<EndpointState, IReadOnlyList<object>> decide, bool mayCreate = false)
    {
        var version = endpoint.StartingVersion ?? 0;
        var before = endpoint.Aggregate ?? EndpointState.Initial(command.StreamKey);
        if (!(mayCreate && version == 0) && !command.Caller.Sees(endpoint.Aggregate))
        {
            throw EndpointErrors.NotFound(command.EndpointId);
        }

        if (command.Context.IfMatch is { } expected && expected != version)
        {
            throw DomainErrors.PreconditionFailed("precondition-failed",
                $"If-Match named version {expected.ToString(CultureInfo.InvariantCulture)}, but the endpoint is at version {version.ToString(CultureInfo.InvariantCulture)}.");
        }

        var decided = decide(before);
        if (decided.Count == 0)
        {
            return new EndpointDone(version, 0);
        }

        command.Context.StampOn(session);
        foreach (var data in decided)
        {
            var e = session.Events.BuildEvent(data);
            e.Id = Guid.CreateVersion7();
            endpoint.AppendOne(e);
        }

        return new EndpointDone(version + decided.Count, decided.Count);
    }

    public static IReadOnlyList<Type> Handlers { get; } =
    [
        typeof(Registering.RegisterEndpointHandler),
        typeof(Updating.UpdateEndpointHandler),
        typeof(Updating.SetEndpointActiveHandler),
        typeof(Removing.RemoveEndpointHandler),
    ];

    public static void ConfigureMessaging(WolverineOptions opts)
    {
        foreach (var handler in Handlers)
        {
            opts.Discovery.IncludeType(handler);
        }

        opts.Policies.Add(new RetryLostRaces(t => t.IsAssignableTo(typeof(IEndpointCommand))));
    }
}

/// <summary><c>[WriteAggregate]</c> on an endpoint's stream, keyed by <see cref="IEndpointCommand.StreamKey"/>; a new endpoint has none yet.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class EndpointStreamAttribute : Wolverine.Marten.WriteAggregateAttribute
{
    public EndpointStreamAttribute()
        : base(nameof(IEndpointCommand.StreamKey))
    {
        Required = false;
        VersionSource = "__no_expected_stream_version__";
    }
}

internal static class EndpointErrors
{
    public static DomainException NotFound(string id) => DomainErrors.NotFound("endpoint-not-found", $"Endpoint '{id}' does not exist.");

    public static DomainException DuplicateName(string name) =>
        DomainErrors.Conflict("endpoint-name-taken", $"You already have an endpoint named '{name}'.");
}
