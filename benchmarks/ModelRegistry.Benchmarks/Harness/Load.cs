using System.Diagnostics;

namespace ModelRegistry.Benchmarks.Harness;

internal static class Load
{
    /// <summary>
    /// Runs <paramref name="workers"/> loops of <paramref name="operation"/> (given the worker's index) through a
    /// warm-up, then counts the operations that complete within a fixed window; returns operations per second.
    /// </summary>
    public static async Task<double> ThroughputAsync(int workers, TimeSpan warmup, TimeSpan window, Func<int, Task> operation, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long completed = 0;
        var counting = false;
        var loops = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await operation(w);
                if (Volatile.Read(ref counting))
                {
                    Interlocked.Increment(ref completed);
                }
            }
        }, CancellationToken.None)).ToArray();

        try
        {
            await Task.Delay(warmup, ct);
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref counting, true);
            await Task.Delay(window, ct);
            return Interlocked.Read(ref completed) / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops);
        }
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
