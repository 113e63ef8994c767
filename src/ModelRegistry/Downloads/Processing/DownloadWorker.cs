using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.Downloads.State;
using Wolverine;
using Wolverine.Runtime;

namespace ModelRegistry.Downloads.Processing;

/// <summary>
/// Runs one attempt of a download, for the <see cref="DownloadVersion"/> message Wolverine hands it. It claims the download
/// (its <see cref="DownloadRecord"/>'s attempt count goes up by one: the claim's fencing token), appends
/// <c>VersionDownloadStarted</c>, fetches and verifies the file while a heartbeat saves progress and looks for a cancellation
/// or a newer claim, then — in one transaction that first proves this claim is still the latest — links the file into place
/// under a name no other file or version has, appends <c>VersionDownloaded</c> and marks the download succeeded.
/// A failure is recorded before Wolverine sees it (<see cref="DownloadAttemptFailedException"/>): a retry with backoff, or
/// (refused, or the last attempt) <c>VersionDownloadFailed</c> and the dead letter table. Every catalog step goes through the
/// catalog's deciders, so a repeated step appends nothing. Log lines carry the download's <c>JobId</c> and the
/// <c>CorrelationId</c> of the request that queued it.
/// </summary>
internal sealed partial class DownloadWorker(
    IWolverineRuntime messaging,
    RemoteSources sources,
    HttpTransfer transfer,
    ArtifactStore artifacts,
    CatalogReader catalog,
    DownloadProgressBoard board,
    DownloadRecords records,
    DownloadWorkerOptions options,
    RegistryMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<DownloadWorker> logger,
    TimeProvider clock) : IDownloadRunner, IDownloadWorkerStatus
{
    private const string CancelledReason = "The download was cancelled.";
    private int _running;

    private enum Interruption
    {
        None,
        CancelRequested,
        ClaimLost,
    }

    public DownloadWorkerStatus Current() => !options.RunWorker
        ? new(DownloadWorkerState.Off, 0, null)
        : lifetime.ApplicationStopping.IsCancellationRequested
            ? new(DownloadWorkerState.Stopped, 0, null)
            : lifetime.ApplicationStarted.IsCancellationRequested
                ? new(DownloadWorkerState.Running, Volatile.Read(ref _running), null)
                : new(DownloadWorkerState.Starting, 0, null);

    public async Task RunAsync(DownloadVersion message, CancellationToken cancellation)
    {
        // Stopping the instance stops its downloads at once: each gives its attempt back and is scheduled again.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, lifetime.ApplicationStopping);
        var ct = stop.Token;
        var id = message.DownloadId;
        while (true)
        {
            if (await records.GetAsync(id, ct) is not { } found || found.IsFinished)
            {
                return;
            }

            var download = found.ToJob();
            using var scope = JobScope(logger, id, download.CorrelationId);
            if (found.CancelRequested)
            {
                await FinishAsync(id, download, CancelledReason, DownloadStates.Cancelled, ct);
                return;
            }

            if (found.Attempts >= found.MaxAttempts)
            {
                const string died = "The download's worker stopped during its last attempt.";
                await FinishAsync(id, download, died, DownloadStates.Failed, ct);
                throw new DownloadAttemptFailedException(died, new InvalidOperationException(died), null);
            }

            var claimed = await records.ChangeAsync(id, r =>
            {
                if (r.IsFinished || r.CancelRequested || r.Attempts != found.Attempts)
                {
                    return false;
                }

                (r.Attempts, r.State, r.NextAttemptAt, r.ClaimedBy) = (r.Attempts + 1, DownloadStates.Running, null, options.WorkerId);
                return true;
            }, ct);
            if (claimed is null || claimed.Attempts != found.Attempts + 1 || claimed.ClaimedBy != options.WorkerId)
            {
                continue;
            }

            Interlocked.Increment(ref _running);
            try
            {
                await AttemptAsync(id, download, claimed, ct);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
                board.Remove(id);
            }

            return;
        }
    }

    private async Task AttemptAsync(Guid id, DownloadJob download, DownloadRecord claim, CancellationToken ct)
    {
        var fence = claim.Attempts;
        using var attemptStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var heartbeatStop = new CancellationTokenSource();
        var interruption = Interruption.None;
        var heartbeat = HeartbeatAsync(id, fence, reason =>
        {
            interruption = reason;
            attemptStop.Cancel();
        }, heartbeatStop.Token);

        Exception? failure = null;
        try
        {
            LogStarted(logger, download.ModelName, download.Version, fence, claim.MaxAttempts);
            await DownloadAsync(id, fence, download, attemptStop.Token);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
        }

        await SaveProgressAsync(id);
        var stopping = ct.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested;
        if (failure is null)
        {
            return;
        }

        var lost = interruption == Interruption.ClaimLost || failure is DownloadClaimLostException;
        if (interruption == Interruption.CancelRequested || (lost && await IsCancelRequestedAsync(id, fence)))
        {
            await FinishAsync(id, download, CancelledReason, DownloadStates.Cancelled, CancellationToken.None);
            return;
        }

        if (lost)
        {
            LogClaimLost(logger, id, fence);
            return;
        }

        switch (failure)
        {
            case OperationCanceledException when stopping:
                // Shutting down: the attempt is given back, and the message comes back once an instance runs downloads again.
                await records.ChangeAsync(id, r =>
                {
                    if (r.Attempts != fence || r.IsFinished)
                    {
                        return false;
                    }

                    (r.Attempts, r.ClaimedBy) = (r.Attempts - 1, null);
                    r.State = r.CancelRequested ? DownloadStates.Cancelling : r.Attempts == 0 ? DownloadStates.Queued : DownloadStates.Retrying;
                    return true;
                }, CancellationToken.None);
                throw new DownloadReleasedException(id, failure);
            case DownloadRefusedException refused:
                await FinishAsync(id, download, refused.Message, DownloadStates.Failed, CancellationToken.None);
                throw new DownloadAttemptFailedException(refused.Message, refused, null);
            case DomainException refused:
                await FinishAsync(id, download, refused.Detail, DownloadStates.Failed, CancellationToken.None);
                throw new DownloadAttemptFailedException(refused.Detail, refused, null);
            case var last when fence >= claim.MaxAttempts:
                await FinishAsync(id, download, Describe(last), DownloadStates.Failed, CancellationToken.None);
                throw new DownloadAttemptFailedException(Describe(last), last, null);
            default:
                var error = failure;
                var delay = DownloadWorkerOptions.Backoff(fence, options.BaseBackoff, options.MaxBackoff, Random.Shared);
                var at = clock.GetUtcNow() + delay;
                await records.ChangeAsync(id, r =>
                {
                    if (r.Attempts != fence || r.IsFinished)
                    {
                        return false;
                    }

                    (r.State, r.LastError, r.NextAttemptAt, r.ClaimedBy) = (DownloadStates.Retrying, Describe(error), at, null);
                    return true;
                }, CancellationToken.None);
                LogRetrying(logger, error, id, fence, claim.MaxAttempts, delay);
                throw new DownloadAttemptFailedException(Describe(error), error, at);
        }
    }

    private async Task<bool> IsCancelRequestedAsync(Guid id, int fence) =>
        await records.GetAsync(id, CancellationToken.None) is { CancelRequested: true, IsFinished: false } r && r.Attempts == fence;

    private async Task DownloadAsync(Guid id, int fence, DownloadJob download, CancellationToken ct)
    {
        var context = download.Context(id);
        if (await StartAsync(download, id, context, ct) is not { } model)
        {
            LogAlreadyReady(logger, download.ModelName, download.Version);
            await records.ChangeAsync(id, r =>
            {
                if (r.Attempts != fence || r.IsFinished)
                {
                    return false;
                }

                (r.State, r.FinishedAt) = (DownloadStates.Succeeded, clock.GetUtcNow());
                return true;
            }, ct);
            return;
        }

        var target = await sources.ResolveAsync(download.Source, ct);
        var result = await FetchAsync(id, download, target, ct);
        await SaveProgressAsync(id);
        var readable = await FreeReadablePathAsync(model.Name, download.Version, target.FileName, ct);
        // The file goes into place before the version records it: the command refuses (and the file is taken away again) unless this
        // attempt is still the download's latest, so a worker that lost its download cannot complete it late.
        artifacts.Publish(id, result.Sha256, result.SizeBytes, readable);
        try
        {
            await InvokeAsync(new CompleteDownload(download.ModelName, download.Version, id, readable, result.SizeBytes, result.Sha256,
                target.Url.ToString(), result.RepoCommit ?? target.Revision, result.ETag) { Attempt = fence, Context = context }, ct);
        }
        catch
        {
            artifacts.Unpublish(readable);
            throw;
        }

        metrics.DownloadFinished("succeeded");
        LogDownloaded(logger, download.ModelName, download.Version, result.SizeBytes, result.Sha256);
    }

    /// <summary>
    /// Every <see cref="DownloadWorkerOptions.HeartbeatInterval"/>: saves the progress, and stops the attempt when the download
    /// was cancelled, finished or claimed again meanwhile (this worker lost its message to another instance).
    /// </summary>
    private async Task HeartbeatAsync(Guid id, int fence, Action<Interruption> interrupt, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, ct);
                await SaveProgressAsync(id, ct);
                var record = await records.GetAsync(id, ct);
                if (record is null || record.Attempts != fence || record.IsFinished)
                {
                    interrupt(Interruption.ClaimLost);
                    return;
                }

                if (record.CancelRequested)
                {
                    interrupt(Interruption.CancelRequested);
                    return;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogHeartbeatFailed(logger, ex, id);
            }
        }
    }

    private async Task SaveProgressAsync(Guid id, CancellationToken ct = default)
    {
        if (board.Get(id) is { } progress)
        {
            try
            {
                await records.SaveProgressAsync(id, new DownloadProgressRecord
                {
                    BytesDone = progress.BytesDone,
                    BytesTotal = progress.BytesTotal,
                    BytesPerSecond = progress.BytesPerSecond,
                    UpdatedAt = progress.UpdatedAt,
                }, ct);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogHeartbeatFailed(logger, ex, id);
            }
        }
    }

    /// <summary>The model as the download starts, or null when there is nothing to do: the version is ready already.</summary>
    private async Task<ModelState?> StartAsync(DownloadJob download, Guid jobId, CommandContext context, CancellationToken ct)
    {
        try
        {
            var started = await InvokeAsync(new StartDownload(download.ModelName, download.Version, jobId) { Context = context }, ct);
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

    private async Task<TransferResult> FetchAsync(Guid id, DownloadJob download, RemoteTarget target, CancellationToken ct)
    {
        var meter = new ProgressMeter(clock);
        if (download.Sha256?.ToLowerInvariant() is { } expected && artifacts.StoredSize(expected) is { } stored)
        {
            Report(id, meter.Next(stored, stored, force: true));
            return new TransferResult(stored, expected, null, null, null);
        }

        // Bytes an earlier attempt left on disk are counted once: a resumed transfer reports its total from that offset on.
        var counted = new FileInfo(artifacts.IncompletePath(id)) is { Exists: true } partial ? partial.Length : 0;
        var result = await transfer.RunAsync(new TransferRequest(id, target.Url, download.Sha256, target.Token, target.TokenAudience),
            (done, total) =>
            {
                metrics.Downloaded(done >= counted ? done - counted : done);
                counted = done;
                Report(id, meter.Next(done, total));
            }, ct);
        Report(id, meter.Next(result.SizeBytes, result.SizeBytes, force: true));
        return result;
    }

    private void Report(Guid id, DownloadProgress? progress)
    {
        if (progress is not null)
        {
            board.Set(id, progress);
        }
    }

    /// <summary>
    /// Appends <c>VersionDownloadFailed</c> (the catalog's decider makes a repeat a no-op), then marks the download
    /// <paramref name="state"/>: a crash between the two leaves a download whose next claim finishes it again.
    /// </summary>
    internal async Task FinishAsync(Guid id, DownloadJob download, string reason, string state, CancellationToken ct)
    {
        artifacts.Discard(id);
        metrics.DownloadFinished(state);
        LogFailed(logger, download.ModelName, download.Version, state, reason);
        try
        {
            await InvokeAsync(new FailDownload(download.ModelName, download.Version, id, reason) { Context = download.Context(id, reason) }, ct);
        }
        catch (DomainException)
        {
            // The model or version is gone from the stream (it never existed): there is nothing to mark failed.
        }

        await records.ChangeAsync(id, r =>
        {
            if (r.IsFinished)
            {
                return false;
            }

            (r.State, r.FinishedAt, r.NextAttemptAt, r.ClaimedBy) = (state, clock.GetUtcNow(), null, null);
            if (state == DownloadStates.Failed)
            {
                r.LastError = reason;
            }

            return true;
        }, ct);
    }

    /// <summary>What Wolverine's last resort calls when something outside an attempt kept failing: the download fails.</summary>
    public async Task FailAsync(DownloadVersion message, Exception error, CancellationToken ct)
    {
        if (await records.GetAsync(message.DownloadId, ct) is { IsFinished: false } found)
        {
            await FinishAsync(found.Id, found.ToJob(), Describe(error), DownloadStates.Failed, ct);
        }
    }

    private Task<CommandDone> InvokeAsync(IModelCommand command, CancellationToken ct) => new MessageBus(messaging).InvokeAsync<CommandDone>(command, ct);

    private static string Describe(Exception error) =>
        error is OperationCanceledException or TimeoutException ? $"{error.GetType().Name}: {error.Message}" : error.Message;

    private static readonly Func<ILogger, Guid, string?, IDisposable?> JobScope =
        LoggerMessage.DefineScope<Guid, string?>("JobId:{JobId} CorrelationId:{CorrelationId}");

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloading {Model} version {Version}, attempt {Attempt} of {MaxAttempts}")]
    private static partial void LogStarted(ILogger logger, string model, int version, int attempt, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloaded {Model} version {Version}: {SizeBytes} bytes, SHA-256 {Sha256}")]
    private static partial void LogDownloaded(ILogger logger, string model, int version, long sizeBytes, string sha256);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} version {Version} is ready already; nothing to download")]
    private static partial void LogAlreadyReady(ILogger logger, string model, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Download of {Model} version {Version} {Outcome}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string model, int version, string outcome, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Download {JobId} attempt {Attempt} of {MaxAttempts} failed; retrying in {Delay}")]
    private static partial void LogRetrying(ILogger logger, Exception exception, Guid jobId, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Download {JobId} was claimed again after claim {Fence}; this worker lets it go without publishing")]
    private static partial void LogClaimLost(ILogger logger, Guid jobId, int fence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The heartbeat of download {JobId} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, Guid jobId);
}
