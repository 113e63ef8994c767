using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelRegistry.EventStore.Storage;
using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>Wakes the daemon early when this process appended something.</summary>
internal sealed class DaemonSignal : WakeSignal;

/// <summary>
/// Runs async projections and rebuilds. Exactly one instance across the deployment is the leader: the
/// one holding a session advisory lock on a dedicated, unpooled connection; when it dies the lock goes
/// with its session and a follower takes over.
/// </summary>
internal sealed class ProjectionDaemon(
    ProjectionRunner runner,
    HighWaterMark highWaterMark,
    DaemonSignal signal,
    EventStoreOptions options,
    ILogger<ProjectionDaemon> logger) : BackgroundService
{
    private NpgsqlConnection? _leaderConnection;

    public bool IsLeader => _leaderConnection is not null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.RunDaemon)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await EnsureLeaderAsync(stoppingToken))
                {
                    await Task.Delay(options.LeaderRetryInterval, stoppingToken);
                    continue;
                }

                if (!await runner.StepAllAsync(highWaterMark.RefreshAsync, stoppingToken))
                {
                    await signal.WaitAsync(options.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Projection daemon loop failed; retrying");
                await DropLeadershipAsync();
                await Task.Delay(options.LeaderRetryInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        await DropLeadershipAsync();
    }

    private async Task<bool> EnsureLeaderAsync(CancellationToken ct)
    {
        if (_leaderConnection is not null)
        {
            await using var ping = new NpgsqlCommand("SELECT 1", _leaderConnection);
            await ping.ExecuteScalarAsync(ct);
            return true;
        }

        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString) { Pooling = false, ApplicationName = "modelregistry-daemon-leader" };
        var conn = new NpgsqlConnection(builder.ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(@k)", conn);
        cmd.Parameters.AddWithValue("k", options.LeaderLockKey);
        if (await cmd.ExecuteScalarAsync(ct) is true)
        {
            _leaderConnection = conn;
            logger.LogInformation("This instance leads the projection daemon");
            return true;
        }

        await conn.DisposeAsync();
        return false;
    }

    private async Task DropLeadershipAsync()
    {
        if (_leaderConnection is { } conn)
        {
            _leaderConnection = null;
            await conn.DisposeAsync();
        }
    }
}
