using System.Text.Json;
using Npgsql;

namespace ModelRegistry.EventStore.Jobs;

/// <summary>Where a job is in its life.</summary>
public enum JobState
{
    /// <summary>Waiting for its <c>run_at</c> (first run or a retry).</summary>
    Scheduled,

    /// <summary>Claimed by a worker that holds its lease.</summary>
    Running,

    /// <summary>Finished.</summary>
    Succeeded,

    /// <summary>Ran out of attempts, or failed in a way a retry cannot mend; a copy is in the dead-letter table.</summary>
    DeadLettered,

    /// <summary>Cancelled on request.</summary>
    Cancelled,
}

/// <summary>A job as stored.</summary>
/// <param name="Id">The job id.</param>
/// <param name="Queue">Which handler runs it.</param>
/// <param name="Payload">What the handler is given.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Attempts">Claims so far, the running one included.</param>
/// <param name="MaxAttempts">Attempts before it is dead-lettered.</param>
/// <param name="RunAt">When it may run next (or last became due).</param>
/// <param name="LeaseOwner">The worker holding it, while running.</param>
/// <param name="LeaseExpiresAt">When another worker may take it over unless the owner heartbeats.</param>
/// <param name="FencingToken">Increased on every claim; only the latest claimant may finish the job.</param>
/// <param name="LastError">Why the last attempt failed.</param>
/// <param name="CancelRequested">Whether someone asked to cancel it.</param>
/// <param name="Progress">What the handler last reported, saved with each heartbeat.</param>
/// <param name="CreatedAt">When it was enqueued.</param>
/// <param name="UpdatedAt">When its row last changed.</param>
/// <param name="FinishedAt">When it succeeded, was dead-lettered or was cancelled.</param>
public sealed record JobInfo(
    Guid Id,
    string Queue,
    JsonElement Payload,
    JobState State,
    int Attempts,
    int MaxAttempts,
    DateTimeOffset RunAt,
    string? LeaseOwner,
    DateTimeOffset? LeaseExpiresAt,
    long FencingToken,
    string? LastError,
    bool CancelRequested,
    JsonElement? Progress,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>Whether the job will never run again.</summary>
    public bool IsFinished => State is JobState.Succeeded or JobState.DeadLettered or JobState.Cancelled;
}

/// <summary>Which jobs a listing shows; a null condition holds for every job.</summary>
/// <param name="States">Jobs in one of these states.</param>
/// <param name="CancelRequested">Jobs someone asked (or did not ask) to cancel.</param>
/// <param name="Attempted">Jobs that have (or have not) been claimed at least once.</param>
public sealed record JobFilter(IReadOnlyList<JobState>? States = null, bool? CancelRequested = null, bool? Attempted = null)
{
    /// <summary>Every job.</summary>
    public static JobFilter All { get; } = new();
}

/// <summary>What a cancellation request found.</summary>
public enum CancelOutcome
{
    /// <summary>No job has this id.</summary>
    NotFound,

    /// <summary>Recorded: a running job's handler sees it within a heartbeat, a waiting job is cancelled when next claimed.</summary>
    Requested,

    /// <summary>The job had finished already; nothing changed.</summary>
    AlreadyFinished,
}

