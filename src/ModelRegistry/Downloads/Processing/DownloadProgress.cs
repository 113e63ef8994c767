using System.Collections.Concurrent;

namespace ModelRegistry.Downloads.Processing;

/// <summary>How far a download is: bytes so far, bytes in all when known, and a smoothed speed.</summary>
internal sealed record DownloadProgress(long BytesDone, long? BytesTotal, double BytesPerSecond, DateTimeOffset UpdatedAt);

/// <summary>Turns a stream of byte counts into progress reports, at most four a second, with an exponentially smoothed speed.</summary>
internal sealed class ProgressMeter(TimeProvider clock)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private long _lastBytes;
    private long _lastTimestamp;
    private double _speed;

    public DownloadProgress? Next(long done, long? total, bool force = false)
    {
        var now = clock.GetTimestamp();
        if (_lastTimestamp == 0)
        {
            (_lastTimestamp, _lastBytes) = (now, done);
            return new DownloadProgress(done, total, 0, clock.GetUtcNow());
        }

        var elapsed = clock.GetElapsedTime(_lastTimestamp, now);
        if (elapsed < Interval && !force)
        {
            return null;
        }

        if (elapsed > TimeSpan.Zero)
        {
            var current = Math.Max(0, done - _lastBytes) / elapsed.TotalSeconds;
            _speed = _speed == 0 ? current : (0.7 * _speed) + (0.3 * current);
        }

        (_lastTimestamp, _lastBytes) = (now, done);
        return new DownloadProgress(done, total, Math.Round(_speed), clock.GetUtcNow());
    }
}

/// <summary>The live progress of the downloads this instance runs, fresher than what heartbeats save to the job row.</summary>
internal sealed class DownloadProgressBoard
{
    private readonly ConcurrentDictionary<Guid, DownloadProgress> _live = new();

    public void Set(Guid jobId, DownloadProgress progress) => _live[jobId] = progress;

    public DownloadProgress? Get(Guid jobId) => _live.TryGetValue(jobId, out var progress) ? progress : null;

    public void Remove(Guid jobId) => _live.TryRemove(jobId, out _);
}
