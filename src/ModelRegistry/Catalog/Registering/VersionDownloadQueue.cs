using ModelRegistry.EventStore;

namespace ModelRegistry.Catalog.Registering;

/// <summary>A version registered from a remote source, waiting for its file.</summary>
internal sealed record VersionDownloadRequest(string ModelName, int Version, VersionSource Source, string? Sha256, string? Actor, string? CorrelationId);

/// <summary>
/// The seam the Downloads module fills: registering a url or huggingface version queues its download in the same
/// transaction as the <c>VersionRegistered</c> event, so a version is never pending without a job (or a job without a version).
/// </summary>
internal interface IVersionDownloadQueue
{
    /// <summary>Refuses, as a 400 on <paramref name="field"/> and before anything is registered, a source no download may fetch.</summary>
    void Check(SourceRequest source, string field)
    {
    }

    Task EnqueueAsync(AppendTransaction transaction, VersionDownloadRequest request, CancellationToken ct);
}

/// <summary>Until the Downloads module registers its queue, remote versions stay pending.</summary>
internal sealed class NoVersionDownloadQueue : IVersionDownloadQueue
{
    public Task EnqueueAsync(AppendTransaction transaction, VersionDownloadRequest request, CancellationToken ct) => Task.CompletedTask;
}
