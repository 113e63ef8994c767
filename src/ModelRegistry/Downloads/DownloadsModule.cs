using ModelRegistry.Access;
using Microsoft.Extensions.Options;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Cleaning;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.Requesting;
using ModelRegistry.Downloads.Scanning;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.Downloads.Tracking;
using ModelRegistry.EventStore.Jobs;

namespace ModelRegistry.Downloads;

internal static class DownloadsModule
{
    public const string JobsSection = "Registry:Jobs";

    /// <summary>Downloads: the engine and its worker, the catalog's download queue, and the API's reader.</summary>
    public static IServiceCollection AddDownloads(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDownloadProcessing(configuration);
        services.AddSingleton<IVersionDownloadQueue, VersionDownloadQueue>();
        services.AddSingleton<DownloadReader>();
        services.AddKeyedSingleton<IResponseRenderer, DownloadRenderer>(DownloadReplies.View);
        services.AddSingleton<StorageScanner>();
        services.AddSingleton<StorageCleaner>();
        services.AddHostedService<StorageCleanupMonitor>();
        services.AddHealthChecks().AddCheck<DownloadWorkersHealthCheck>("download-workers", tags: ["ready"]);
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
        services.AddDurableJobs(o => configuration.GetSection(JobsSection).Bind(o));
        services.AddJobHandler<DownloadWorker>();
        return services;
    }
}
