using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ModelRegistry.Common;

/// <summary>What <see cref="RegularFile.Open"/> found at a path.</summary>
internal enum FoundAt
{
    /// <summary>No file there, or none this process may read.</summary>
    Nothing,

    /// <summary>A regular file, now open.</summary>
    RegularFile,

    /// <summary>A symbolic link, directory, device, fifo or socket, or a file whose real path is not the one asked for: not opened for reading.</summary>
    SomethingElse,
}

/// <summary>
/// Opens a file for reading only when it is a regular file at exactly the path given. On Linux the last component is opened
/// without following a link (<c>O_NOFOLLOW</c>) and without waiting for a fifo's writer (<c>O_NONBLOCK</c>), the open handle's
/// type is checked (<c>statx</c>), and its real path (<c>/proc/self/fd</c>) must be the path given, so a directory on the way
/// swapped for a link between the caller resolving the path and this opening it is caught too. Elsewhere the checks are made
/// on the path before opening, which a swap in between can race.
/// </summary>
internal static class RegularFile
{
    private const int NoSuchFile = 2;
    private const int NoSuchDeviceOrAddress = 6;
    private const int TryAgain = 11;
    private const int AccessDenied = 13;
    private const int NoSuchDevice = 19;
    private const int NotADirectory = 20;
    private const int IsADirectory = 21;
    private const int TooManyLinks = 40;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int TypeMask = 0xF000;
    private const int RegularType = 0x8000;

    public static FoundAt Open(string path, out SafeFileHandle? file)
    {
        var noFollow = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 or Architecture.X86 => 0x20000,
            Architecture.Arm64 or Architecture.Arm => 0x8000,
            _ => 0,
        };
        return OperatingSystem.IsLinux() && noFollow != 0 ? OpenOnLinux(path, noFollow, out file) : OpenElsewhere(path, out file);
    }

    private static FoundAt OpenOnLinux(string path, int noFollow, out SafeFileHandle? file)
    {
        const int ReadOnlyNonBlockingNoTtyCloseOnExec = 0x800 | 0x100 | 0x80000;
        file = OpenFile(path, ReadOnlyNonBlockingNoTtyCloseOnExec | noFollow);
        if (file.IsInvalid)
        {
            var error = Marshal.GetLastPInvokeError();
            file.Dispose();
            file = null;
            return error switch
            {
                NoSuchFile or NotADirectory or AccessDenied => FoundAt.Nothing,
                TooManyLinks or NoSuchDeviceOrAddress or NoSuchDevice or TryAgain or IsADirectory => FoundAt.SomethingElse,
                _ => throw new IOException($"The file could not be opened: {Marshal.GetPInvokeErrorMessage(error)}.", error),
            };
        }

        // Without procfs mounted there is no real path to compare, and only the opening's own checks hold.
        var real = IsRegular(file) ? new FileInfo($"/proc/self/fd/{file.DangerousGetHandle()}").LinkTarget ?? path : null;
        if (real == path)
        {
            return FoundAt.RegularFile;
        }

        file.Dispose();
        file = null;
        return FoundAt.SomethingElse;
    }

    private static bool IsRegular(SafeFileHandle file)
    {
        var status = new byte[256];
        return Statx(file, "", AtEmptyPath, StatxType, status) == 0
            && (BitConverter.ToUInt32(status, 0) & StatxType) != 0
            && (BitConverter.ToUInt16(status, StatxModeOffset) & TypeMask) == RegularType;
    }

    private static FoundAt OpenElsewhere(string path, out SafeFileHandle? file)
    {
        file = null;
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || Directory.Exists(path))
        {
            return FoundAt.SomethingElse;
        }

        if (!info.Exists)
        {
            return FoundAt.Nothing;
        }

        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return FoundAt.RegularFile;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return FoundAt.Nothing;
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern SafeFileHandle OpenFile([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(SafeFileHandle directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask,
        [Out] byte[] status);
}
