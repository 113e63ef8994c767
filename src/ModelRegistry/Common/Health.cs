using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ModelRegistry.Admin;
using Npgsql;

namespace ModelRegistry.Common;

/// <summary>Readiness as JSON: the overall status and each check's status, description and data, keyed by the check's name.</summary>
internal static class HealthResponse
{
    public static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthBody(Name(report.Status), report.Entries.ToDictionary(e => e.Key, e => new HealthEntry(
            Name(e.Value.Status), e.Value.Description, Math.Round(e.Value.Duration.TotalMilliseconds, 1), e.Value.Data)));
        return JsonSerializer.SerializeAsync(http.Response.Body, body, http.RequestServices.Options(), http.RequestAborted);
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };

    private sealed record HealthBody(string Status, IReadOnlyDictionary<string, HealthEntry> Checks);

    private sealed record HealthEntry(string Status, string? Description, double DurationMs, IReadOnlyDictionary<string, object> Data);
}

/// <summary>
/// The projections as the admin API reports them: unhealthy while one is faulted (it applies nothing until rebuilt),
/// degraded while one is far behind or behind without progress (the daemon runs nowhere, or is stuck).
/// </summary>
internal sealed class ProjectionsHealthCheck(ProjectionStatusCache projections, IOptions<RegistryOptions> options, TimeProvider clock) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ProjectionStatus> statuses;
        try
        {
            statuses = await projections.GetAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The projections' status cannot be read.");
        }

        var limits = options.Value.Health;
        var now = clock.GetUtcNow();
        var data = statuses.ToDictionary(s => s.Name, s => (object)new ProjectionHealth(s.State, s.Lag));
        if (statuses.Where(s => s.State == "faulted").ToList() is { Count: > 0 } faulted)
        {
            return HealthCheckResult.Unhealthy(
                "Faulted, applying nothing until rebuilt: " + string.Join("; ", faulted.Select(s => $"{s.Name} ({s.LastError})")), data: data);
        }

        var lagging = statuses
            .Where(s => s.State == "missing" || s.Lag > limits.ProjectionLagDegraded || (s.Lag > 0 && now - s.LastUpdated > limits.ProjectionStalledAfter))
            .ToList();
        if (lagging.Count > 0)
        {
            return HealthCheckResult.Degraded(
                "Behind: " + string.Join("; ", lagging.Select(s => s.State == "missing"
                    ? $"{s.Name} has no progress record"
                    : $"{s.Name} is {s.Lag} positions behind, last progress at {s.LastUpdated:u}")), data: data);
        }

        return HealthCheckResult.Healthy($"None is faulted or behind; the largest lag is {statuses.Select(s => s.Lag).DefaultIfEmpty().Max()}.", data);
    }

    private sealed record ProjectionHealth(string State, long Lag);
}

internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // A table of ours that every migrated database has: reachable and migrated in one round trip.
            await using var cmd = dataSource.CreateCommand($"SELECT 1 FROM {IdempotencyStore.TableName} LIMIT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable or not migrated.");
        }
    }
}

internal sealed class StorageRootHealthCheck(IOptions<RegistryOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var root = Directory.CreateDirectory(Path.GetFullPath(options.Value.Storage.Root));
            var probe = Path.Combine(root.FullName, $".health-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return Task.FromResult(HealthCheckResult.Healthy());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The storage root is not writable."));
        }
    }
}
