using System.Text.Json;
using Npgsql;

namespace ModelRegistry.EventStore.Jobs;

/// <summary>One claim of a job, as its handler sees it.</summary>
public sealed class JobContext
{
    private readonly PostgresJobQueue _queue;
    private readonly JsonSerializerOptions _json;
    private string? _progress;
    private object? _payload;
    private int _completed;

    internal JobContext(ClaimedJob claim, PostgresJobQueue queue, JsonSerializerOptions json)
    {
        Claim = claim;
        _queue = queue;
        _json = json;
    }

    /// <summary>The job id.</summary>
    public Guid Id => Claim.Id;

    /// <summary>The queue it came from.</summary>
    public string Queue => Claim.Queue;

    /// <summary>This attempt's number, from 1.</summary>
    public int Attempt => Claim.Attempt;

    /// <summary>Attempts before the job is dead-lettered.</summary>
    public int MaxAttempts => Claim.MaxAttempts;

    /// <summary>This claim's fencing token.</summary>
    public long FencingToken => Claim.FencingToken;

    /// <summary>The payload as stored.</summary>
    public JsonElement Payload => Claim.Payload;

    internal ClaimedJob Claim { get; }

    internal bool IsCompleted => Volatile.Read(ref _completed) == 1;

    /// <summary>
    /// The payload as <typeparamref name="T"/>, deserialized on the first call; later calls for the same type return that
    /// instance (the worker reads the correlation id from it before the handler runs).
    /// </summary>
    public T PayloadAs<T>()
    {
        if (Volatile.Read(ref _payload) is T read)
        {
            return read;
        }

        var payload = Claim.Payload.Deserialize<T>(_json) ?? throw new PermanentJobFailureException($"Job {Id} has an empty payload.");
        Volatile.Write(ref _payload, payload);
        return payload;
    }

    /// <summary>Keeps the latest progress; the next heartbeat saves it to the job's row, where every instance can read it.</summary>
    public void ReportProgress<T>(T progress) =>
        Volatile.Write(ref _progress, JsonSerializer.Serialize(progress, _json));

    /// <summary>
    /// Marks the job succeeded inside the caller's transaction, only if this claim is still the latest: otherwise throws
    /// <see cref="JobLeaseLostException"/> and the caller's transaction must roll back, taking what it published with it.
    /// </summary>
    public async Task CompleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await _queue.CompleteAsync(connection, transaction, Claim, TakeProgress(), ct);
        Volatile.Write(ref _completed, 1);
    }

    internal string? TakeProgress() => Interlocked.Exchange(ref _progress, null);
}
