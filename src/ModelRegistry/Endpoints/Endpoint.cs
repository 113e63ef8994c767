using System.Collections.Immutable;
using System.Text.Json.Serialization;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace ModelRegistry.Endpoints;

/// <summary>An endpoint is added; <c>ApiKeySet</c> says whether it came with an API key, which is stored apart and never in an event.</summary>
internal sealed record EndpointRegistered(
    string EndpointId,
    string Name,
    string BaseUrl,
    EndpointType Type,
    string? ModelsPath,
    string Owner,
    bool Active,
    bool ApiKeySet);

/// <summary>What changed; a null member is unchanged. <c>ApiKey</c> records that the key was set or cleared, never the key.</summary>
internal sealed record EndpointUpdated(
    string? Name,
    string? BaseUrl,
    EndpointType? Type,
    string? ModelsPath,
    ApiKeyChange? ApiKey);

internal sealed record EndpointActivated;

internal sealed record EndpointDeactivated;

internal sealed record EndpointRemoved;

/// <summary>The endpoint's health changed, as one check found it.</summary>
internal sealed record EndpointHealthChecked(HealthStatus Status, int? ResponseTimeMs, string? Error, DateTimeOffset CheckedAt);

/// <summary>The endpoint lists other models than before.</summary>
internal sealed record EndpointModelsDiscovered(IReadOnlyList<DiscoveredModel> Models, DateTimeOffset DiscoveredAt);

[JsonConverter(typeof(JsonStringEnumConverter<ApiKeyChange>))]
public enum ApiKeyChange
{
    [JsonStringEnumMemberName("set")]
    Set,

    [JsonStringEnumMemberName("cleared")]
    Cleared,
}

/// <summary>
/// An endpoint as its stream has it, and the document its readers query: Marten keeps it inline (in the transaction of the
/// events), deletes it when the endpoint is removed, and holds one owner's names unique (case-insensitively).
/// </summary>
public sealed record EndpointState(
    string Id,
    string EndpointId,
    string Name,
    string NameKey,
    string BaseUrl,
    EndpointType Type,
    string? ModelsPath,
    string Owner,
    bool Active,
    bool ApiKeySet,
    HealthStatus HealthStatus,
    DateTimeOffset? HealthChangedAt,
    IReadOnlyList<DiscoveredModel> Models,
    DateTimeOffset? ModelsDiscoveredAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version)
{
    public static EndpointState Initial(string id) => new(id, "", "", "", "", EndpointType.Ollama, null, "", false, false,
        HealthStatus.Unknown, null, ImmutableList<DiscoveredModel>.Empty, null, default, default, 0);

    public bool Exists => Version > 0;
}

internal static class EndpointStream
{
    private const string Prefix = "endpoint:";

    /// <summary>An endpoint's stream key: a prefix no model name can take (a name has no colon), then its id.</summary>
    public static string StreamId(string endpointId) => Prefix + endpointId;

    public static bool IsEndpointStream(string? streamKey) => streamKey?.StartsWith(Prefix, StringComparison.Ordinal) == true;

    /// <summary>The fold; null once the endpoint is removed (Marten then deletes its document).</summary>
    public static EndpointState? Evolve(EndpointState state, IEvent e)
    {
        var next = e.Data switch
        {
            EndpointRegistered r => state with
            {
                EndpointId = r.EndpointId,
                Name = r.Name,
                NameKey = r.Name.ToLowerInvariant(),
                BaseUrl = r.BaseUrl,
                Type = r.Type,
                ModelsPath = r.ModelsPath,
                Owner = r.Owner,
                Active = r.Active,
                ApiKeySet = r.ApiKeySet,
                CreatedAt = e.Timestamp,
            },
            EndpointUpdated u => state with
            {
                Name = u.Name ?? state.Name,
                NameKey = (u.Name ?? state.Name).ToLowerInvariant(),
                BaseUrl = u.BaseUrl ?? state.BaseUrl,
                Type = u.Type ?? state.Type,
                ModelsPath = u.ModelsPath ?? state.ModelsPath,
                ApiKeySet = u.ApiKey switch { ApiKeyChange.Set => true, ApiKeyChange.Cleared => false, _ => state.ApiKeySet },
            },
            EndpointActivated => state with { Active = true },
            EndpointDeactivated => state with { Active = false },
            EndpointHealthChecked h => state with { HealthStatus = h.Status, HealthChangedAt = h.CheckedAt },
            EndpointModelsDiscovered d => state with { Models = d.Models, ModelsDiscoveredAt = d.DiscoveredAt },
            EndpointRemoved => null,
            _ => state,
        };
        return next is null ? null : next with { UpdatedAt = e.Timestamp, Version = e.Version };
    }

    /// <summary>The stream's events under their stored names; every one is at schema version 1.</summary>
    public static IReadOnlyList<(Type Type, string Name)> EventTypes { get; } =
    [
        (typeof(EndpointRegistered), "EndpointRegistered"),
        (typeof(EndpointUpdated), "EndpointUpdated"),
        (typeof(EndpointActivated), "EndpointActivated"),
        (typeof(EndpointDeactivated), "EndpointDeactivated"),
        (typeof(EndpointRemoved), "EndpointRemoved"),
        (typeof(EndpointHealthChecked), "EndpointHealthChecked"),
        (typeof(EndpointModelsDiscovered), "EndpointModelsDiscovered"),
    ];

    public static void Map(Marten.Events.IEventStoreOptions events)
    {
        foreach (var (type, name) in EventTypes)
        {
            events.MapEventType(type, name);
        }
    }
}

/// <summary><see cref="EndpointState"/> kept inline by Marten: the state commands decide on and the document readers query.</summary>
internal sealed class EndpointStateProjection : SingleStreamProjection<EndpointState, string>
{
    public EndpointStateProjection()
    {
        Name = "endpoint-state";
        foreach (var (type, _) in EndpointStream.EventTypes)
        {
            IncludeType(type);
        }
    }

    public override EndpointState? Evolve(EndpointState? snapshot, string id, IEvent e) =>
        EndpointStream.Evolve(snapshot ?? EndpointState.Initial(id), e);
}
