using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.EventStore.Jobs;
using ModelRegistry.EventStore;

namespace ModelRegistry.Downloads.Requesting;

/// <summary>
/// Fills the catalog's seam: a URL outside the egress policy is refused with the request, and the download job is stored
/// in the transaction that registers the version, and nothing else is.
/// </summary>
internal sealed class VersionDownloadQueue(IJobQueue jobs, DownloadsOptions options, EgressPolicy egress) : IVersionDownloadQueue
{
    public void Check(SourceRequest source, string field)
    {
        if (!string.Equals(source.Type, nameof(SourceType.Url), StringComparison.OrdinalIgnoreCase) || !Uri.TryCreate(source.Uri, UriKind.Absolute, out var url))
        {
            return;
        }

        try
        {
            egress.CheckUrl(url);
        }
        catch (DownloadRefusedException refused)
        {
            throw DomainErrors.Invalid(field, refused.Code, refused.Message);
        }
    }

    public void Enqueue(AppendTransaction transaction, VersionDownloadRequest request) =>
        jobs.Enqueue(transaction, DownloadJob.Queue,
            new DownloadJob(request.ModelName, request.Version, request.Source, request.Sha256, request.Actor, request.CorrelationId),
            maxAttempts: options.MaxAttempts, id: DownloadJob.IdFor(request.ModelName, request.Version));
}
