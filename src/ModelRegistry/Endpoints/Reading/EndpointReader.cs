using System.Text.Json.Serialization;
using Marten;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Endpoints.Checking;
using ModelRegistry.Endpoints.Secrets;
using ModelRegistry.Endpoints.Usage;
using Npgsql;

namespace ModelRegistry.Endpoints.Reading;

/// <summary>
/// An endpoint as the API shows it (snake_case under <c>/api/v1/endpoints</c>, camelCase under the seed's <c>/api/local-models</c>).
/// <c>api_key</c> never holds the key: it is a mask with at most its last four characters, absent when there is none.
/// </summary>
internal sealed record EndpointResource(
    string Id,
    string Name,
    string BaseUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ApiKey,
    bool IsActive,
    EndpointType EndpointType,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ModelsPath,
    string Owner,
    HealthStatus HealthStatus,
    DateTimeOffset? LastHealthCheck,
    int? ResponseTimeMs,
    string? HealthError,
    IReadOnlyList<string> AvailableModels,
    DateTimeOffset? LastModelDiscovery,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version);

/// <summary>The seed's <c>HealthCheckResponse</c>: the last check (or the one just made) of an endpoint.</summary>
internal sealed record HealthCheckResource(
    HealthStatus Status,
    int? ResponseTimeMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorMessage,
    DateTimeOffset? LastChecked,
    int AvailableModels);

internal sealed record HealthCheckItem(DateTimeOffset CheckedAt, HealthStatus Status, int? ResponseTimeMs, string? ErrorMessage, int? AvailableModels, string Trigger);

internal sealed record ModelsResource(IReadOnlyList<string> AvailableModels, IReadOnlyList<DiscoveredModel> Models, DateTimeOffset? LastModelDiscovery);

/// <summary>An endpoint's last check as its schedule row holds it.</summary>
internal sealed record LastCheck(DateTimeOffset? CheckedAt, HealthStatus Status, int? ResponseTimeMs, string? Error, int? ModelsCount, DateTimeOffset? DiscoveredAt);

/// <summary>Reads endpoints for a caller: only what the caller sees (its own; an admin, all), in the order they were added.</summary>
internal sealed class EndpointReader(IDocumentStore store, NpgsqlDataSource dataSource, EndpointSecrets secrets, EndpointUsage usage, CatalogReader events)
{
    /// <summary>The endpoint's own events, oldest first, a page at a time (the cursor is the last event's stream version).</summary>
    public async Task<Page<HistoryItem>?> ChangesAsync(Caller caller, string endpointId, int limit, long after, CancellationToken ct)
    {
        if (await FindAsync(caller, endpointId, ct) is null)
        {
            return null;
        }

        var key = EndpointStream.StreamId(endpointId);
        await using var session = store.QuerySession();
        var page = await session.Events.QueryAllRawEvents().Where(e => e.StreamKey == key && e.Version > after).OrderBy(e => e.Version)
            .Take(limit + 1).ToListAsync(ct);
        return new Page<HistoryItem>(page.Take(limit).Select(events.Item).ToList(),
            page.Count > limit ? ReadQuery.Cursor('h', page[limit - 1].Version) : null);
    }

    public async Task<IReadOnlyList<EndpointResource>> ListAsync(Caller caller, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await ResourcesAsync(session, await VisibleAsync(session, caller, ct), ct);
    }

    /// <summary>The caller's endpoints with the models each listed at its last discovery.</summary>
    public async Task<IReadOnlyList<(EndpointResource Endpoint, IReadOnlyList<DiscoveredModel> Models)>> ListWithModelsAsync(Caller caller, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var endpoints = await VisibleAsync(session, caller, ct);
        return (await ResourcesAsync(session, endpoints, ct)).Zip(endpoints, (resource, state) => (resource, state.Models)).ToList();
    }

