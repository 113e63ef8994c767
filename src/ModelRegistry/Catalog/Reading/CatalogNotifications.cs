using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ModelRegistry.Catalog.Reading;

/// <summary>Wakes whoever waits on a model's stream (production watchers) when its production may have changed.</summary>
internal sealed class ModelSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the next signal for <paramref name="key"/>; take it before reading, then wait.</summary>
    public Task Next(string key) =>
        _waiting.GetOrAdd(key, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Signal(string key)
    {
        if (_waiting.TryRemove(key, out var waiting))
        {
            waiting.TrySetResult();
        }
    }

    public void SignalAll()
    {
        foreach (var key in _waiting.Keys)
        {
            Signal(key);
        }
    }
}

/// <summary>
/// One LISTEN connection per instance for the catalog's channel: invalidates cached production pointers and
/// wakes watchers when any instance commits a production change. After a reconnect it forgets the cache,
/// since notifications sent meanwhile are lost.
/// </summary>
internal sealed class CatalogNotifications(
    NpgsqlDataSource dataSource,
    ProductionCache cache,
    ModelSignals signals,
    IOptions<CatalogReadOptions> options,
    ILogger<CatalogNotifications> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ListenForChanges)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var conn = await dataSource.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {CatalogProjection.Channel}", conn))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.Clear();
                signals.SignalAll();
                while (true)
                {
                    await conn.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                logger.LogWarning(ex, "Listening for catalog changes failed; retrying");
                await Task.Delay(RetryDelay, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    private void OnNotification(string payload)
    {
        var space = payload.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !long.TryParse(payload.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var streamVersion))
        {
            return;
        }

        var key = payload[(space + 1)..];
        cache.Invalidate(key, streamVersion);
        signals.Signal(key);
    }
}
