using ModelRegistry.Access;
using Microsoft.Extensions.Options;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Cleaning;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.Requesting;
using ModelRegistry.Downloads.Scanning;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.Downloads.Tracking;
using ModelRegistry.Downloads.State;
using Marten;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime;
using Wolverine.Transports;

namespace ModelRegistry.Downloads;

internal static class DownloadsModule
{
    /// <summary>Downloads: the engine and its worker, the catalog's download queue, and the API's reader.</summary>
    public static IServiceCollection AddDownloads(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDownloadProcessing(configuration);
        services.AddSingleton<VersionDownloadQueue>();
        services.AddSingleton<IVersionDownloadQueue>(sp => sp.GetRequiredService<VersionDownloadQueue>());
        services.AddSingleton<IDownloadCompletion>(sp => sp.GetRequiredService<VersionDownloadQueue>());
        services.AddSingleton<DownloadReader>();
        services.AddSingleton<DownloadCancellation>();
        services.AddKeyedSingleton<IResponseRenderer, DownloadRenderer>(DownloadReplies.View);
        services.AddSingleton<StorageScanner>();
        services.AddSingleton<StorageCleaner>();
        services.AddSingleton<IPeriodicStorageCleanup, PeriodicStorageCleanup>();
        services.AddHealthChecks().AddCheck<DownloadWorkersHealthCheck>("download-workers", tags: ["ready"]);
        services.AddHostedService<DownloadQueueWithoutWorker>();
        return services;
    }

