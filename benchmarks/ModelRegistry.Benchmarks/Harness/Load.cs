using System.Diagnostics;

namespace ModelRegistry.Benchmarks.Harness;

/// <param name="PerSecond">Operations completed per second.</param>
/// <param name="ClientCpuMicroseconds">CPU time this process spent per operation (all threads, the daemon's included).</param>
internal readonly record struct Throughput(double PerSecond, double ClientCpuMicroseconds);

internal static class Load
{
    /// <summary>
    /// Runs <paramref name="workers"/> loops of <paramref name="operation"/> (given the worker's index) through a
    /// warm-up, then counts the operations that complete within a fixed window.
    /// </summary>
    public static async Task<Throughput> ThroughputAsync(int workers, TimeSpan warmup, TimeSpan window, Func<int, Task> operation, CancellationToken ct)
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
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            Volatile.Write(ref counting, true);
            await Task.Delay(window, ct);
            var done = Interlocked.Read(ref completed);
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            return new Throughput(done / clock.Elapsed.TotalSeconds, cpu.TotalMicroseconds / Math.Max(done, 1));
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
