using System.Globalization;
using System.Text.Json;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.EventStore.Jobs;

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

/// <summary>Reads downloads from the job queue, with the live progress of the ones this instance runs.</summary>
internal sealed class DownloadReader(IJobQueue jobs, DownloadProgressBoard board, JobOptions jobOptions)
{
    public async Task<DownloadResource?> GetAsync(Guid id, CancellationToken ct)
    {
        return await jobs.GetAsync(id, ct) is { Queue: DownloadJob.Queue } job ? From(job) : null;
    }

    /// <summary>Newest first; a page one longer than asked tells whether another follows.</summary>
    public async Task<Page<DownloadResource>> ListAsync(string? state, int limit, string? cursor, CancellationToken ct)
    {
        var jobsFound = await jobs.ListAsync(DownloadJob.Queue, FilterOf(state), Position(cursor), limit + 1, ct);
        var page = jobsFound.Take(limit).ToList();
        return new Page<DownloadResource>(page.Select(From).ToList(),
            jobsFound.Count > limit ? ReadQuery.Cursor('d', $"{page[^1].CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}_{page[^1].Id:N}") : null);
    }

    private static (DateTimeOffset, Guid)? Position(string? cursor) =>
        ReadQuery.CursorText(cursor, 'd') switch
        {
            null => null,
            var text when text.Split('_') is [var ticks, var id]
                          && long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var utcTicks)
                          && utcTicks <= DateTimeOffset.MaxValue.UtcTicks
                          && Guid.TryParseExact(id, "N", out var jobId) => (new DateTimeOffset(utcTicks, TimeSpan.Zero), jobId),
            _ => throw DomainErrors.Invalid("cursor", "invalid-cursor", "The cursor is not one this list handed out."),
        };

    /// <summary>The download states of <see cref="StateOf"/> as conditions on the job.</summary>
    private static JobFilter FilterOf(string? state) => state switch
    {
        null => JobFilter.All,
        "queued" => new JobFilter([JobState.Scheduled], CancelRequested: false, Attempted: false),
        "retrying" => new JobFilter([JobState.Scheduled], CancelRequested: false, Attempted: true),
        "running" => new JobFilter([JobState.Running], CancelRequested: false),
        "cancelling" => new JobFilter([JobState.Scheduled, JobState.Running], CancelRequested: true),
        "succeeded" => new JobFilter([JobState.Succeeded]),
        "failed" => new JobFilter([JobState.DeadLettered]),
        "cancelled" => new JobFilter([JobState.Cancelled]),
        _ => throw DomainErrors.Invalid("state", "invalid-state",
            "The state is one of: queued, retrying, running, cancelling, succeeded, failed, cancelled."),
    };

    private DownloadResource From(JobInfo job)
    {
        var download = job.Payload.Deserialize<DownloadJob>(jobOptions.SerializerOptions)!;
        var running = job.State == JobState.Running;
        var progress = (running ? board.Get(job.Id) : null) ?? job.Progress?.Deserialize<DownloadProgress>(jobOptions.SerializerOptions);
        return new DownloadResource(
            job.Id,
            download.ModelName,
            download.Version,
            download.Source,
            StateOf(job),
            progress?.BytesDone ?? 0,
            progress?.BytesTotal,
            running ? progress?.BytesPerSecond ?? 0 : 0,
            job.Attempts,
            job.MaxAttempts,
            job.LastError,
            job.CancelRequested,
            job.State == JobState.Scheduled ? job.RunAt : null,
            job.CreatedAt,
            job.UpdatedAt,
            job.FinishedAt,
            CatalogReplies.VersionPath(download.ModelName, download.Version));
    }

    private static string StateOf(JobInfo job) => job switch
    {
        { State: JobState.Scheduled or JobState.Running, CancelRequested: true } => "cancelling",
        { State: JobState.Scheduled, Attempts: 0 } => "queued",
        { State: JobState.Scheduled } => "retrying",
        { State: JobState.Running } => "running",
        { State: JobState.Succeeded } => "succeeded",
        { State: JobState.DeadLettered } => "failed",
        _ => "cancelled",
    };
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