/// <summary>
/// A durable job queue in PostgreSQL. Enqueueing takes the caller's connection and transaction, so a job is stored if and
/// only if the caller's own writes commit (an outbox, without a second write to keep in step).
/// </summary>
public interface IJobQueue
{
    /// <summary>Stores a job in <paramref name="transaction"/>; it becomes visible to workers when that commits.</summary>
    /// <param name="connection">The caller's open connection.</param>
    /// <param name="transaction">The caller's transaction, or null to store the job at once.</param>
    /// <param name="queue">Which handler runs it.</param>
    /// <param name="payload">Serialized to jsonb with <see cref="JobOptions.SerializerOptions"/>.</param>
    /// <param name="runAt">Not before this moment; now when null.</param>
    /// <param name="maxAttempts">Attempts before dead-lettering; <see cref="JobOptions.DefaultMaxAttempts"/> when null.</param>
    /// <param name="id">The job id; enqueueing an id that exists already stores nothing. A new UUID v7 when null.</param>
    /// <param name="ct">Cancellation.</param>
    /// <typeparam name="TPayload">The payload's type.</typeparam>
    /// <returns>The job id.</returns>
    Task<Guid> EnqueueAsync<TPayload>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string queue, TPayload payload,
        DateTimeOffset? runAt = null, int? maxAttempts = null, Guid? id = null, CancellationToken ct = default);

    /// <summary>Stores a job in an append's transaction, in the round trip that commits it (an outbox that costs no round trip).</summary>
    /// <param name="transaction">The append's transaction.</param>
    /// <param name="queue">Which handler runs it.</param>
    /// <param name="payload">Serialized to jsonb with <see cref="JobOptions.SerializerOptions"/>.</param>
    /// <param name="runAt">Not before this moment; now when null.</param>
    /// <param name="maxAttempts">Attempts before dead-lettering; <see cref="JobOptions.DefaultMaxAttempts"/> when null.</param>
    /// <param name="id">The job's id, for idempotent enqueueing; a new one when null.</param>
    /// <typeparam name="TPayload">The payload's type.</typeparam>
    /// <returns>The job id.</returns>
    Guid Enqueue<TPayload>(AppendTransaction transaction, string queue, TPayload payload, DateTimeOffset? runAt = null, int? maxAttempts = null,
        Guid? id = null);

    /// <summary>Stores a job on a connection of its own.</summary>
    /// <param name="queue">Which handler runs it.</param>
    /// <param name="payload">Serialized to jsonb with <see cref="JobOptions.SerializerOptions"/>.</param>
    /// <param name="runAt">Not before this moment; now when null.</param>
    /// <param name="maxAttempts">Attempts before dead-lettering; <see cref="JobOptions.DefaultMaxAttempts"/> when null.</param>
    /// <param name="id">The job id; a new UUID v7 when null.</param>
    /// <param name="ct">Cancellation.</param>
    /// <typeparam name="TPayload">The payload's type.</typeparam>
    /// <returns>The job id.</returns>
    Task<Guid> EnqueueAsync<TPayload>(string queue, TPayload payload, DateTimeOffset? runAt = null, int? maxAttempts = null,
        Guid? id = null, CancellationToken ct = default);

    /// <summary>The job, or null when no job has this id.</summary>
    Task<JobInfo?> GetAsync(Guid id, CancellationToken ct = default);

    /// <summary>A queue's jobs, newest first, that match <paramref name="filter"/>; <paramref name="before"/> continues a listing.</summary>
    /// <param name="queue">Whose jobs.</param>
    /// <param name="filter">Which of them.</param>
    /// <param name="before">When the last job of the previous page was created, and its id; null for the first page.</param>
    /// <param name="limit">How many at most.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>The jobs.</returns>
    Task<IReadOnlyList<JobInfo>> ListAsync(string queue, JobFilter filter, (DateTimeOffset CreatedAt, Guid Id)? before, int limit, CancellationToken ct = default);

    /// <summary>Asks for a job to be cancelled; the handler's <see cref="IJobHandler.OnCancelledAsync"/> runs before it is marked cancelled.</summary>
    Task<CancelOutcome> RequestCancelAsync(Guid id, CancellationToken ct = default);
}

/// <summary>
/// Runs the jobs of one queue. A job runs at least once: a handler must be idempotent, and anything it publishes should
/// go through <see cref="JobContext.CompleteAsync"/> in the same transaction, which refuses a worker that lost its lease.
/// </summary>
public interface IJobHandler
{
    /// <summary>The queue this handler serves.</summary>
    string Queue { get; }

    /// <summary>
    /// Does the work. Returning marks the job succeeded (unless <see cref="JobContext.CompleteAsync"/> did already);
    /// throwing schedules a retry with backoff, or dead-letters the job after its last attempt or on a
    /// <see cref="PermanentJobFailureException"/>. <paramref name="ct"/> fires on cancellation, lost lease and shutdown.
    /// </summary>
    Task HandleAsync(JobContext job, CancellationToken ct);

    /// <summary>Called, at least once, before the job is dead-lettered; throwing postpones the dead-lettering to a later claim.</summary>
    Task OnDeadLetteredAsync(JobContext job, string error, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Called, at least once, before the job is marked cancelled; throwing postpones it to a later claim.</summary>
    Task OnCancelledAsync(JobContext job, CancellationToken ct) => Task.CompletedTask;

    /// <summary>The correlation id of the request that queued the job, for the worker's own log lines about it (retries, dead letters).</summary>
    string? CorrelationIdOf(JobContext job) => null;
}

/// <summary>A failure that another attempt would repeat: the job is dead-lettered at once.</summary>
public sealed class PermanentJobFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PermanentJobFailureException()
    {
    }

    /// <summary>Creates the exception with the reason the job failed.</summary>
    public PermanentJobFailureException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public PermanentJobFailureException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>This worker's claim on the job is no longer the latest (its lease ran out and another worker claimed it).</summary>
public sealed class JobLeaseLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JobLeaseLostException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public JobLeaseLostException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public JobLeaseLostException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
