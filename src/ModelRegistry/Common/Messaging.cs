using JasperFx;
using JasperFx.CodeGeneration;
using ModelRegistry.Catalog;
using ModelRegistry.Downloads;
using Wolverine;
using Wolverine.Runtime;

namespace ModelRegistry.Common;

/// <summary>
/// <c>Registry:Durability</c>: how soon Wolverine's durable messages of a node that died (killed, or paused for too long) run
/// elsewhere. A node is stale once its heartbeat is <see cref="StaleNodeTimeout"/> old and ejected after
/// <see cref="StaleNodeEjectionThreshold"/> stale health checks; the durability agent then takes its messages on its next poll.
/// With these values a download interrupted by <c>kill -9</c> runs again within about 8 s (Wolverine's defaults: over a minute).
/// </summary>
internal sealed class DurabilityOptions
{
    public const string Section = "Registry:Durability";

    /// <summary>
    /// Balanced (several instances may share the database) or Solo (one instance: it takes every message at start; never
    /// with two instances on one database).
    /// </summary>
    public DurabilityMode Mode { get; set; } = DurabilityMode.Balanced;

    public TimeSpan HealthCheckPollingTime { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan FirstHealthCheckExecution { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan StaleNodeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public int StaleNodeEjectionThreshold { get; set; } = 2;

    public TimeSpan ScheduledJobFirstExecution { get; set; } = TimeSpan.Zero;

    public TimeSpan ScheduledJobPollingTime { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan OrphanedMessageSweepPollingTime { get; set; } = TimeSpan.FromSeconds(2);

    public void ApplyTo(DurabilitySettings durability)
    {
        durability.Mode = Mode;
        durability.HealthCheckPollingTime = HealthCheckPollingTime;
        durability.FirstHealthCheckExecution = FirstHealthCheckExecution;
        durability.StaleNodeTimeout = StaleNodeTimeout;
        durability.StaleNodeEjectionThreshold = StaleNodeEjectionThreshold;
        durability.ScheduledJobFirstExecution = ScheduledJobFirstExecution;
        durability.ScheduledJobPollingTime = ScheduledJobPollingTime;
        durability.OrphanedMessageSweepPollingTime = OrphanedMessageSweepPollingTime;
    }
}

internal static class Messaging
{
    /// <summary>
    /// Wolverine on Marten's database and schema: only the handlers and schedules modules name, durability from configuration. Its
    /// handler code is generated ahead of time (<c>make codegen</c>, into <c>Internal/Generated</c>) and compiled into this
    /// assembly: in every environment it is loaded from there and never compiled at run time, so a handler changed without
    /// regenerating stops the start (and fails GeneratedCodeTests).
    /// </summary>
    public static WebApplicationBuilder AddRegistryMessaging(this WebApplicationBuilder builder)
    {
        var durability = builder.Configuration.GetSection(DurabilityOptions.Section).Get<DurabilityOptions>() ?? new DurabilityOptions();
        builder.Services.CritterStackDefaults(x =>
        {
            x.Development.GeneratedCodeMode = TypeLoadMode.Static;
            x.Production.GeneratedCodeMode = TypeLoadMode.Static;
        });
        // Before Wolverine's own start, which migrates its tables only where a durability agent runs.
        builder.Services.AddHostedService<MessageStoreStartup>();
        builder.Host.UseWolverine(opts =>
        {
            // The generated types live in this assembly, also when a test runner is the entry assembly.
            opts.ApplicationAssembly = typeof(Messaging).Assembly;
            opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
            opts.Discovery.DisableConventionalDiscovery();
            durability.ApplyTo(opts.Durability);
            opts.Policies.AutoApplyTransactions();
            // The periodic jobs' handlers claim each occurrence (PeriodicSchedules). Set whether or not a job is turned on, so the
            // generated handler code is the same for every configuration.
            opts.Durability.MessageDeduplicationMode = MessageDeduplicationMode.CompareByHash;
            // Likewise Wolverine's table of schedules: the schema is the same whatever the intervals (db-assert compares it).
            opts.Durability.EnableRecurringMessages = true;
            CatalogModule.ConfigureMessaging(opts, builder.Configuration);
            DownloadsModule.ConfigureMessaging(opts, builder.Configuration);
            Endpoints.EndpointsModule.ConfigureMessaging(opts, builder.Configuration);
        });
        return builder;
    }
}

/// <summary>Creates Wolverine's tables on an instance without a durability agent, which Wolverine itself leaves to others.</summary>
internal sealed class MessageStoreStartup(IWolverineRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        runtime.Options.Durability.DurabilityAgentEnabled ? Task.CompletedTask : runtime.Storage.Admin.MigrateAsync();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
