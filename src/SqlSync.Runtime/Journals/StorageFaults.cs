namespace SqlSync.Journals;

/// <summary>
/// Where journals (and the coordinator's other files) meet write failures: the test seam that injects them,
/// and the words that describe one without the path the operating system's message carries.
/// </summary>
internal static class StorageFaults
{
    /// <summary>
    /// Test seam: called before each write or fsync of a journal file with the file's path and "write" or
    /// "flush"; an exception it returns is thrown as if the file system had failed. Process-wide, so a test
    /// filters by path (its own temporary directory).
    /// </summary>
    internal static Func<string, string, Exception?>? Inject { get; set; }

    /// <summary>Throws what <see cref="Inject"/> returns for this write or fsync, if anything.</summary>
    public static void Check(string path, string operation)
    {
        if (Inject?.Invoke(path, operation) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// True when <paramref name="exception"/> says the disk (or the user's quota) is full: ENOSPC or EDQUOT on
    /// Unix (.NET puts the errno in the HResult), ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.
    /// </summary>
    public static bool IsDiskFull(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is IOException { HResult: var h } && (h == 28 || (OperatingSystem.IsLinux() && h == 122) || (OperatingSystem.IsMacOS() && h == 69)
                || h == unchecked((int)0x80070070) || h == unchecked((int)0x80070027)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What went wrong, in words that name no file (the OS's own message usually holds the path).</summary>
    public static string Describe(Exception exception) => IsDiskFull(exception)
        ? "no space left on the device"
        : exception is UnauthorizedAccessException ? "access denied"
        : $"an I/O error ({exception.GetType().Name}, HResult 0x{exception.HResult:X8})";
}
