using JasperFx.Events;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Endpoints.Checking;
using ModelRegistry.Endpoints.Secrets;
using Wolverine;

namespace ModelRegistry.Endpoints.Registering;

/// <summary>An API key as a command carries it: never printed, so no log line can show it.</summary>
public sealed record ApiKeyValue(string Value)
{
    public override string ToString() => "••••";
}

public sealed record RegisterEndpoint(
    string EndpointId,
    string Name,
    string BaseUrl,
    EndpointType Type,
    string? ModelsPath,
    ApiKeyValue? ApiKey,
    bool Active,
    Caller Caller) : IEndpointCommand
{
    public string StreamKey => EndpointStream.StreamId(EndpointId);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(EndpointState state, RegisterEndpoint command) =>
        state.Exists
            ? throw Common.DomainErrors.Conflict("endpoint-exists", $"Endpoint '{command.EndpointId}' exists already.")
            : [new EndpointRegistered(command.EndpointId, command.Name, command.BaseUrl, command.Type, command.ModelsPath, command.Caller.Name,
                command.Active, command.ApiKey is not null)];
}

public static class RegisterEndpointHandler
{
    /// <summary>The endpoint, its encrypted key and its first check (right away, when active) commit together.</summary>
    public static async Task<EndpointDone> Handle(RegisterEndpoint command, [EndpointStream] IEventStream<EndpointState> endpoint,
        IDocumentSession session, EndpointSecrets secrets, IMessageContext bus, CancellationToken ct)
    {
        await EndpointNames.RequireFreeAsync(session, command.Caller.Name, command.Name, command.EndpointId, ct);
        var done = endpoint.Decide(command, session, state => RegisterEndpoint.Decide(state, command), mayCreate: true);
        if (command.ApiKey is { } key)
        {
            secrets.Set(session, command.EndpointId, key.Value);
        }

        await EndpointSchedule.StartAsync(session, bus, command.EndpointId, active: command.Active);
        return done;
    }
}

internal static class EndpointNames
{
    /// <summary>
    /// 409 when the owner has another endpoint of this name (case-insensitively); the unique index on the documents settles a
    /// race between two such commands.
    /// </summary>
    public static async Task RequireFreeAsync(IQuerySession session, string owner, string name, string endpointId, CancellationToken ct)
    {
        var key = name.ToLowerInvariant();
        if (await session.Query<EndpointState>().AnyAsync(e => e.Owner == owner && e.NameKey == key && e.EndpointId != endpointId, ct))
        {
            throw EndpointErrors.DuplicateName(name);
        }
    }
}
