using System.Globalization;
using Marten;
using Microsoft.Extensions.Options;
using ModelRegistry.Access;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.Endpoints.Probing;
using ModelRegistry.Endpoints.Secrets;
using Npgsql;

namespace ModelRegistry.Endpoints.Checking;

internal enum CheckTrigger { Scheduled, Manual }

/// <summary>What taking a scheduled check's lease found: the endpoint to check, a check under way until a moment, or nothing to do.</summary>
internal sealed record ScheduledClaim(EndpointState? Endpoint, DateTimeOffset? BusyUntil);

/// <summary>A check of one endpoint, as the schedule and the API run it: take the lease, probe, record.</summary>
public sealed class EndpointChecker(
    IDocumentStore store,
    NpgsqlDataSource dataSource,
    EndpointProbe probe,
    EndpointSecrets secrets,
    IOptions<EndpointsOptions> options,
    TimeProvider clock)
{
    private EndpointsOptions Options => options.Value;

    /// <summary>A check's lease: long enough for the probe and its recording, short enough that a crashed check is soon retried.</summary>
    private TimeSpan Lease => Options.Timeout * 2 + TimeSpan.FromSeconds(10);

    internal async Task<ScheduledClaim> ClaimScheduledAsync(CheckEndpoint message, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        var endpoint = await query.LoadAsync<EndpointState>(EndpointStream.StreamId(message.EndpointId), ct);
        if (endpoint is not { Active: true })
        {
            return new ScheduledClaim(null, null);
        }

        await using var claim = dataSource.CreateCommand(
            $"UPDATE {EndpointSchedule.Table} SET running_until = now() + $3 WHERE endpoint_id = $1 AND chain = $2 " +
            "AND (running_until IS NULL OR running_until < now()) RETURNING true");
        claim.Parameters.Add(new NpgsqlParameter { Value = message.EndpointId });
        claim.Parameters.Add(new NpgsqlParameter { Value = message.Chain });
        claim.Parameters.Add(new NpgsqlParameter { Value = Lease });
        if (await claim.ExecuteScalarAsync(ct) is true)
        {
            return new ScheduledClaim(endpoint, null);
        }

        await using var busy = dataSource.CreateCommand(
            $"SELECT running_until FROM {EndpointSchedule.Table} WHERE endpoint_id = $1 AND chain = $2 AND running_until >= now()");
        busy.Parameters.Add(new NpgsqlParameter { Value = message.EndpointId });
        busy.Parameters.Add(new NpgsqlParameter { Value = message.Chain });
        return await busy.ExecuteScalarAsync(ct) is DateTime until
            ? new ScheduledClaim(null, new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)).AddMilliseconds(100))
            : new ScheduledClaim(null, null);
    }

    /// <summary>
    /// A check asked for through the API, answered when done: 404 for an endpoint the caller does not see, 429 while another check
    /// of it is under way or sooner than <c>Registry:Endpoints:ManualCheckInterval</c> after the last manual one.
    /// </summary>
    internal async Task<(EndpointState Endpoint, ProbeResult Result, DateTimeOffset CheckedAt)> CheckNowAsync(Caller caller, string endpointId,
        CommandContext context, CancellationToken ct)
    {
        EndpointState? endpoint;
        await using (var query = store.QuerySession())
        {
            endpoint = await query.LoadAsync<EndpointState>(EndpointStream.StreamId(endpointId), ct);
        }

        if (!caller.Sees(endpoint))
        {
            throw EndpointErrors.NotFound(endpointId);
        }

        await using (var claim = dataSource.CreateCommand(
            $"UPDATE {EndpointSchedule.Table} SET running_until = now() + $2, last_manual_at = now() WHERE endpoint_id = $1 " +
            "AND (running_until IS NULL OR running_until < now()) AND (last_manual_at IS NULL OR last_manual_at <= now() - $3) RETURNING true"))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = endpointId });
            claim.Parameters.Add(new NpgsqlParameter { Value = Lease });
            claim.Parameters.Add(new NpgsqlParameter { Value = Options.ManualCheckInterval });
            if (await claim.ExecuteScalarAsync(ct) is not true)
            {
                throw new TooManyChecksException(await RetryAfterAsync(endpointId, ct));
            }
        }

        var result = await ProbeAsync(endpoint!, ct);
        // A command on the endpoint may append between the fetch and the save; the check is then recorded on the new state.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var session = store.LightweightSession();
                var checkedAt = await RecordAsync(session, endpoint!, result, CheckTrigger.Manual, context, ct);
                await session.SaveChangesAsync(ct);
                return (endpoint!, result, checkedAt);
            }
            catch (JasperFx.ConcurrencyException) when (attempt < 3)
            {
            }
        }
    }

    private async Task<TimeSpan> RetryAfterAsync(string endpointId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            $"SELECT greatest(coalesce(running_until - now(), interval '0'), coalesce(last_manual_at + $2 - now(), interval '0')) " +
            $"FROM {EndpointSchedule.Table} WHERE endpoint_id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = endpointId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Options.ManualCheckInterval });
        return await cmd.ExecuteScalarAsync(ct) is TimeSpan wait ? wait : Options.ManualCheckInterval;
    }

    internal async Task<ProbeResult> ProbeAsync(EndpointState endpoint, CancellationToken ct)
    {
        string? apiKey = null;
        if (endpoint.ApiKeySet)
        {
            await using var query = store.QuerySession();
            apiKey = await secrets.RevealAsync(query, endpoint.EndpointId, ct);
        }

        return await probe.ProbeAsync(endpoint.Type, new Uri(endpoint.BaseUrl), apiKey, endpoint.ModelsPath, ct);
    }

    /// <summary>
    /// Into <paramref name="session"/>: the check in the endpoint's history (the oldest beyond <c>HealthHistory</c> dropped), its row
    /// updated and its lease released, and on its stream what changed — its health, the models it lists.
    /// </summary>
    internal async Task<DateTimeOffset> RecordAsync(IDocumentSession session, EndpointState endpoint, ProbeResult result, CheckTrigger trigger,
        CommandContext? context, CancellationToken ct)
    {
        var checkedAt = clock.GetUtcNow();
        checkedAt = checkedAt.AddTicks(-(checkedAt.Ticks % TimeSpan.TicksPerMicrosecond));
        HealthHistory.Add(session, endpoint.EndpointId, checkedAt, result, trigger, Options.HealthHistory);
        session.QueueSqlCommand(
            $"UPDATE {EndpointSchedule.Table} SET running_until = NULL, checked_at = ?, status = ?, response_time_ms = ?, error = ?, " +
            "models_count = coalesce(?, models_count), discovered_at = CASE WHEN ? THEN ? ELSE discovered_at END WHERE endpoint_id = ?",
            checkedAt, HealthHistory.Name(result.Status), result.ResponseTimeMs, (object?)result.Error ?? DBNull.Value,
            (object?)result.Models?.Count ?? DBNull.Value, result.Models is not null, checkedAt, endpoint.EndpointId);

        var stream = await session.Events.FetchForWriting<EndpointState>(endpoint.Id, ct);
        if (stream.Aggregate is not { } current)
        {
            return checkedAt;
        }

        var changes = CheckResults.Decide(current, result, checkedAt);
        if (changes.Count > 0)
        {
            (context ?? new CommandContext(SystemActors.EndpointChecks, null, null)).StampOn(session);
            stream.AppendMany(changes);
        }

        return checkedAt;
    }
}

