using Microsoft.Extensions.Options;
using JasperFx.Core;
using Npgsql;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace ModelRegistry.Endpoints.Checking;

/// <summary>
/// A scheduled check: takes the endpoint's lease (a message of a stopped chain, or of an endpoint gone or inactive, ends the
/// chain; one that meets a manual check under way comes back when its lease ends), probes, records what it found, and schedules
/// the next check of the chain, jittered so endpoints added together are not checked together.
/// </summary>
public static class CheckEndpointHandler
{
    /// <summary>A check that fails (the database, not the endpoint: that is a result) is tried again, then scheduled again, so a chain outlives an outage.</summary>
    public static void Configure(HandlerChain chain)
    {
        chain.OnException<NpgsqlException>().RetryWithCooldown(1.Seconds(), 5.Seconds(), 15.Seconds())
            .Then.ScheduleRetry(1.Minutes(), 5.Minutes(), 15.Minutes(), 60.Minutes());
        // A command appended to the endpoint while it was checked: the next attempt finds the lease taken and comes back when it ends.
        chain.OnException<JasperFx.ConcurrencyException>().RetryTimes(3);
    }

    public static async Task Handle(CheckEndpoint message, EndpointChecker checker, Marten.IDocumentSession session, IMessageContext bus,
        IOptions<EndpointsOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var claim = await checker.ClaimScheduledAsync(message, ct);
        if (claim.BusyUntil is { } until)
        {
            await bus.ScheduleAsync(message, until);
            return;
        }

        if (claim.Endpoint is not { } endpoint)
        {
            return;
        }

        var result = await checker.ProbeAsync(endpoint, ct);
        await checker.RecordAsync(session, endpoint, result, CheckTrigger.Scheduled, context: null, ct);
        var interval = options.Value.HealthCheckInterval;
        if (interval > TimeSpan.Zero)
        {
            await bus.ScheduleAsync(message, clock.GetUtcNow() + Jittered(interval));
        }
    }

    /// <summary>The interval give or take a tenth.</summary>
    public static TimeSpan Jittered(TimeSpan interval) => interval * (0.9 + (Random.Shared.NextDouble() * 0.2));
}
