using Microsoft.Extensions.Options;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.EventStore.Jobs;

namespace ModelRegistry.Downloads;

internal static class DownloadsModule
{
    public const string JobsSection = "Registry:Jobs";

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
        services.AddDurableJobs(o => configuration.GetSection(JobsSection).Bind(o));
        services.AddJobHandler<DownloadWorker>();
        return services;
    }
}
