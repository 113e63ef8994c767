using ModelRegistry.Access;
using System.Security.Cryptography;
using System.Text;
using ModelRegistry.Catalog;

namespace ModelRegistry.Downloads;

/// <summary>A durable job's payload: fetch the file of one version, registered pending with a remote source.</summary>
internal sealed record DownloadJob(string ModelName, int Version, VersionSource Source, string? Sha256, string? Actor, string? CorrelationId)
{
    public const string Queue = "downloads";

    /// <summary>
    /// A version is registered once, so its first download job's id follows from the model and version: the registering
    /// request can name the job's URL before the job exists, and queueing it twice stores one job.
    /// </summary>
    public static Guid IdFor(string modelName, int version)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"download:{CatalogStream.StreamId(modelName)}:{version}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>The download's events are the requester's doing, caused by this job.</summary>
    public CommandContext Context(Guid jobId, string? reason = null) => new(Actor ?? SystemActors.Downloads, CorrelationId, jobId.ToString(), reason);
}
