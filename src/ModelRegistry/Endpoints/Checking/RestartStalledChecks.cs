using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Wolverine;
using Wolverine.Attributes;

namespace ModelRegistry.Endpoints.Checking;

/// <summary>An occurrence of the sweep for active endpoints whose chain of checks has stopped (<c>Registry:Endpoints:SweepInterval</c>).</summary>
public sealed record RestartStalledChecks(DateTimeOffset Occurrence);

/// <summary>
/// A chain stops when its check fails on the database past every retry (it ends in Wolverine's dead letters), or when checks were
/// turned off and on again. The sweep gives each active endpoint not checked for three intervals, and not being checked, a new
/// chain; a message of the old chain, should it come after all, then does nothing.
/// </summary>
[Deduplicated]
public static class RestartStalledChecksHandler
{
    public const string Schedule = "endpoint-checks-sweep";

    public static async Task Handle(RestartStalledChecks message, NpgsqlDataSource dataSource, IDocumentSession session, IMessageContext bus,
        IOptions<EndpointsOptions> options, CancellationToken ct)
    {
        var interval = options.Value.HealthCheckInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        var stalled = new List<(string Id, Guid Chain)>();
        await using (var cmd = dataSource.CreateCommand(
            $"SELECT endpoint_id, chain FROM {EndpointSchedule.Table} WHERE chain IS NOT NULL AND (running_until IS NULL OR running_until < now()) " +
            "AND coalesce(checked_at, chain_started_at) < now() - $1 LIMIT 1000"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = interval * 3 });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                stalled.Add((reader.GetString(0), reader.GetGuid(1)));
            }
        }

        foreach (var (id, chain) in stalled)
        {
            var next = Guid.CreateVersion7();
            session.QueueSqlCommand(
                $"UPDATE {EndpointSchedule.Table} SET chain = ?, chain_started_at = now() WHERE endpoint_id = ? AND chain = ?", next, id, chain);
            await bus.PublishAsync(new CheckEndpoint(id, next));
        }
    }
}
