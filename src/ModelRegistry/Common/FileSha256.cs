using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace ModelRegistry.Common;

/// <summary>The size and SHA-256 of a file, read once through one pooled 1 MiB buffer, so memory stays flat for any size.</summary>
internal static class FileSha256
{
    private const int BufferSize = 1024 * 1024;

    /// <summary>
    /// Reads the open file from its start, at most one byte past <paramref name="maxBytes"/>: null when it holds more, so a
    /// file that grew (or never ends) is told apart without being read to its end.
    /// </summary>
    public static async Task<(long Size, string Sha256)?> ComputeAsync(SafeFileHandle file, long maxBytes, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long size = 0;
            int read;
            while ((read = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, maxBytes - size < BufferSize ? (int)(maxBytes - size) + 1 : BufferSize),
                       size, ct)) > 0)
            {
                size += read;
                if (size > maxBytes)
                {
                    return null;
                }

                sha.AppendData(buffer, 0, read);
            }

            return (size, Convert.ToHexStringLower(sha.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
