using ModelRegistry.Admin;

namespace ModelRegistry.Common;

/// <summary>
/// The projections' status as the admin API shows it, read at most once per <see cref="MaxAge"/> however many readiness
/// probes and metric collections ask: reading it refreshes the high-water mark, which is a query of its own.
/// </summary>
internal sealed class ProjectionStatusCache(ProjectionAdmin admin, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SynchronousWait = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Task<IReadOnlyList<ProjectionStatus>>? _reading;
    private (IReadOnlyList<ProjectionStatus> Statuses, DateTimeOffset ReadAt)? _last;

    public Task<IReadOnlyList<ProjectionStatus>> GetAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_last is { } last && clock.GetUtcNow() - last.ReadAt < MaxAge)
            {
                return Task.FromResult(last.Statuses);
            }

            // One read serves every caller waiting meanwhile, so it runs on no caller's token.
            _reading ??= Task.Run(ReadAsync, CancellationToken.None);
            return _reading.WaitAsync(ct);
        }
    }

    /// <summary>For observable instruments, which cannot await: a fresh status if it comes quickly, otherwise the last one read.</summary>
    public IReadOnlyList<ProjectionStatus> Latest()
    {
        var reading = GetAsync(CancellationToken.None);
        try
        {
            if (reading.Wait(SynchronousWait))
            {
                return reading.Result;
            }
        }
        catch (AggregateException)
        {
        }

        lock (_gate)
        {
            return _last?.Statuses ?? [];
        }
    }

    private async Task<IReadOnlyList<ProjectionStatus>> ReadAsync()
    {
        try
        {
            var statuses = await admin.GetStatusAsync(CancellationToken.None);
            lock (_gate)
            {
                _last = (statuses, clock.GetUtcNow());
            }

            return statuses;
        }
        finally
        {
            lock (_gate)
            {
                _reading = null;
            }
        }
    }
}
