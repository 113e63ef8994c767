using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Commands;
using ModelRegistry.EventStore.Jobs;

namespace ModelRegistry.Downloads.Processing;

/// <summary>
/// Runs a <see cref="DownloadJob"/>: appends <c>VersionDownloadStarted</c>, fetches and verifies the file, then — in one
/// transaction that first proves this worker's claim is still the latest — links the file into place, appends
/// <c>VersionDownloaded</c> and completes the job. A refusal, the last failed attempt or a cancellation appends
/// <c>VersionDownloadFailed</c>. Every step goes through the catalog's deciders, so a repeated step appends nothing.
/// </summary>
internal sealed class DownloadWorker(
    IEventStore store,
    RemoteSources sources,
    HttpTransfer transfer,
    ArtifactStore artifacts,
    DownloadProgressBoard board,
    TimeProvider clock) : IJobHandler
{
    public string Queue => DownloadJob.Queue;

    public async Task HandleAsync(JobContext job, CancellationToken ct)
    {
        var download = job.PayloadAs<DownloadJob>();
        var metadata = download.Metadata(job.Id);
        try
        {
            if (await StartAsync(download, job.Id, metadata, ct) is not { } model)
            {
                return;
            }

            var target = await sources.ResolveAsync(download.Source, ct);
            var result = await FetchAsync(download, job, target, ct);
            var readable = ArtifactStore.ReadablePath(model.Name, download.Version, target.FileName);
            var completion = new CompleteDownload(download.ModelName, download.Version, job.Id, readable, result.SizeBytes, result.Sha256,
                target.Url.ToString(), result.RepoCommit ?? target.Revision, result.ETag);
            await store.HandleAsync(CatalogStream.Definition, CatalogStream.StreamId(download.ModelName),
                (state, _) => CompleteDownload.Decide(state, completion, clock.GetUtcNow()), null, metadata,
                async (transaction, token) =>
                {
                    await job.CompleteAsync(transaction.Connection, transaction.Transaction, token);
                    artifacts.Publish(job.Id, result.Sha256, result.SizeBytes, readable);
                }, ct: ct);
        }
        catch (DownloadRefusedException refused)
        {
            throw new PermanentJobFailureException(refused.Message, refused);
        }
        catch (DomainException refused)
        {
            throw new PermanentJobFailureException(refused.Detail, refused);
        }
        finally
        {
            board.Remove(job.Id);
        }
    }

    public Task OnDeadLetteredAsync(JobContext job, string error, CancellationToken ct) => FailAsync(job, error, ct);

    public Task OnCancelledAsync(JobContext job, CancellationToken ct) => FailAsync(job, "The download was cancelled.", ct);

    /// <summary>The model as the download starts, or null when there is nothing to do: the version is ready already.</summary>
    private async Task<ModelState?> StartAsync(DownloadJob download, Guid jobId, EventMetadata metadata, CancellationToken ct)
    {
        try
        {
            var started = await store.HandleAsync(CatalogStream.Definition, CatalogStream.StreamId(download.ModelName),
                (state, _) => StartDownload.Decide(state, new StartDownload(download.ModelName, download.Version, jobId), clock.GetUtcNow()),
                null, metadata, ct: ct);
            return started.State;
        }
        catch (DomainException e) when (e.Code == "version-already-ready")
        {
            return null;
        }
    }

    private async Task<TransferResult> FetchAsync(DownloadJob download, JobContext job, RemoteTarget target, CancellationToken ct)
    {
        var meter = new ProgressMeter(clock);
        if (download.Sha256?.ToLowerInvariant() is { } expected && artifacts.StoredSize(expected) is { } stored)
        {
            Report(job, meter.Next(stored, stored, force: true));
            return new TransferResult(stored, expected, null, null, null);
        }

        var result = await transfer.RunAsync(new TransferRequest(job.Id, target.Url, download.Sha256, target.Token, target.TokenAudience),
            (done, total) => Report(job, meter.Next(done, total)), ct);
        Report(job, meter.Next(result.SizeBytes, result.SizeBytes, force: true));
        return result;
    }

    private void Report(JobContext job, DownloadProgress? progress)
    {
        if (progress is not null)
        {
            board.Set(job.Id, progress);
            job.ReportProgress(progress);
        }
    }

    private async Task FailAsync(JobContext job, string reason, CancellationToken ct)
    {
        var download = job.PayloadAs<DownloadJob>();
        artifacts.Discard(job.Id);
        try
        {
            await store.HandleAsync(CatalogStream.Definition, CatalogStream.StreamId(download.ModelName),
                (state, _) => FailDownload.Decide(state, new FailDownload(download.ModelName, download.Version, job.Id, reason), clock.GetUtcNow()),
                null, download.Metadata(job.Id, reason), ct: ct);
        }
        catch (DomainException)
        {
            // The model or version is gone from the stream (it never existed): there is nothing to mark failed.
        }
    }
}
