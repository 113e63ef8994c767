using ModelRegistry.Downloads.Processing;

namespace ModelRegistry.Tests.Downloads.Processing;

public sealed class DownloadBackoffTests
{
    [Fact]
    public void Backoff_doubles_with_each_attempt_up_to_its_cap_and_is_jittered()
    {
        var random = new Random(7);
        var first = TimeSpan.FromSeconds(5);
        var cap = TimeSpan.FromMinutes(10);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var ceiling = TimeSpan.FromTicks(Math.Min(first.Ticks << (attempt - 1), cap.Ticks));
            var delays = Enumerable.Range(0, 50).Select(_ => DownloadWorkerOptions.Backoff(attempt, first, cap, random)).ToList();
            Assert.All(delays, d => Assert.InRange(d, ceiling / 2, ceiling));
            Assert.True(delays.Distinct().Count() > 1);
        }
    }
}
