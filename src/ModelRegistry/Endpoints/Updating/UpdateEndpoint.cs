using JasperFx.Events;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Endpoints.Checking;
using ModelRegistry.Endpoints.Registering;
using ModelRegistry.Endpoints.Secrets;
using Wolverine;

namespace ModelRegistry.Endpoints.Updating;

/// <summary>Changes what is given: a null member stays as it is; <c>ClearApiKey</c> removes the key.</summary>
public sealed record UpdateEndpoint(
    string EndpointId,
    string? Name,
    string? BaseUrl,
    EndpointType? Type,
    string? ModelsPath,
    ApiKeyValue? ApiKey,
    bool ClearApiKey,
    bool? Active,
    Caller Caller) : IEndpointCommand
{
    public string StreamKey => EndpointStream.StreamId(EndpointId);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(EndpointState state, UpdateEndpoint command)
    {
        var events = new List<object>();
        var name = command.Name is { } n && n != state.Name ? n : null;
        var baseUrl = command.BaseUrl is { } u && u != state.BaseUrl ? u : null;
        EndpointType? type = command.Type is { } t && t != state.Type ? t : null;
        var modelsPath = command.ModelsPath is { } p && p != state.ModelsPath ? p : null;
        ApiKeyChange? key = command.ApiKey is not null ? ApiKeyChange.Set
            : command.ClearApiKey && state.ApiKeySet ? ApiKeyChange.Cleared
            : null;
        if (name is not null || baseUrl is not null || type is not null || modelsPath is not null || key is not null)
        {
            events.Add(new EndpointUpdated(name, baseUrl, type, modelsPath, key));
        }

        if (command.Active is { } active && active != state.Active)
        {
            events.Add(active ? new EndpointActivated() : new EndpointDeactivated());
        }

        return events;
    }

    /// <summary>Whether what was decided changes what a check would find: then the endpoint is checked again right away.</summary>
    public static bool ChangesWhatIsChecked(IReadOnlyList<object> events) =>
        events.Any(e => e is EndpointUpdated { BaseUrl: not null } or EndpointUpdated { Type: not null } or EndpointUpdated { ModelsPath: not null }
            or EndpointUpdated { ApiKey: not null } or EndpointActivated);
}

public static class UpdateEndpointHandler
{
    public static async Task<EndpointDone> Handle(UpdateEndpoint command, [EndpointStream] IEventStream<EndpointState> endpoint,
        IDocumentSession session, EndpointSecrets secrets, IMessageContext bus, CancellationToken ct)
    {
        // Only for an endpoint the caller sees: a 409 about another owner's names would tell that the endpoint exists.
        if (command.Name is { } name && command.Caller.Sees(endpoint.Aggregate))
        {
            await EndpointNames.RequireFreeAsync(session, endpoint.Aggregate!.Owner, name, command.EndpointId, ct);
        }

        IReadOnlyList<object> decided = [];
        var done = endpoint.Decide(command, session, state => decided = UpdateEndpoint.Decide(state, command));
        if (command.ApiKey is { } key)
        {
            secrets.Set(session, command.EndpointId, key.Value);
        }
        else if (decided.OfType<EndpointUpdated>().Any(e => e.ApiKey == ApiKeyChange.Cleared))
        {
            secrets.Erase(session, command.EndpointId);
        }

        var active = command.Active ?? endpoint.Aggregate!.Active;
        if (decided.OfType<EndpointDeactivated>().Any())
        {
            EndpointSchedule.Stop(session, command.EndpointId);
        }
        else if (active && UpdateEndpoint.ChangesWhatIsChecked(decided))
        {
            await EndpointSchedule.StartAsync(session, bus, command.EndpointId, active: true);
        }

        return done;
    }
}

/// <summary>Turns an endpoint's scheduled checks on (checking it right away) or off.</summary>
public sealed record SetEndpointActive(string EndpointId, bool Active, Caller Caller) : IEndpointCommand
{
    public string StreamKey => EndpointStream.StreamId(EndpointId);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(EndpointState state, SetEndpointActive command) =>
        state.Active == command.Active ? [] : [command.Active ? new EndpointActivated() : new EndpointDeactivated()];
}

public static class SetEndpointActiveHandler
{
    public static async Task<EndpointDone> Handle(SetEndpointActive command, [EndpointStream] IEventStream<EndpointState> endpoint,
        IDocumentSession session, IMessageContext bus)
    {
        var done = endpoint.Decide(command, session, state => SetEndpointActive.Decide(state, command));
        if (done.Appended > 0)
        {
            if (command.Active)
            {
                await EndpointSchedule.StartAsync(session, bus, command.EndpointId, active: true);
            }
            else
            {
                EndpointSchedule.Stop(session, command.EndpointId);
            }
        }

        return done;
    }
}
