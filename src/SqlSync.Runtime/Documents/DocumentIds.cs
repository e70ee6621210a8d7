namespace SqlSync.Documents;

/// <summary>
/// Rules for document ids and the names their databases get inside the page VFS. An id names a directory
/// on the coordinator's disk, so it must be a safe file name on Linux, Windows and macOS alike.
/// </summary>
internal static class DocumentIds
{
    /// <summary>Names Windows reserves for devices, with or without an extension ("con.txt" is one too).</summary>
    private static readonly HashSet<string> ReservedDeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    private static long s_instance;

    /// <summary>
    /// Throws unless <paramref name="documentId"/> is 1–128 letters, digits, '.', '_' or '-' (the whole string:
    /// no trailing newline), not made only of dots, not ending with a dot (Windows drops it), and not a
    /// Windows device name (CON, NUL, COM1, … with or without an extension).
    /// </summary>
    public static void Validate(string documentId)
    {
        string? problem = documentId is null || !IsValidIdText(documentId)
            ? "use 1–128 letters, digits, '.', '_' or '-'"
            : documentId.EndsWith('.') ? "it may not end with '.' (Windows drops a trailing dot, and '.' and '..' name directories)"
            : ReservedDeviceNames.Contains(documentId.Split('.')[0]) ? "it is a device name on Windows"
            : null;
        if (problem is not null)
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"Document id '{Printable(documentId)}' is not valid: {problem}.");
        }
    }

    /// <summary>A VFS file name unique in this process, so two documents (or replicas) never share pages.</summary>
    public static string NewFileName(string documentId, string role) =>
        $"{documentId}.{role}.{Interlocked.Increment(ref s_instance)}";

    /// <summary>The id with control characters escaped, so a message about it stays on one line.</summary>
    private static string Printable(string? documentId)
    {
        if (documentId is null)
        {
            return "(null)";
        }

        var text = new System.Text.StringBuilder();
        foreach (char c in documentId.Length > 140 ? documentId[..140] + "…" : documentId)
        {
            text.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return text.ToString();
    }

    // 1 to 128 of [A-Za-z0-9._-], the whole string. A loop, not a regex: a server loads the regex engine's assembly
    // for nothing else, and the runtime holds two file descriptors per loaded assembly for the process's life.
    private static bool IsValidIdText(string id)
    {
        if (id.Length is 0 or > 128)
        {
            return false;
        }

        foreach (char c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
