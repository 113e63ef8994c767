using Marten.Schema;
using ModelRegistry.Catalog;

namespace ModelRegistry.Downloads.State;

/// <summary>
/// A download's state as one Marten document, keyed by <see cref="DownloadJob.IdFor"/> and written with optimistic concurrency
/// (every change loads it and stores it against the revision it loaded). <see cref="Attempts"/> counts claims and is the
/// fencing token: only the worker whose claim is the latest may finish the download.
/// </summary>
public sealed class DownloadRecord
{
    public Guid Id { get; set; }

    /// <summary>Marten's optimistic-concurrency version of this document: a store expects the one it was loaded with.</summary>
    [Version]
    public Guid Revision { get; set; }

    public string ModelName { get; set; } = "";

    public int ModelVersion { get; set; }

    public string SourceType { get; set; } = "";

    public string SourceUri { get; set; } = "";

    public string? SourceRevision { get; set; }

    public string? SourceFile { get; set; }

    public string? Sha256 { get; set; }

    public string? Actor { get; set; }

    public string? CorrelationId { get; set; }

    /// <summary>queued, retrying, running, cancelling, succeeded, failed or cancelled.</summary>
    public string State { get; set; } = DownloadStates.Queued;

    public int Attempts { get; set; }

    public int MaxAttempts { get; set; }

    public string? LastError { get; set; }

    public bool CancelRequested { get; set; }

    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The node running the latest claim.</summary>
    public string? ClaimedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Newest-first listing order: creation ticks, then the id, as one text compared byte by byte.</summary>
    public string SortKey { get; set; } = "";

    public bool IsFinished => State is DownloadStates.Succeeded or DownloadStates.Failed or DownloadStates.Cancelled;

    internal static string SortKeyOf(DateTimeOffset createdAt, Guid id) =>
        $"{createdAt.UtcTicks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)}_{id:N}";

    internal DownloadJob ToJob() => new(ModelName, ModelVersion,
        new VersionSource(Enum.Parse<SourceType>(SourceType), SourceUri, SourceRevision, SourceFile), Sha256, Actor, CorrelationId);
}

/// <summary>The last progress a worker saved, a document of its own so saving it never conflicts with a change of state.</summary>
public sealed class DownloadProgressRecord
{
    public Guid Id { get; set; }

    public long BytesDone { get; set; }

    public long? BytesTotal { get; set; }

    public double BytesPerSecond { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public static class DownloadStates
{
    public const string Queued = "queued";
    public const string Retrying = "retrying";
    public const string Running = "running";
    public const string Cancelling = "cancelling";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly string[] All = [Queued, Retrying, Running, Cancelling, Succeeded, Failed, Cancelled];
}
