using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ModelRegistry.EventStore.Jobs;

/// <summary>
/// Claims due jobs (<c>FOR UPDATE SKIP LOCKED</c>, so instances sharing a database never claim one job together) and runs
/// up to <see cref="JobOptions.Concurrency"/> at once, each under a lease it renews with a heartbeat. Whatever a handler
/// does, the job's next state is written with the claim's fencing token: a worker that stalled past its lease and was
/// overtaken changes nothing.
/// </summary>
internal sealed partial class JobWorker : BackgroundService, IJobWorkerStatus
{
    private readonly PostgresJobQueue _queue;
    private readonly JobSignal _signal;
    private readonly JobOptions _options;
    private readonly ILogger<JobWorker> _logger;
    private readonly Dictionary<string, IJobHandler> _handlers;
    private readonly ConcurrentDictionary<Guid, Task> _running = new();

    internal JobWorker(PostgresJobQueue queue, JobSignal signal, IEnumerable<IJobHandler> handlers, JobOptions options, ILogger<JobWorker> logger)
    {
        _queue = queue;
        _signal = signal;
        _options = options;
        _logger = logger;
        _handlers = [];
        foreach (var handler in handlers)
        {
            if (!_handlers.TryAdd(handler.Queue, handler))
            {
                throw new InvalidOperationException($"Two job handlers serve the queue '{handler.Queue}'.");
            }
        }
    }

    /// <summary>Why a running handler's token fired.</summary>
    private enum Interruption
    {
        None,
        CancelRequested,
        LeaseLost,
    }

