using ModelRegistry.Catalog.Registering;
using ModelRegistry.EventStore.Jobs;
using ModelRegistry.EventStore;

namespace ModelRegistry.Downloads.Requesting;

/// <summary>Fills the catalog's seam: the download job is stored in the transaction that registers the version, and nothing else is.</summary>
internal sealed class VersionDownloadQueue(IJobQueue jobs, DownloadsOptions options) : IVersionDownloadQueue
{
    public void Enqueue(AppendTransaction transaction, VersionDownloadRequest request) =>
        jobs.Enqueue(transaction, DownloadJob.Queue,
            new DownloadJob(request.ModelName, request.Version, request.Source, request.Sha256, request.Actor, request.CorrelationId),
            maxAttempts: options.MaxAttempts, id: DownloadJob.IdFor(request.ModelName, request.Version));
}