    public static IEndpointRouteBuilder MapDownloads(this IEndpointRouteBuilder app)
    {
        var downloads = app.MapGroup(DownloadReplies.Prefix).WithTags("Downloads");
        downloads.MapPost("", RequestDownloadEndpoint.RequestAsync).RequireRole(Role.Publisher).Validated().WithName("RequestDownload")
            .DescribeRequestDownload();
        downloads.MapGet("", TrackDownloadEndpoints.ListAsync).WithName("ListDownloads")
            .WithQuery(QueryParameter.Text("state", "queued, retrying, running, cancelling, succeeded, failed or cancelled."),
                ReadParameters.Limit, ReadParameters.Cursor)
            .Produces<Page<DownloadResource>>()
            .WithSummary("Downloads, newest first, optionally in one state; cursor paging.");
        downloads.MapGet("/{id:guid}", TrackDownloadEndpoints.GetAsync).WithName("GetDownload").WithSummary("A download's state and progress.");
        downloads.MapGet("/{id:guid}/events", TrackDownloadEndpoints.EventsAsync).WithName("WatchDownload")
            .WithSummary("Server-sent events: progress, then the final state, after which the stream ends.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        downloads.MapDelete("/{id:guid}", TrackDownloadEndpoints.CancelAsync).RequireRole(Role.Publisher).WithName("CancelDownload")
            .WithSummary("Asks the worker to stop; the version's download is then marked failed.").Produces<DownloadResource>(StatusCodes.Status202Accepted);

        app.MapScanStorage();
        app.MapCleanStorage();
        app.MapPost("/v1/models/download", RequestDownloadEndpoint.RequestAsync).WithTags("Model catalog (seed 001)").RequireRole(Role.Publisher).Validated()
            .WithName("RequestModelDownload").DescribeRequestDownload();
        return app;
    }

    /// <summary>The download engine and its durable worker: <c>Registry:Downloads</c>, <c>Registry:HuggingFace</c>, <c>Registry:Jobs</c>.</summary>
    public static IServiceCollection AddDownloadProcessing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DownloadsOptions>().Bind(configuration.GetSection(DownloadsOptions.Section));
        services.AddOptions<HuggingFaceOptions>().Bind(configuration.GetSection(HuggingFaceOptions.Section));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<DownloadsOptions>>().Value);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<HuggingFaceOptions>>().Value);
        services.AddSingleton(sp => EgressPolicy.From(sp.GetRequiredService<DownloadsOptions>(), sp.GetRequiredService<HuggingFaceOptions>()));
        services.AddKeyedSingleton(DownloadJob.Queue, (sp, _) => DownloadHttp.Create(sp.GetRequiredService<EgressPolicy>(), sp.GetRequiredService<DownloadsOptions>()));
        services.AddSingleton<ArtifactStore>();
        services.AddSingleton(sp => new RemoteSources(
            sp.GetRequiredKeyedService<HttpClient>(DownloadJob.Queue), sp.GetRequiredService<EgressPolicy>(), sp.GetRequiredService<HuggingFaceOptions>()));
        services.AddSingleton(sp => new HttpTransfer(
            sp.GetRequiredKeyedService<HttpClient>(DownloadJob.Queue), sp.GetRequiredService<EgressPolicy>(), sp.GetRequiredService<ArtifactStore>(),
            sp.GetRequiredService<DownloadsOptions>()));
        services.AddSingleton<DownloadProgressBoard>();
        services.AddRegistryMetrics();
        services.AddOptions<DownloadWorkerOptions>().Bind(configuration.GetSection(DownloadWorkerOptions.Section));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<DownloadWorkerOptions>>().Value);
        services.AddSingleton<DownloadRecords>();
        services.AddSingleton<DownloadWorker>();
        services.AddSingleton<IDownloadRunner>(sp => sp.GetRequiredService<DownloadWorker>());
        services.AddSingleton<IDownloadWorkerStatus>(sp => sp.GetRequiredService<DownloadWorker>());
        services.ConfigureMarten(o =>
        {
            o.Schema.For<DownloadRecord>().UseOptimisticConcurrency(true);
            o.Schema.For<DownloadProgressRecord>();
        });
        return services;
    }

    /// <summary>
    /// The durable <c>downloads</c> queue (its inbox in PostgreSQL, so a download survives the instance that took it) and what a
    /// failed attempt becomes: the worker has recorded it already and says whether to retry (rescheduled, after a backoff with
    /// jitter) or to dead-letter; anything else that fails around an attempt is retried a few times, then fails the download.
    /// And the periodic storage cleanup, every <c>Registry:Storage:CleanupInterval</c> (<see cref="PeriodicSchedules"/>).
    /// </summary>
    public static void ConfigureMessaging(WolverineOptions opts, IConfiguration configuration)
    {
        var worker = configuration.GetSection(DownloadWorkerOptions.Section).Get<DownloadWorkerOptions>() ?? new DownloadWorkerOptions();
        // An instance that runs no downloads runs no durability agent either, so it never recovers a download to itself.
        opts.Durability.DurabilityAgentEnabled = worker.RunWorker;
        opts.Discovery.IncludeType(typeof(DownloadVersionHandler));
        opts.Discovery.IncludeType(typeof(RunStorageCleanupHandler));
        var cleanupInterval = (configuration.GetSection(RegistryOptions.Section).Get<RegistryOptions>() ?? new RegistryOptions()).Storage.CleanupInterval;
        opts.SchedulePeriodic(PeriodicStorageCleanup.Schedule, "Registry:Storage:CleanupInterval", cleanupInterval,
            occurrence => new RunStorageCleanup(occurrence));
        opts.LocalQueue(DownloadJob.Queue).UseDurableInbox().MaximumParallelMessages(Math.Max(1, worker.Concurrency));
        opts.PublishMessage<DownloadVersion>().ToLocalQueue(DownloadJob.Queue);
        opts.Policies.OnException<DownloadAttemptFailedException>().CustomActionIndefinitely(async (_, lifecycle, ex) =>
        {
            var failed = (DownloadAttemptFailedException)ex;
            if (failed.RetryAt is { } at)
            {
                await lifecycle.ReScheduleAsync(at);
            }
            else
            {
                await lifecycle.MoveToDeadLetterQueueAsync(failed.InnerException ?? failed);
            }
        }, "download: rescheduled after a backoff with jitter, or dead-lettered once VersionDownloadFailed is recorded");
        opts.Policies.OnException<DownloadReleasedException>().CustomActionIndefinitely(
            async (_, lifecycle, _) => await lifecycle.ReScheduleAsync(DateTimeOffset.UtcNow), "download given back on shutdown: scheduled again at once");
        opts.Policies.OnException<Exception>()
            .ScheduleRetry(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)).WithFullJitter()
            .Then.MoveToErrorQueue().And(FailAsync, "the download fails: VersionDownloadFailed");
    }

    private static async ValueTask FailAsync(IWolverineRuntime runtime, IEnvelopeLifecycle lifecycle, Exception error)
    {
        if (lifecycle.Envelope?.Message is DownloadVersion message)
        {
            await runtime.Services.GetRequiredService<DownloadWorker>().FailAsync(message, error, CancellationToken.None);
        }
    }
}

/// <summary>
/// On an instance that runs no downloads, the local <c>downloads</c> queue stays latched: a registration's download message is
/// stored owned by no node, and an instance that runs downloads takes it from the inbox.
/// </summary>
internal sealed class DownloadQueueWithoutWorker(IWolverineRuntime runtime, DownloadWorkerOptions worker) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!worker.RunWorker && runtime.Endpoints.AgentForLocalQueue(DownloadJob.Queue) is IListenerCircuit queue)
        {
            await queue.PauseAsync(Timeout.InfiniteTimeSpan);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
