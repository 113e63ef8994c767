using Marten;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        services.Configure<EndpointsOptions>(configuration.GetSection(EndpointsOptions.Section));
        services.AddEndpointProbing(configuration);
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
    public static void ConfigureMessaging(WolverineOptions opts)
    {
        EndpointCommands.ConfigureMessaging(opts);
        opts.Discovery.IncludeType(typeof(CheckEndpointHandler));
        opts.LocalQueue(Queue).UseDurableInbox().MaximumParallelMessages(8);
        opts.PublishMessage<CheckEndpoint>().ToLocalQueue(Queue);
    }

    public static IEndpointRouteBuilder MapEndpoints(this IEndpointRouteBuilder app) => app.MapEndpointRoutes();
}
