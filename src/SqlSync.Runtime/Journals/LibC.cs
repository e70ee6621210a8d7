using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace SqlSync.Journals;

/// <summary>
/// Every call into the C library in one place: what .NET's file API does not offer (fsync of a directory, page-cache
/// advice). POSIX only; callers check the platform first.
/// </summary>
internal static partial class LibC
{
    public const int ReadOnly = 0; // O_RDONLY

    /// <summary>POSIX_FADV_DONTNEED on Linux for x64 and Arm64 (s390x numbers it differently: not used there).</summary>
    private const int AdviseDontNeed = 4;

    private static bool s_adviceUnavailable;

    /// <summary>True where <see cref="DropFromPageCache"/> does something: 64-bit Linux on x64 or Arm64.</summary>
    public static bool CanDropFromPageCache =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64 && !s_adviceUnavailable;

    /// <summary>
    /// Advises the kernel to drop the cached pages of <paramref name="length"/> bytes at <paramref name="offset"/> of the
    /// file (posix_fadvise DONTNEED). Clean pages go at once; dirty ones are left (write and fsync first). Advice only:
    /// a failure changes nothing the caller relies on, so it is ignored; a C library without the call turns it off.
    /// </summary>
    public static void DropFromPageCache(SafeFileHandle handle, long offset, long length)
    {
        if (!CanDropFromPageCache || length <= 0)
        {
            return;
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            _ = Fadvise((int)handle.DangerousGetHandle(), offset, length, AdviseDontNeed); // returns an error number, never sets errno
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            s_adviceUnavailable = true;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    // off_t is 64 bits in every 64-bit Linux C library (glibc, musl), the only processes that call it.
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(int fd, long offset, long length, int advice);
}