    /// <summary>The delay before attempt <paramref name="failedAttempt"/> + 1: doubling from the base, capped, with "equal jitter".</summary>
    internal static TimeSpan Backoff(int failedAttempt, TimeSpan baseDelay, TimeSpan maxDelay, Random random)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(failedAttempt - 1, 0, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (random.NextDouble() * capped / 2));
    }

    /// <inheritdoc />
    public JobWorkerStatus Current() => ExecuteTask switch
    {
        _ when !_options.RunWorker || _handlers.Count == 0 => new(JobWorkerState.Off, 0, null),
        null => new(JobWorkerState.Starting, 0, null),
        { IsFaulted: true } failed => new(JobWorkerState.Failed, 0, failed.Exception?.GetBaseException().Message),
        { IsCompleted: true } => new(JobWorkerState.Stopped, 0, null),
        _ => new(JobWorkerState.Running, _running.Count, null),
    };

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.RunWorker || _handlers.Count == 0)
        {
            return;
        }

        await Task.Yield();
        var queues = _handlers.Keys.ToArray();
        using var slots = new SemaphoreSlim(Math.Max(1, _options.Concurrency));
        var listener = _signal.ListenAsync(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                ClaimedJob? job;
                try
                {
                    job = await _queue.ClaimAsync(queues, stoppingToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    LogClaimFailed(_logger, ex);
                    job = null;
                }

                if (job is null)
                {
                    slots.Release();
                    await _signal.WaitAsync(_options.PollInterval, stoppingToken);
                    continue;
                }

                var claimed = job;
                var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _running[claimed.Id] = finished.Task;
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await RunAsync(claimed, stoppingToken);
                    }
                    finally
                    {
                        _running.TryRemove(claimed.Id, out _);
                        slots.Release();
                        _signal.Poke();
                        finished.SetResult();
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(_running.Values);
        await listener;
    }

    private async Task RunAsync(ClaimedJob claim, CancellationToken stoppingToken)
    {
        var handler = _handlers[claim.Queue];
        var job = new JobContext(claim, _queue, _options.SerializerOptions);
        using var scope = JobScope(_logger, claim.Id, CorrelationIdOf(handler, job));
        try
        {
            if (claim.CancelRequested)
            {
                await CancelAsync(handler, job, stoppingToken);
                return;
            }

            if (claim.Attempt > claim.MaxAttempts)
            {
                await DeadLetterAsync(handler, job, "The job's lease ran out during its last attempt (its worker stopped or stalled).", stoppingToken);
                return;
            }

            await RunHandlerAsync(handler, job, stoppingToken);
        }
        catch (JobLeaseLostException)
        {
            LogLeaseLost(_logger, claim.Id, claim.FencingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The job stays claimed until its lease runs out, then the next claim finishes what this one could not.
            LogRunFailed(_logger, ex, claim.Id);
        }
    }

    private async Task RunHandlerAsync(IJobHandler handler, JobContext job, CancellationToken stoppingToken)
    {
        using var handlerStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var heartbeatStop = new CancellationTokenSource();
        var interruption = Interruption.None;
        var heartbeat = HeartbeatAsync(job, reason =>
        {
            interruption = reason;
            handlerStop.Cancel();
        }, heartbeatStop.Token);

        Exception? failure = null;
        try
        {
            await handler.HandleAsync(job, handlerStop.Token);
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

        switch (interruption, failure)
        {
            case (Interruption.LeaseLost, _):
                LogLeaseLost(_logger, job.Id, job.FencingToken);
                return;
            case (_, null):
                if (!job.IsCompleted)
                {
                    await _queue.CompleteAsync(job.Claim, job.TakeProgress(), CancellationToken.None);
                }

                return;
            case (Interruption.CancelRequested, _):
                await CancelAsync(handler, job, stoppingToken);
                return;
            case (_, OperationCanceledException) when stoppingToken.IsCancellationRequested:
                await _queue.ReleaseAsync(job.Claim, job.TakeProgress(), CancellationToken.None);
                return;
            case (_, JobLeaseLostException):
                LogLeaseLost(_logger, job.Id, job.FencingToken);
                return;
            case (_, PermanentJobFailureException permanent):
                await DeadLetterAsync(handler, job, permanent.Message, stoppingToken);
                return;
            case (_, { } error) when job.Attempt >= job.MaxAttempts:
                await DeadLetterAsync(handler, job, Describe(error), stoppingToken);
                return;
            case (_, { } error):
                var delay = Backoff(job.Attempt, _options.BaseBackoff, _options.MaxBackoff, Random.Shared);
                LogRetrying(_logger, error, job.Id, job.Attempt, job.MaxAttempts, delay);
                await _queue.RetryAsync(job.Claim, Describe(error), delay, CancellationToken.None);
                return;
        }
    }

    /// <summary>
    /// Renews the lease until stopped. A refused renewal means another worker holds the job now; a lease that could not be
    /// renewed before it ran out (the database was unreachable) is treated the same, since another worker may hold it.
    /// </summary>
    private async Task HeartbeatAsync(JobContext job, Action<Interruption> interrupt, CancellationToken ct)
    {
        var leaseEnds = DateTimeOffset.UtcNow + _options.LeaseDuration;
        var cancelSeen = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, ct);
                var beatAt = DateTimeOffset.UtcNow;
                var cancelRequested = await _queue.HeartbeatAsync(job.Claim, job.TakeProgress(), ct);
                leaseEnds = beatAt + _options.LeaseDuration;
                if (cancelRequested && !cancelSeen)
                {
                    cancelSeen = true;
                    interrupt(Interruption.CancelRequested);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (JobLeaseLostException)
            {
                interrupt(Interruption.LeaseLost);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogHeartbeatFailed(_logger, ex, job.Id);
                if (DateTimeOffset.UtcNow >= leaseEnds)
                {
                    interrupt(Interruption.LeaseLost);
                    return;
                }
            }
        }
    }

    private async Task DeadLetterAsync(IJobHandler handler, JobContext job, string error, CancellationToken ct)
    {
        await handler.OnDeadLetteredAsync(job, error, ct);
        await _queue.DeadLetterAsync(job.Claim, error, CancellationToken.None);
        LogDeadLettered(_logger, job.Id, job.Attempt, error);
    }

    private async Task CancelAsync(IJobHandler handler, JobContext job, CancellationToken ct)
    {
        await handler.OnCancelledAsync(job, ct);
        await _queue.CancelAsync(job.Claim, CancellationToken.None);
    }

    private static string Describe(Exception error) =>
        error is OperationCanceledException or TimeoutException ? $"{error.GetType().Name}: {error.Message}" : error.Message;

    private static readonly Func<ILogger, Guid, string?, IDisposable?> JobScope =
        LoggerMessage.DefineScope<Guid, string?>("JobId:{JobId} CorrelationId:{CorrelationId}");

    private static string? CorrelationIdOf(IJobHandler handler, JobContext job)
    {
        try
        {
            return handler.CorrelationIdOf(job);
        }
        catch (Exception)
        {
            // A payload the handler cannot read fails in the handler, where it is reported; the log lines go without the id.
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming a job failed; trying again")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was claimed by another worker after claim {FencingToken}; this worker lets it go")]
    private static partial void LogLeaseLost(ILogger logger, Guid jobId, long fencingToken);

    [LoggerMessage(Level = LogLevel.Error, Message = "Running job {JobId} failed outside its handler; its lease will run out and it will be claimed again")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} of {MaxAttempts} failed; retrying in {Delay}")]
    private static partial void LogRetrying(ILogger logger, Exception exception, Guid jobId, int attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the lease of job {JobId} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was dead-lettered after attempt {Attempt}: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, Guid jobId, int attempt, string error);
}

/// <summary>Wakes idle workers when a job is enqueued or released anywhere (LISTEN on the channel enqueueing NOTIFYs).</summary>
internal sealed partial class JobSignal(NpgsqlDataSource dataSource, ILogger<JobSignal> logger) : WakeSignal
{
    public async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, _) => Poke();
                await using (var listen = new NpgsqlCommand($"LISTEN {JobSchema.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                Poke();
                while (true)
                {
                    await connection.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                LogListenFailed(logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for new jobs failed; polling until the connection is back")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}
