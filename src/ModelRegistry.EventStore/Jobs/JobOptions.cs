using System.Text.Json;

namespace ModelRegistry.EventStore.Jobs;

/// <summary>Tuning for the durable job queue and its worker.</summary>
public sealed class JobOptions
{
    /// <summary>Whether this instance runs a <see cref="JobWorker"/> at all (enqueueing works either way).</summary>
    public bool RunWorker { get; set; } = true;

    /// <summary>Jobs this instance runs at the same time.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>How long an idle worker waits before looking for due jobs again (a released or cancelled job wakes it earlier).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a claim holds a job; a worker that neither heartbeats nor finishes within it loses the job.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running job's lease is extended, its progress saved and a cancellation request looked for.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The delay before the first retry; it doubles with every further attempt.</summary>
    public TimeSpan BaseBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts of a job enqueued without its own maximum before it is dead-lettered.</summary>
    public int DefaultMaxAttempts { get; set; } = 5;

    /// <summary>Names this instance in <c>lease_owner</c>.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>How payloads and progress are written to and read from jsonb.</summary>
    public JsonSerializerOptions SerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);
}
