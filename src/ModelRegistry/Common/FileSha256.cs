using System.Buffers;
using System.Security.Cryptography;

namespace ModelRegistry.Common;

/// <summary>The size and SHA-256 of a file, read once through one pooled 1 MiB buffer, so memory stays flat for any size.</summary>
internal static class FileSha256
{
    private const int BufferSize = 1024 * 1024;

    public static async Task<(long Size, string Sha256)> ComputeAsync(string path, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                BufferSize = 0,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
            long size = 0;
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, BufferSize), ct)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                size += read;
            }

            return (size, Convert.ToHexStringLower(sha.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
