using Marten;
using Wolverine;

namespace ModelRegistry.Catalog.Registering;

/// <summary>A version registered from a remote source, waiting for its file.</summary>
public sealed record VersionDownloadRequest(string ModelName, int Version, VersionSource Source, string? Sha256, string? Actor, string? CorrelationId);

/// <summary>
/// The seam the Downloads module fills: registering a url or huggingface version queues its download in the same
/// transaction as the <c>VersionRegistered</c> event, so a version is never pending without a job (or a job without a version).
/// </summary>
public interface IVersionDownloadQueue
{
    /// <summary>Refuses, as a 400 on <paramref name="field"/> and before anything is registered, a source no download may fetch.</summary>
    internal void Check(SourceRequest source, string field)
    {
    }

    /// <summary>Stores the download in <paramref name="session"/> and sends its message through <paramref name="bus"/>'s outbox.</summary>
    ValueTask EnqueueAsync(IDocumentSession session, IMessageContext bus, VersionDownloadRequest request);
}

/// <summary>Until the Downloads module registers its queue, remote versions stay pending.</summary>
internal sealed class NoVersionDownloadQueue : IVersionDownloadQueue
{
    public ValueTask EnqueueAsync(IDocumentSession session, IMessageContext bus, VersionDownloadRequest request) => ValueTask.CompletedTask;
}
