using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ModelRegistry.Downloads.Processing;

/// <summary>
/// Writes a download's chunks past the page cache where Linux and the file system allow it (<c>O_DIRECT</c>): the disk
/// reads them from the chunk itself, so no CPU copies them into the cache and the fsync at the end finds nothing left to
/// write back. Only whole blocks at a block-aligned offset, from memory of <see cref="Allocate"/>, go direct; a piece that
/// is not (the last one, or the first after resuming mid-block) goes through the cache, and so does everything once the
/// file system refuses.
/// </summary>
internal sealed class DirectWriter(SafeFileHandle file)
{
    public const int Alignment = 4096;

    private bool _direct;
    private bool _refused;

    /// <summary>Pinned memory whose first byte is block-aligned; a chunk written direct must begin there.</summary>
    public static Memory<byte> Allocate(int size)
    {
        var block = GC.AllocateUninitializedArray<byte>(size + Alignment, pinned: true);
        var skew = (int)(Marshal.UnsafeAddrOfPinnedArrayElement(block, 0) % Alignment);
        return block.AsMemory(skew == 0 ? 0 : Alignment - skew, size);
    }

    public void Write(ReadOnlySpan<byte> chunk, long offset)
    {
        var aligned = offset % Alignment == 0 && chunk.Length % Alignment == 0;
        if (aligned != _direct && !_refused)
        {
            _refused = !NativeFiles.TrySetDirect(file, aligned);
            _direct = aligned && !_refused;
        }

        try
        {
            RandomAccess.Write(file, chunk, offset);
        }
        catch (IOException) when (_direct)
        {
            // Some file systems take the flag but not the alignment: EINVAL, and nothing written.
            _refused = true;
            _direct = !NativeFiles.TrySetDirect(file, false);
            RandomAccess.Write(file, chunk, offset);
        }
    }
}
