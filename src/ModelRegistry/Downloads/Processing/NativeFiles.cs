using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ModelRegistry.Downloads.Processing;

/// <summary>
/// What .NET's file API lacks: hard links, fsync of a directory (so a rename survives a power cut) and writes that bypass the
/// page cache.
/// </summary>
internal static class NativeFiles
{
    private const int ReadOnly = 0;
    private const int GetStatusFlags = 3;
    private const int SetStatusFlags = 4;

    /// <summary>
    /// Links <paramref name="link"/> to <paramref name="existing"/>, never replacing what is at <paramref name="link"/>; false
    /// where that fails or hard links are unsupported, with the platform's error number (0 when there is none).
    /// </summary>
    public static bool TryHardLink(string existing, string link, out int error)
    {
        error = 0;
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            if (Link(existing, link) == 0)
            {
                return true;
            }

            error = Marshal.GetLastPInvokeError();
            return false;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Flushes a directory's entries to disk; best effort where the platform cannot.</summary>
    public static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            var fd = Open(path, ReadOnly);
            if (fd < 0)
            {
                return;
            }

            _ = Fsync(fd);
            _ = Close(fd);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    /// <summary>
    /// Turns Linux's <c>O_DIRECT</c> on or off for <paramref name="file"/>: while on, writes go from the caller's memory to
    /// the disk without a copy in the page cache, and must be block-aligned in memory, offset and length. False where the
    /// platform or the file system cannot.
    /// </summary>
    public static bool TrySetDirect(SafeFileHandle file, bool direct)
    {
        var flag = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x4000,
            Architecture.Arm64 or Architecture.Arm => 0x10000,
            _ => 0,
        };
        if (!OperatingSystem.IsLinux() || flag == 0)
        {
            return false;
        }

        try
        {
            var flags = Fcntl(file, GetStatusFlags, 0);
            return flags >= 0 && Fcntl(file, SetStatusFlags, direct ? flags | flag : flags & ~flag) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fcntl(SafeFileHandle fd, int command, int argument);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string link);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
