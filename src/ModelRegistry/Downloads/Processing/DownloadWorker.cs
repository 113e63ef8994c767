using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Commands;
using ModelRegistry.EventStore.Jobs;

namespace ModelRegistry.Downloads.Processing;

/// <summary>
/// Runs a <see cref="DownloadJob"/>: appends <c>VersionDownloadStarted</c>, fetches and verifies the file, then — in one
/// transaction that first proves this worker's claim is still the latest — links the file into place under a name no other
/// file or version has, appends <c>VersionDownloaded</c> and completes the job. A refusal, the last failed attempt or a
/// cancellation appends <c>VersionDownloadFailed</c>. Every step goes through the catalog's deciders, so a repeated step appends nothing.
/// Its log lines carry the job's <c>JobId</c> and the <c>CorrelationId</c> of the request that queued it.
/// </summary>
internal sealed partial class DownloadWorker(
    IEventStore store,
    RemoteSources sources,
    HttpTransfer transfer,
    ArtifactStore artifacts,
    CatalogReader catalog,
    DownloadProgressBoard board,
    RegistryMetrics metrics,
    ILogger<DownloadWorker> logger,
    TimeProvider clock) : IJobHandler
{
    public string Queue => DownloadJob.Queue;

    // The job worker logs everything about the job, this handler's lines included, in a scope with these.
    public string? CorrelationIdOf(JobContext job) => job.PayloadAs<DownloadJob>().CorrelationId;

    public async Task HandleAsync(JobContext job, CancellationToken ct)
    {
        var download = job.PayloadAs<DownloadJob>();
        var metadata = download.Metadata(job.Id);
        try
        {
            if (await StartAsync(download, job.Id, metadata, ct) is not { } model)
            {
                LogAlreadyReady(logger, download.ModelName, download.Version);
                return;
            }

            LogStarted(logger, download.ModelName, download.Version, job.Attempt, job.MaxAttempts);

            var target = await sources.ResolveAsync(download.Source, ct);
            var result = await FetchAsync(download, job, target, ct);
            var readable = await FreeReadablePathAsync(model.Name, download.Version, target.FileName, ct);
            var completion = new CompleteDownload(download.ModelName, download.Version, job.Id, readable, result.SizeBytes, result.Sha256,
                target.Url.ToString(), result.RepoCommit ?? target.Revision, result.ETag);
            var published = false;
            await store.HandleAsync(CatalogStream.Definition, CatalogStream.StreamId(download.ModelName),
                (state, _) => CompleteDownload.Decide(state, completion, clock.GetUtcNow()), null, metadata,
                async (transaction, token) =>
                {
                    await job.CompleteAsync(transaction.Connection, transaction.Transaction, token);

                    // An append that lost a race runs this again: the readable path is this job's own by then.
                    if (!published)
                    {
                        artifacts.Publish(job.Id, result.Sha256, result.SizeBytes, readable);
                        published = true;
                    }
                }, ct: ct);
            metrics.DownloadFinished("succeeded");
            LogDownloaded(logger, download.ModelName, download.Version, result.SizeBytes, result.Sha256);
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

    public Task OnDeadLetteredAsync(JobContext job, string error, CancellationToken ct) => FailAsync(job, error, "failed", ct);

    public Task OnCancelledAsync(JobContext job, CancellationToken ct) => FailAsync(job, "The download was cancelled.", "cancelled", ct);

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

    /// <summary>
    /// The first of the version's readable paths that nothing is at on disk and no version points at (relative or absolute, in
    /// any letter case, as a case-insensitive file system would match it), so a publish never replaces anyone's file.
    /// </summary>
    private async Task<string> FreeReadablePathAsync(string modelName, int version, string fileName, CancellationToken ct)
    {
        var candidates = ArtifactStore.ReadablePaths(modelName, version, fileName);
        var referenced = await catalog.LocalPathsInUseIgnoringCaseAsync([.. candidates, .. candidates.Select(artifacts.AbsolutePath)], ct);
        return candidates.FirstOrDefault(path => !referenced.Contains(path) && !referenced.Contains(artifacts.AbsolutePath(path)) && !artifacts.IsTaken(path))
            ?? throw new DownloadRefusedException("readable-path-taken",
                $"Every readable name for {modelName} version {version} ('{candidates[0]}' and {candidates.Count - 1} more) is taken by another file.");
    }

    private async Task<TransferResult> FetchAsync(DownloadJob download, JobContext job, RemoteTarget target, CancellationToken ct)
    {
        var meter = new ProgressMeter(clock);
        if (download.Sha256?.ToLowerInvariant() is { } expected && artifacts.StoredSize(expected) is { } stored)
        {
            Report(job, meter.Next(stored, stored, force: true));
            return new TransferResult(stored, expected, null, null, null);
        }

        // Bytes an earlier attempt left on disk are counted once: a resumed transfer reports its total from that offset on.
        var counted = new FileInfo(artifacts.IncompletePath(job.Id)) is { Exists: true } partial ? partial.Length : 0;
        var result = await transfer.RunAsync(new TransferRequest(job.Id, target.Url, download.Sha256, target.Token, target.TokenAudience),
            (done, total) =>
            {
                metrics.Downloaded(done >= counted ? done - counted : done);
                counted = done;
                Report(job, meter.Next(done, total));
            }, ct);
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

    private async Task FailAsync(JobContext job, string reason, string outcome, CancellationToken ct)
    {
        var download = job.PayloadAs<DownloadJob>();
        artifacts.Discard(job.Id);
        metrics.DownloadFinished(outcome);
        LogFailed(logger, download.ModelName, download.Version, outcome, reason);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloading {Model} version {Version}, attempt {Attempt} of {MaxAttempts}")]
    private static partial void LogStarted(ILogger logger, string model, int version, int attempt, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloaded {Model} version {Version}: {SizeBytes} bytes, SHA-256 {Sha256}")]
    private static partial void LogDownloaded(ILogger logger, string model, int version, long sizeBytes, string sha256);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} version {Version} is ready already; nothing to download")]
    private static partial void LogAlreadyReady(ILogger logger, string model, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Download of {Model} version {Version} {Outcome}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string model, int version, string outcome, string reason);
}
