using Marten;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelRegistry.Common;
using ModelRegistry.Endpoints.Checking;
using ModelRegistry.Endpoints.Probing;
using ModelRegistry.Endpoints.Reading;
using ModelRegistry.Endpoints.Secrets;
using ModelRegistry.Endpoints.Usage;
using Wolverine;

namespace ModelRegistry.Endpoints;

/// <summary>
/// Serving endpoints (SPEC §9, seed 004): one stream per endpoint, its document kept inline, its API key encrypted apart, its
/// checks a chain of durable scheduled messages, its usage counters.
/// </summary>
internal static class EndpointsModule
{
    public const string Queue = "endpoints";

    public static IServiceCollection AddEndpoints(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEndpointProbing(configuration);
        services.AddOptions<EndpointsOptions>()
            .Validate(o => o.HealthCheckInterval >= TimeSpan.Zero && o.SweepInterval >= TimeSpan.Zero && o.Timeout > TimeSpan.Zero
                && o.ManualCheckInterval >= TimeSpan.Zero && o.MaxResponseBytes > 0 && o.HealthHistory >= 1,
                "Registry:Endpoints: intervals are zero or more, Timeout and MaxResponseBytes more than zero, HealthHistory at least 1.")
            .Validate(o => AllowedHostsParse(o.AllowedHosts),
                "Registry:Endpoints:AllowedHosts has an entry that is neither a host name, a *.domain, an address nor a CIDR range.")
            .ValidateOnStart();
        services.AddSingleton(new OwnedEventTypes(EndpointStream.EventTypes.Select(t => t.Name).ToList()));
        services.AddEndpointSecrets(configuration);
        services.TryAddSingleton<EndpointChecker>();
        services.TryAddSingleton<EndpointReader>();
        services.TryAddSingleton<EndpointUsage>();
        services.TryAddSingleton<ServingEndpoints>();
        services.AddSingleton<CreateEndpointValidator>();
        services.AddSingleton<EndpointFieldsValidator>();
        services.ConfigureMarten(store =>
        {
            EndpointStream.Map(store.Events);
            store.Projections.Add(new EndpointStateProjection(), JasperFx.Events.Projections.ProjectionLifecycle.Inline);
            store.Schema.For<EndpointState>()
                .Index(e => e.Owner)
                .UniqueIndex(Marten.Schema.UniqueIndexType.Computed, "mt_doc_endpointstate_owner_name", e => e.Owner, e => e.NameKey);
            store.Storage.ExtendedSchemaObjects.Add(EndpointSchedule.SchemaObject());
            store.Storage.ExtendedSchemaObjects.Add(HealthHistory.SchemaObject());
            store.Storage.ExtendedSchemaObjects.Add(EndpointUsage.SchemaObject());
        });
        return services;
    }

    /// <summary>
    /// The command handlers, and the checks on their own durable local queue: a check that fails (the database, not the endpoint,
    /// which is a result) is tried again, then scheduled again, so an endpoint's chain survives an outage.
    /// </summary>
    public static void ConfigureMessaging(WolverineOptions opts, IConfiguration configuration)
    {
        EndpointCommands.ConfigureMessaging(opts);
        opts.Discovery.IncludeType(typeof(CheckEndpointHandler));
        opts.Discovery.IncludeType(typeof(RestartStalledChecksHandler));
        var sweep = (configuration.GetSection(EndpointsOptions.Section).Get<EndpointsOptions>() ?? new EndpointsOptions()).SweepInterval;
        opts.SchedulePeriodic(RestartStalledChecksHandler.Schedule, "Registry:Endpoints:SweepInterval", sweep, occurrence => new RestartStalledChecks(occurrence));
        opts.LocalQueue(Queue).UseDurableInbox().MaximumParallelMessages(8);
        opts.PublishMessage<CheckEndpoint>().ToLocalQueue(Queue);
    }

    private static bool AllowedHostsParse(string? allowedHosts)
    {
        try
        {
            _ = new EndpointEgress(allowedHosts);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static IEndpointRouteBuilder MapEndpoints(this IEndpointRouteBuilder app) => app.MapEndpointRoutes();
}
