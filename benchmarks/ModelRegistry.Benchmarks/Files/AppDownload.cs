using Microsoft.Extensions.Options;
using ModelRegistry.Common;
using ModelRegistry.Downloads;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.Sources;

namespace ModelRegistry.Benchmarks.Files;

/// <summary>
/// The application's download path without the job queue around it: <see cref="HttpTransfer"/> streams into the partial
/// file, hashing as it writes, and fsyncs it; <see cref="ArtifactStore.Publish"/> renames it into the blob store, links the
/// readable path and syncs both directories — what a download job does between its claim and its completion.
/// </summary>
internal static class AppDownload
{
    public static async Task<long> RunAsync(Uri url, string storageRoot, CancellationToken ct)
    {
        var downloads = new DownloadsOptions { AllowedHosts = url.Authority };
        var policy = EgressPolicy.From(downloads, new HuggingFaceOptions());
        using var client = DownloadHttp.Create(policy, downloads);
        var store = new ArtifactStore(Options.Create(new RegistryOptions { Storage = { Root = storageRoot } }));
        var transfer = new HttpTransfer(client, policy, store, downloads);
        var jobId = Guid.CreateVersion7();
        var result = await transfer.RunAsync(new TransferRequest(jobId, url, null), (_, _) => { }, ct);
        store.Publish(jobId, result.Sha256, result.SizeBytes, ArtifactStore.ReadablePath("bench", 1, "model.bin"));
        return result.SizeBytes;
    }

    /// <summary>This process's peak resident set (VmHWM), in KiB.</summary>
    public static long PeakResidentKiB() =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
            .Single();
}
