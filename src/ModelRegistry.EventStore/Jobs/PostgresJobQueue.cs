using System.Text.Json;
using ModelRegistry.EventStore.Projections;
using Npgsql;
using NpgsqlTypes;

namespace ModelRegistry.EventStore.Jobs;

/// <summary>A claim: what the claiming worker was given, with the fencing token that proves the claim is the latest.</summary>
internal sealed record ClaimedJob(
    Guid Id, string Queue, JsonElement Payload, int Attempt, int MaxAttempts, long FencingToken, bool CancelRequested, DateTimeOffset CreatedAt);

/// <summary>
/// The queue's SQL. Every write a worker makes after its claim names the claim's fencing token and finds no row once
/// another worker has claimed the job since; such a write raises <see cref="JobLeaseLostException"/>.
/// </summary>
internal sealed class PostgresJobQueue(NpgsqlDataSource dataSource, JobOptions options) : IJobQueue
{
    private const string Fenced = "id = @id AND fencing_token = @token AND state = 'running'";

    public async Task<Guid> EnqueueAsync<TPayload>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string queue, TPayload payload,
        DateTimeOffset? runAt = null, int? maxAttempts = null, Guid? id = null, CancellationToken ct = default)
    {
        var job = NewJob(queue, payload, runAt, maxAttempts, id);
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { JobRows.Instance.Create([job]) } };
        await batch.ExecuteNonQueryAsync(ct);
        return job.Id;
    }

    public Guid Enqueue<TPayload>(AppendTransaction transaction, string queue, TPayload payload, DateTimeOffset? runAt = null, int? maxAttempts = null,
        Guid? id = null)
    {
        var job = NewJob(queue, payload, runAt, maxAttempts, id);
        transaction.DeferRow(JobRows.Instance, job);
        return job.Id;
    }

    private JobRow NewJob<TPayload>(string queue, TPayload payload, DateTimeOffset? runAt, int? maxAttempts, Guid? id)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        var attempts = maxAttempts ?? options.DefaultMaxAttempts;
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1, nameof(maxAttempts));
        return new JobRow(id ?? Guid.CreateVersion7(), queue, JsonSerializer.Serialize(payload, options.SerializerOptions), attempts, runAt?.UtcDateTime);
    }

    private sealed record JobRow(Guid Id, string Queue, string Payload, int MaxAttempts, DateTime? RunAt);

    /// <summary>
    /// Jobs inserted by one statement, however many the transaction queues (a group of appends queues one per registration).
    /// A job id that is stored already (or repeats in the rows) is left as it is: queueing is idempotent by id.
    /// No NOTIFY here: a notifying transaction holds a cluster-wide lock through its commit, which would serialize every
    /// command that queues a download. Workers find new jobs by polling.
    /// </summary>
    private sealed class JobRows : RowStatement<JobRow>
    {
        public static JobRows Instance { get; } = new();

        public override NpgsqlBatchCommand Create(IReadOnlyList<JobRow> rows) => new("""
            INSERT INTO mr_jobs (id, queue, payload, max_attempts, run_at)
            SELECT id, queue, payload, max_attempts, coalesce(run_at, now())
            FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::int[], $5::timestamptz[]) AS j (id, queue, payload, max_attempts, run_at)
            ON CONFLICT (id) DO NOTHING
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid[]> { TypedValue = [.. rows.Select(r => r.Id)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(r => r.Queue)] },
                new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = rows.Select(r => r.Payload).ToArray() },
                new NpgsqlParameter<int[]> { TypedValue = [.. rows.Select(r => r.MaxAttempts)] },
                new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = rows.Select(r => r.RunAt).ToArray() },
            },
        };
    }

    public async Task<Guid> EnqueueAsync<TPayload>(string queue, TPayload payload, DateTimeOffset? runAt = null, int? maxAttempts = null,
        Guid? id = null, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await EnqueueAsync(connection, null, queue, payload, runAt, maxAttempts, id, ct);
    }

    private const string JobColumns = """
        id, queue, payload, state, attempts, max_attempts, run_at, lease_owner, lease_expires_at, fencing_token,
        last_error, cancel_requested, progress, created_at, updated_at, finished_at
        """;

    public async Task<JobInfo?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {JobColumns} FROM mr_jobs WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadJob(reader) : null;
    }

    public async Task<IReadOnlyList<JobInfo>> ListAsync(string queue, JobFilter filter, (DateTimeOffset CreatedAt, Guid Id)? before, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {JobColumns} FROM mr_jobs
            WHERE queue = @queue
              AND (@states::text[] IS NULL OR state = ANY(@states))
              AND (@cancel_requested::boolean IS NULL OR cancel_requested = @cancel_requested)
              AND (@attempted::boolean IS NULL OR (attempts > 0) = @attempted)
              AND (@before_created::timestamptz IS NULL OR (created_at, id) < (@before_created, @before_id))
            ORDER BY created_at DESC, id DESC
            LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("queue", queue);
        cmd.Parameters.Add(new NpgsqlParameter<string[]?>("states", filter.States?.Select(StateName).ToArray()) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter<bool?>("cancel_requested", filter.CancelRequested) { NpgsqlDbType = NpgsqlDbType.Boolean });
        cmd.Parameters.Add(new NpgsqlParameter<bool?>("attempted", filter.Attempted) { NpgsqlDbType = NpgsqlDbType.Boolean });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("before_created", before?.CreatedAt) { NpgsqlDbType = NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter<Guid?>("before_id", before?.Id) { NpgsqlDbType = NpgsqlDbType.Uuid });
        cmd.Parameters.AddWithValue("limit", limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var jobs = new List<JobInfo>();
        while (await reader.ReadAsync(ct))
        {
            jobs.Add(ReadJob(reader));
        }

        return jobs;
    }

    private static JobInfo ReadJob(NpgsqlDataReader reader) =>
        new(
            reader.GetGuid(0),
            reader.GetString(1),
            Json(reader.GetString(2)),
            ParseState(reader.GetString(3)),
            reader.GetInt32(4),
            reader.GetInt32(5),
            reader.GetFieldValue<DateTimeOffset>(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
            reader.GetInt64(9),
            reader.IsDBNull(10) ? null : reader.GetString(10),
            reader.GetBoolean(11),
            reader.IsDBNull(12) ? null : Json(reader.GetString(12)),
            reader.GetFieldValue<DateTimeOffset>(13),
            reader.GetFieldValue<DateTimeOffset>(14),
            reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15));

    /// <summary>A waiting job is made due at once, so a worker claims it and runs the cancellation (and its callback).</summary>
    public async Task<CancelOutcome> RequestCancelAsync(Guid id, CancellationToken ct = default)
    {
        await using var cmd = dataSource.CreateCommand($"""
            WITH target AS (SELECT id, state FROM mr_jobs WHERE id = @id),
            requested AS (
                UPDATE mr_jobs j
                SET cancel_requested = true,
                    run_at = CASE WHEN j.state = 'scheduled' THEN least(j.run_at, now()) ELSE j.run_at END,
                    updated_at = now()
                FROM target
                WHERE j.id = target.id AND j.state IN ('scheduled', 'running')
                RETURNING j.queue),
            notified AS (SELECT pg_notify('{JobSchema.Channel}', queue) FROM requested)
            SELECT (SELECT state FROM target), (SELECT count(*) FROM notified)
            """);
        cmd.Parameters.AddWithValue("id", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.IsDBNull(0) ? CancelOutcome.NotFound
            : reader.GetInt64(1) == 0 ? CancelOutcome.AlreadyFinished
            : CancelOutcome.Requested;
    }

    /// <summary>Claims the job due longest (or whose lease ran out), skipping rows other workers are claiming right now.</summary>
    public async Task<ClaimedJob?> ClaimAsync(IReadOnlyCollection<string> queues, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH next AS (
                SELECT id FROM mr_jobs
                WHERE queue = ANY (@queues)
                  AND ((state = 'scheduled' AND run_at <= now()) OR (state = 'running' AND lease_expires_at < now()))
                ORDER BY run_at, id
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            UPDATE mr_jobs j
            SET state = 'running', attempts = j.attempts + 1, lease_owner = @owner, lease_expires_at = now() + @lease,
                fencing_token = j.fencing_token + 1, updated_at = now()
            FROM next WHERE j.id = next.id
            RETURNING j.id, j.queue, j.payload, j.attempts, j.max_attempts, j.fencing_token, j.cancel_requested, j.created_at
            """);
        cmd.Parameters.AddWithValue("queues", queues.ToArray());
        cmd.Parameters.AddWithValue("owner", options.WorkerId);
        cmd.Parameters.AddWithValue("lease", options.LeaseDuration);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new ClaimedJob(reader.GetGuid(0), reader.GetString(1), Json(reader.GetString(2)), reader.GetInt32(3), reader.GetInt32(4),
            reader.GetInt64(5), reader.GetBoolean(6), reader.GetFieldValue<DateTimeOffset>(7));
    }

    /// <summary>Extends the lease and saves progress; returns whether cancellation was requested. Throws when the claim is stale.</summary>
    public async Task<bool> HeartbeatAsync(ClaimedJob job, string? progress, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            UPDATE mr_jobs SET lease_expires_at = now() + @lease, progress = coalesce(@progress, progress), updated_at = now()
            WHERE {Fenced}
            RETURNING cancel_requested
            """);
        AddClaim(cmd, job);
        cmd.Parameters.AddWithValue("lease", options.LeaseDuration);
        AddProgress(cmd, progress);
        return await cmd.ExecuteScalarAsync(ct) is bool cancelRequested
            ? cancelRequested
            : throw LeaseLost(job);
    }

    public async Task CompleteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, ClaimedJob job, string? progress, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            UPDATE mr_jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, progress = coalesce(@progress, progress),
                finished_at = now(), updated_at = now()
            WHERE {Fenced}
            """, connection, transaction);
        AddClaim(cmd, job);
        AddProgress(cmd, progress);
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
        {
            throw LeaseLost(job);
        }
    }

    public async Task CompleteAsync(ClaimedJob job, string? progress, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await CompleteAsync(connection, null, job, progress, ct);
    }

    /// <summary>Schedules the next attempt after <paramref name="delay"/>, measured on the database's clock.</summary>
    public async Task RetryAsync(ClaimedJob job, string error, TimeSpan delay, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            UPDATE mr_jobs SET state = 'scheduled', run_at = now() + @delay, last_error = @error, lease_owner = NULL,
                lease_expires_at = NULL, updated_at = now()
            WHERE {Fenced}
            """);
        AddClaim(cmd, job);
        cmd.Parameters.AddWithValue("delay", delay);
        cmd.Parameters.AddWithValue("error", error);
        await ExecuteFencedAsync(cmd, job, ct);
    }

    public async Task DeadLetterAsync(ClaimedJob job, string error, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            WITH dead AS (
                UPDATE mr_jobs SET state = 'dead_lettered', attempts = least(attempts, max_attempts), last_error = @error,
                    lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
                WHERE {Fenced}
                RETURNING id, queue, payload, attempts, created_at)
            INSERT INTO mr_jobs_dead_letter (id, queue, payload, attempts, error, created_at)
            SELECT id, queue, payload, attempts, @error, created_at FROM dead
            ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, error = excluded.error, dead_lettered_at = now()
            """);
        AddClaim(cmd, job);
        cmd.Parameters.AddWithValue("error", error);
        await ExecuteFencedAsync(cmd, job, ct);
    }

    public async Task CancelAsync(ClaimedJob job, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            UPDATE mr_jobs SET state = 'cancelled', attempts = least(attempts, max_attempts), lease_owner = NULL, lease_expires_at = NULL,
                finished_at = now(), updated_at = now()
            WHERE {Fenced}
            """);
        AddClaim(cmd, job);
        await ExecuteFencedAsync(cmd, job, ct);
    }

    /// <summary>Gives a job back on shutdown: due again at once, and the interrupted attempt does not count.</summary>
    public async Task ReleaseAsync(ClaimedJob job, string? progress, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            UPDATE mr_jobs SET state = 'scheduled', run_at = now(), attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL,
                progress = coalesce(@progress, progress), updated_at = now()
            WHERE {Fenced};
            SELECT pg_notify('{JobSchema.Channel}', @queue);
            """);
        AddClaim(cmd, job);
        AddProgress(cmd, progress);
        cmd.Parameters.AddWithValue("queue", job.Queue);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task ExecuteFencedAsync(NpgsqlCommand cmd, ClaimedJob job, CancellationToken ct)
    {
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
        {
            throw LeaseLost(job);
        }
    }

    private static void AddClaim(NpgsqlCommand cmd, ClaimedJob job)
    {
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("token", job.FencingToken);
    }

    private static void AddProgress(NpgsqlCommand cmd, string? progress) =>
        cmd.Parameters.Add(new NpgsqlParameter("progress", NpgsqlDbType.Jsonb) { Value = (object?)progress ?? DBNull.Value });

    private static JobLeaseLostException LeaseLost(ClaimedJob job) =>
        new($"Job {job.Id} was claimed again after claim {job.FencingToken}; this worker may no longer change it.");

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string StateName(JobState state) => state switch
    {
        JobState.Scheduled => "scheduled",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        JobState.DeadLettered => "dead_lettered",
        _ => "cancelled",
    };

    private static JobState ParseState(string state) => state switch
    {
        "scheduled" => JobState.Scheduled,
        "running" => JobState.Running,
        "succeeded" => JobState.Succeeded,
        "dead_lettered" => JobState.DeadLettered,
        "cancelled" => JobState.Cancelled,
        _ => throw new InvalidOperationException($"Unknown job state '{state}'."),
    };
}
