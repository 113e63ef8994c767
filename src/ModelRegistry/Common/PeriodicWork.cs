using Npgsql;

namespace ModelRegistry.Common;

/// <summary>
/// Work that runs every <see cref="Interval"/> (never when it is zero), the first time one interval after start-up. Across
/// app instances one run at a time: a run holds a session advisory lock named by <see cref="LockName"/>, and an instance
/// that finds it taken skips its turn. A failed run is logged and the next one comes on time.
/// </summary>
internal abstract partial class PeriodicWork(NpgsqlDataSource dataSource, TimeProvider clock, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Interval { get; }

    protected abstract string LockName { get; }

    protected abstract Task RunAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var taken = await AdvisoryLock.TakeAsync(dataSource, LockName, wait: false, stoppingToken);
                if (taken is not null)
                {
                    await RunAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, LockName, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The periodic {Work} failed; it runs again after the next interval")]
    private static partial void LogFailed(ILogger logger, string work, Exception exception);
}