/// <summary>A manual check refused for now; <see cref="RetryAfter"/> says when another is accepted.</summary>
internal sealed class TooManyChecksException(TimeSpan retryAfter)
    : Exception($"This endpoint was checked moments ago or is being checked; try again in {Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

internal static class CheckResults
{
    /// <summary>What a check changes on the stream: its health when that differs (or was never recorded), its models when they differ.</summary>
    public static IReadOnlyList<object> Decide(EndpointState state, ProbeResult result, DateTimeOffset checkedAt)
    {
        var events = new List<object>();
        if (state.HealthChangedAt is null || state.HealthStatus != result.Status)
        {
            events.Add(new EndpointHealthChecked(result.Status, result.ResponseTimeMs, result.Error, checkedAt));
        }

        if (result.Models is { } models && !SameModels(state.Models, models))
        {
            events.Add(new EndpointModelsDiscovered(models, checkedAt));
        }

        return events;
    }

    private static bool SameModels(IReadOnlyList<DiscoveredModel> before, IReadOnlyList<DiscoveredModel> after) =>
        before.Count == after.Count && before.Zip(after).All(p =>
            p.First.Name == p.Second.Name && p.First.Digest == p.Second.Digest && p.First.SizeBytes == p.Second.SizeBytes
            && p.First.ModifiedAt == p.Second.ModifiedAt);
}
