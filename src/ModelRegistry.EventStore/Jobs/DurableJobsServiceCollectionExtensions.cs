using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ModelRegistry.EventStore.Jobs;

/// <summary>Registers the durable job queue and its worker (on the event store's data source, see ADR 6).</summary>
public static class DurableJobsServiceCollectionExtensions
{
    /// <summary>Adds <see cref="IJobQueue"/>, its tables, a <see cref="JobWorker"/> and its <see cref="IJobWorkerStatus"/>; calling it again only applies <paramref name="configure"/>.</summary>
    public static IServiceCollection AddDurableJobs(this IServiceCollection services, Action<JobOptions>? configure = null)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(JobOptions))?.ImplementationInstance is JobOptions existing)
        {
            configure?.Invoke(existing);
            return services;
        }

        var options = new JobOptions();
        configure?.Invoke(options);
        services.AddSingleton(options);
        services.AddMigration(JobSchema.Migration);
        services.AddSingleton<PostgresJobQueue>();
        services.AddSingleton<IJobQueue>(sp => sp.GetRequiredService<PostgresJobQueue>());
        services.AddSingleton<JobSignal>();
        services.AddSingleton(sp => new JobWorker(
            sp.GetRequiredService<PostgresJobQueue>(),
            sp.GetRequiredService<JobSignal>(),
            sp.GetServices<IJobHandler>(),
            options,
            sp.GetRequiredService<ILogger<JobWorker>>()));
        services.AddSingleton<IJobWorkerStatus>(sp => sp.GetRequiredService<JobWorker>());
        services.AddHostedService(sp => sp.GetRequiredService<JobWorker>());
        return services;
    }

    /// <summary>Adds a handler; the worker dispatches jobs to it by <see cref="IJobHandler.Queue"/>.</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services)
        where THandler : class, IJobHandler
    {
        services.AddSingleton<IJobHandler, THandler>();
        return services;
    }

    /// <summary>Adds a handler instance.</summary>
    public static IServiceCollection AddJobHandler(this IServiceCollection services, IJobHandler handler)
    {
        services.AddSingleton(handler);
        return services;
    }
}
