namespace ModelRegistry.Downloads.Processing;

/// <summary><c>Registry:Jobs</c>: whether and how this instance runs downloads from its durable <c>downloads</c> queue.</summary>
internal sealed class DownloadWorkerOptions
{
    public const string Section = "Registry:Jobs";

    /// <summary>
    /// Whether this instance runs downloads. One that does not stores the downloads it is asked for unowned, for an instance
    /// that does to recover, and runs no durability agent.
    /// </summary>
    public bool RunWorker { get; set; } = true;

    /// <summary>Downloads this instance runs at the same time.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>
    /// Downloads held in this instance's memory, running or next in line, beyond which a new registration's download waits in the
    /// database instead (scheduled, taken when Wolverine next polls): Wolverine's local queue holds at most 10,000 messages, and a
    /// registration whose download found it full would wait for the worker.
    /// </summary>
    public int QueueAhead { get; set; } = 1_000;

    /// <summary>How often a running download saves its progress and looks for a cancellation or a newer claim.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The delay before the first retry; it doubles with every further attempt.</summary>
    public TimeSpan BaseBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Names this instance in a download's claim.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The delay before attempt <paramref name="failedAttempt"/> + 1: doubling from the base, capped, with "equal jitter".</summary>
    public static TimeSpan Backoff(int failedAttempt, TimeSpan baseDelay, TimeSpan maxDelay, Random random)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(failedAttempt - 1, 0, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (random.NextDouble() * capped / 2));
    }
}

/// <summary>Where this instance's download worker stands.</summary>
public enum DownloadWorkerState
{
    /// <summary>Turned off (<see cref="DownloadWorkerOptions.RunWorker"/> is false): this instance runs no downloads.</summary>
    Off,

    /// <summary>Registered, but the host has not started it yet.</summary>
    Starting,

    /// <summary>Taking and running downloads.</summary>
    Running,

    /// <summary>The host is stopping.</summary>
    Stopped,

    /// <summary>It cannot take downloads any more.</summary>
    Failed,
}

/// <summary>The worker's state, how many downloads it runs right now, and why it failed, if it did.</summary>
internal sealed record DownloadWorkerStatus(DownloadWorkerState State, int RunningJobs, string? Error);

/// <summary>Reports on this instance's download worker, for health checks.</summary>
internal interface IDownloadWorkerStatus
{
    DownloadWorkerStatus Current();
}