    private static async Task<IReadOnlyList<EndpointState>> VisibleAsync(IQuerySession session, Caller caller, CancellationToken ct)
    {
        var query = session.Query<EndpointState>().AsQueryable();
        if (!caller.Admin)
        {
            query = query.Where(e => e.Owner == caller.Name);
        }

        return (await query.OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).ToListAsync(ct)).ToList();
    }

    /// <summary>The endpoint, or null when it does not exist or the caller does not see it (the API answers 404 for both).</summary>
    public async Task<EndpointState?> FindAsync(Caller caller, string endpointId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var endpoint = await session.LoadAsync<EndpointState>(EndpointStream.StreamId(endpointId), ct);
        return caller.Sees(endpoint) ? endpoint : null;
    }

    public async Task<EndpointResource?> GetAsync(Caller caller, string endpointId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var endpoint = await session.LoadAsync<EndpointState>(EndpointStream.StreamId(endpointId), ct);
        return caller.Sees(endpoint) ? (await ResourcesAsync(session, [endpoint!], ct))[0] : null;
    }

    public async Task<HealthCheckResource?> HealthAsync(Caller caller, string endpointId, CancellationToken ct)
    {
        if (await FindAsync(caller, endpointId, ct) is not { } endpoint)
        {
            return null;
        }

        var last = (await LastChecksAsync([endpoint.EndpointId], ct)).GetValueOrDefault(endpoint.EndpointId);
        return new HealthCheckResource(last?.Status ?? HealthStatus.Unknown, last?.ResponseTimeMs, last?.Error, last?.CheckedAt, endpoint.Models.Count);
    }

    /// <summary>The endpoint's checks, newest first, a page at a time (the cursor is the last check's time).</summary>
    public async Task<Page<HealthCheckItem>?> HistoryAsync(Caller caller, string endpointId, int limit, DateTimeOffset? before, CancellationToken ct)
    {
        if (await FindAsync(caller, endpointId, ct) is null)
        {
            return null;
        }

        await using var cmd = dataSource.CreateCommand(
            $"SELECT checked_at, status, response_time_ms, error, models_count, trigger FROM {HealthHistory.Table} " +
            "WHERE endpoint_id = $1 AND checked_at < $2 ORDER BY checked_at DESC LIMIT $3");
        cmd.Parameters.Add(new NpgsqlParameter { Value = endpointId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = before ?? DateTimeOffset.MaxValue });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
        var items = new List<HealthCheckItem>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            items.Add(new HealthCheckItem(reader.GetFieldValue<DateTimeOffset>(0), HealthHistory.Parse(reader.GetString(1)),
                reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetString(5)));
        }

        return new Page<HealthCheckItem>(items.Take(limit).ToList(),
            items.Count > limit ? items[limit - 1].CheckedAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : null);
    }

    public static ModelsResource Models(EndpointState endpoint) =>
        new(endpoint.Models.Select(m => m.Name).ToList(), endpoint.Models, endpoint.ModelsDiscoveredAt);

    private async Task<IReadOnlyList<EndpointResource>> ResourcesAsync(IQuerySession session, IReadOnlyList<EndpointState> endpoints, CancellationToken ct)
    {
        var ids = endpoints.Select(e => e.EndpointId).ToArray();
        var hints = await secrets.HintsAsync(session, endpoints.Where(e => e.ApiKeySet).Select(e => e.EndpointId), ct);
        var checks = await LastChecksAsync(ids, ct);
        var used = await usage.LastUsedAsync(ids, ct);
        return endpoints.Select(e =>
        {
            var last = checks.GetValueOrDefault(e.EndpointId);
            return new EndpointResource(e.EndpointId, e.Name, e.BaseUrl, e.ApiKeySet ? hints.GetValueOrDefault(e.EndpointId, "••••") : null, e.Active,
                e.Type, e.ModelsPath, e.Owner, last?.Status ?? e.HealthStatus, last?.CheckedAt ?? e.HealthChangedAt, last?.ResponseTimeMs, last?.Error,
                e.Models.Select(m => m.Name).ToList(), last?.DiscoveredAt ?? e.ModelsDiscoveredAt, used.TryGetValue(e.EndpointId, out var at) ? at : null,
                e.CreatedAt, e.UpdatedAt, e.Version);
        }).ToList();
    }

    private async Task<Dictionary<string, LastCheck>> LastChecksAsync(string[] ids, CancellationToken ct)
    {
        var checks = new Dictionary<string, LastCheck>(StringComparer.Ordinal);
        if (ids.Length == 0)
        {
            return checks;
        }

        await using var cmd = dataSource.CreateCommand(
            $"SELECT endpoint_id, checked_at, status, response_time_ms, error, models_count, discovered_at FROM {EndpointSchedule.Table} " +
            "WHERE endpoint_id = ANY($1) AND checked_at IS NOT NULL");
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            checks[reader.GetString(0)] = new LastCheck(reader.GetFieldValue<DateTimeOffset>(1), HealthHistory.Parse(reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));
        }

        return checks;
    }
}
