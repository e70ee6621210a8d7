using System.Text.RegularExpressions;

namespace SqlSync.Documents;

/// <summary>Rules for document ids and the names their databases get inside the page VFS.</summary>
internal static partial class DocumentIds
{
    private static long s_instance;

    /// <summary>Throws unless <paramref name="documentId"/> is 1–128 characters of letters, digits, '.', '_' or '-'.</summary>
    public static void Validate(string documentId)
    {
        if (documentId is null || !ValidId().IsMatch(documentId))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"Document id '{documentId}' is not valid: use 1–128 letters, digits, '.', '_' or '-'.");
        }
    }

    /// <summary>A VFS file name unique in this process, so two documents (or replicas) never share pages.</summary>
    public static string NewFileName(string documentId, string role) =>
        $"{documentId}.{role}.{Interlocked.Increment(ref s_instance)}";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex ValidId();
}
