using JasperFx.Events;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Endpoints.Checking;
using ModelRegistry.Endpoints.Secrets;

namespace ModelRegistry.Endpoints.Removing;

public sealed record RemoveEndpoint(string EndpointId, Caller Caller) : IEndpointCommand
{
    public string StreamKey => EndpointStream.StreamId(EndpointId);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(EndpointState state, RemoveEndpoint command) => [new EndpointRemoved()];
}

public static class RemoveEndpointHandler
{
    /// <summary>
    /// The stream keeps its history; the document, the encrypted key (so no old event or row can ever reveal it), the schedule,
    /// the check history and the usage go in the same transaction.
    /// </summary>
    public static EndpointDone Handle(RemoveEndpoint command, [EndpointStream] IEventStream<EndpointState> endpoint, IDocumentSession session,
        EndpointSecrets secrets)
    {
        var done = endpoint.Decide(command, session, state => RemoveEndpoint.Decide(state, command));
        secrets.Erase(session, command.EndpointId);
        EndpointSchedule.Forget(session, command.EndpointId);
        return done;
    }
}
