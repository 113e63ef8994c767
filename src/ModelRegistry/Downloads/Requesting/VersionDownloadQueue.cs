using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.Downloads.State;
using Marten;
using ModelRegistry.Catalog.Downloading;
using Wolverine;
using Wolverine.Runtime;
using Wolverine.Transports;

namespace ModelRegistry.Downloads.Requesting;

/// <summary>
/// Fills the catalog's seams. A URL outside the egress policy is refused with the request. The download — its
/// <see cref="DownloadRecord"/> and its <see cref="DownloadVersion"/> message — is stored in the transaction that registers the
/// version (Wolverine's outbox on the handler's Marten session), so the three commit together or not at all; once committed the
/// message goes to the durable <c>downloads</c> queue, or, while this instance holds <see cref="DownloadWorkerOptions.QueueAhead"/>
/// downloads already, waits in the database for Wolverine's next poll, so a registration never waits for the worker. And a
/// download is finished in the transaction that records its file, only while the attempt that fetched it is the latest.
/// </summary>
internal sealed class VersionDownloadQueue(
    DownloadsOptions options, DownloadWorkerOptions worker, EgressPolicy egress, DownloadRecords records, TimeProvider clock, IWolverineRuntime runtime)
    : IVersionDownloadQueue, IDownloadCompletion
{
    /// <summary>How long a download that found the queue full waits in the database before Wolverine's poll may take it.</summary>
    internal static readonly TimeSpan ParkedFor = TimeSpan.FromSeconds(1);

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

    public async ValueTask EnqueueAsync(IDocumentSession session, IMessageContext bus, VersionDownloadRequest request)
    {
        var id = DownloadJob.IdFor(request.ModelName, request.Version);
        var now = clock.GetUtcNow();
        session.Insert(new DownloadRecord
        {
            Id = id,
            ModelName = request.ModelName,
            ModelVersion = request.Version,
            SourceType = request.Source.Type.ToString(),
            SourceUri = request.Source.Uri,
            SourceRevision = request.Source.Revision,
            SourceFile = request.Source.File,
            Sha256 = request.Sha256,
            Actor = request.Actor,
            CorrelationId = request.CorrelationId,
            MaxAttempts = Math.Max(1, options.MaxAttempts),
            CreatedAt = now,
            UpdatedAt = now,
            SortKey = DownloadRecord.SortKeyOf(now, id),
        });
        if (runtime.Endpoints.AgentForLocalQueue(DownloadJob.Queue) is IListenerCircuit { QueueCount: var held } && held >= worker.QueueAhead)
        {
            await bus.ScheduleAsync(new DownloadVersion(id), ParkedFor);
        }
        else
        {
            await bus.PublishAsync(new DownloadVersion(id));
        }
    }

    public Task CompleteAsync(IDocumentSession session, Guid downloadId, int attempt, CancellationToken ct) =>
        records.CompleteAsync(session, downloadId, attempt, ct);
}
