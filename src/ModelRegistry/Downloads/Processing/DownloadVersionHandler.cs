using Wolverine;
using Wolverine.Attributes;

namespace ModelRegistry.Downloads.Processing;

/// <summary>The durable message that runs a download: the download's state is its <see cref="State.DownloadRecord"/>.</summary>
[MessageIdentity("download-version")]
public sealed record DownloadVersion(Guid DownloadId);

/// <summary>Runs one attempt of a download (the handler's one dependency, so the generated handler needs no internal type).</summary>
public interface IDownloadRunner
{
    Task RunAsync(DownloadVersion message, CancellationToken ct);
}

/// <summary>
/// Wolverine's handler of <see cref="DownloadVersion"/> on the durable <c>downloads</c> queue. A download runs for as long as it
/// takes (Wolverine's default timeout would cancel it after a minute) and writes its state itself, outside any transaction of Wolverine's.
/// </summary>
[MessageTimeout(7 * 24 * 3600)]
public static class DownloadVersionHandler
{
    public static Task Handle(DownloadVersion message, IDownloadRunner runner, CancellationToken cancellation) =>
        runner.RunAsync(message, cancellation);
}

/// <summary>
/// An attempt failed and its outcome is recorded already: Wolverine reschedules the message for <see cref="RetryAt"/>, or, when
/// that is null (refused, or the last attempt), moves it to the dead letter table with <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class DownloadAttemptFailedException(string message, Exception inner, DateTimeOffset? retryAt) : Exception(message, inner)
{
    public DateTimeOffset? RetryAt { get; } = retryAt;
}

/// <summary>The instance is stopping: the attempt was given back and the message is scheduled again at once.</summary>
public sealed class DownloadReleasedException(Guid id, Exception inner) : Exception($"Download {id} was given back: the instance is stopping.", inner);
