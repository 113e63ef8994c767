using System.Globalization;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.State;

namespace ModelRegistry.Downloads.Tracking;

/// <summary>A download as the API shows it: the job's state in download words, with progress and what went wrong.</summary>
internal sealed record DownloadResource(
    Guid Id,
    string Model,
    int Version,
    VersionSource Source,
    string State,
    long BytesDone,
    long? BytesTotal,
    double BytesPerSecond,
    int Attempts,
    int MaxAttempts,
    string? LastError,
    bool CancelRequested,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    string VersionUrl)
{
    public bool IsFinished => State is "succeeded" or "failed" or "cancelled";
}

/// <summary>Reads downloads from their documents, with the live progress of the ones this instance runs.</summary>
internal sealed class DownloadReader(DownloadRecords records, DownloadProgressBoard board)
{
    public async Task<DownloadResource?> GetAsync(Guid id, CancellationToken ct) =>
        await records.GetAsync(id, ct) is { } record ? From(record, await records.GetProgressAsync(id, ct)) : null;

    /// <summary>Newest first; a page one longer than asked tells whether another follows.</summary>
    public async Task<Page<DownloadResource>> ListAsync(string? state, int limit, string? cursor, CancellationToken ct)
    {
        if (state is not null && !DownloadStates.All.Contains(state))
        {
            throw DomainErrors.Invalid("state", "invalid-state",
                "The state is one of: queued, retrying, running, cancelling, succeeded, failed, cancelled.");
        }

        var found = await records.ListAsync(state, Position(cursor), limit + 1, ct);
        var page = found.Take(limit).ToList();
        var progress = await records.GetProgressAsync(page.Select(r => r.Id).ToList(), ct);
        return new Page<DownloadResource>(page.Select(r => From(r, progress.GetValueOrDefault(r.Id))).ToList(),
            found.Count > limit ? ReadQuery.Cursor('d', page[^1].SortKey) : null);
    }

    private static string? Position(string? cursor) =>
        ReadQuery.CursorText(cursor, 'd') switch
        {
            null => null,
            var text when text.Split('_') is [var ticks, var id]
                          && ticks.Length == 19 && long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var utcTicks)
                          && utcTicks <= DateTimeOffset.MaxValue.UtcTicks
                          && Guid.TryParseExact(id, "N", out var downloadId) && id == downloadId.ToString("N") => text,
            _ => throw DomainErrors.Invalid("cursor", "invalid-cursor", "The cursor is not one this list handed out."),
        };

    private DownloadResource From(DownloadRecord record, DownloadProgressRecord? stored)
    {
        var download = record.ToJob();
        var running = record.State is DownloadStates.Running or DownloadStates.Cancelling;
        var progress = (running ? board.Get(record.Id) : null)
            ?? (stored is null ? null : new DownloadProgress(stored.BytesDone, stored.BytesTotal, stored.BytesPerSecond, stored.UpdatedAt));
        var state = record is { CancelRequested: true, IsFinished: false } ? DownloadStates.Cancelling : record.State;
        return new DownloadResource(
            record.Id,
            download.ModelName,
            download.Version,
            download.Source,
            state,
            progress?.BytesDone ?? 0,
            progress?.BytesTotal,
            running ? progress?.BytesPerSecond ?? 0 : 0,
            record.Attempts,
            record.MaxAttempts,
            record.LastError,
            record.CancelRequested,
            record.State switch
            {
                DownloadStates.Queued => record.CreatedAt,
                DownloadStates.Retrying => record.NextAttemptAt,
                _ => null,
            },
            record.CreatedAt,
            record.UpdatedAt,
            record.FinishedAt,
            CatalogReplies.VersionPath(download.ModelName, download.Version));
    }
}

/// <summary>
/// Cancels a download: one waiting for its (next) attempt is cancelled at once, its version marked failed (its message, when it
/// comes, finds the download finished); a running one is asked to stop, which its worker sees within a heartbeat.
/// </summary>
internal sealed class DownloadCancellation(DownloadRecords records, DownloadWorker worker)
{
    public async Task<CancelOutcome> CancelAsync(Guid id, CancellationToken ct)
    {
        var outcome = CancelOutcome.NotFound;
        var wasRunning = false;
        var record = await records.ChangeAsync(id, r =>
        {
            wasRunning = r.State is DownloadStates.Running or DownloadStates.Cancelling;
            if (r.IsFinished)
            {
                outcome = CancelOutcome.AlreadyFinished;
                return false;
            }

            outcome = CancelOutcome.Requested;
            if (r.CancelRequested)
            {
                return false;
            }

            (r.CancelRequested, r.State) = (true, DownloadStates.Cancelling);
            return true;
        }, ct);
        if (record is null || outcome != CancelOutcome.Requested || wasRunning)
        {
            return record is null ? CancelOutcome.NotFound : outcome;
        }

        await worker.FinishAsync(id, record.ToJob(), "The download was cancelled.", DownloadStates.Cancelled, ct);
        return CancelOutcome.Cancelled;
    }
}

internal sealed class DownloadRenderer(DownloadReader reader) : IResponseRenderer
{
    public async Task<object?> RenderAsync(string key, DateTimeOffset? asOf, CancellationToken ct) =>
        await reader.GetAsync(Guid.Parse(key), ct);
}

internal static class DownloadReplies
{
    public const string View = "download";
    public const string Prefix = "/api/v1/downloads";

    public static string PathOf(Guid id) => $"{Prefix}/{id}";

    public static CommandReply Accepted(string name, int version)
    {
        var id = DownloadJob.IdFor(name, version);
        return new CommandReply(StatusCodes.Status202Accepted, new ResponseView(View, id.ToString()), PathOf(id));
    }

    public static DomainException NotFound(Guid id) => DomainErrors.NotFound("download-not-found", $"There is no download {id}.");
}
