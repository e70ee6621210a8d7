using System.Text;

namespace SqlSync.Documents;

/// <summary>
/// Who owns a timeline on the server: the principal (null: anonymous) and the SHA-256 hash of the timeline's secret
/// (null in a record written before secrets existed). Stored in <c>owners/TIMELINE</c> beside the document's
/// journals, never in the replicated storage. The file is <c>sqlsync-owner 2</c>, the hash in hexadecimal, then
/// <c>principal:NAME</c> for a named principal, one per line (the name runs to the end of the file); a file
/// without the first line is a previous version's, whose whole text is the principal.
/// </summary>
internal sealed record TimelineOwnerRecord(string? Principal, byte[]? SecretHash)
{
    private const string Header = "sqlsync-owner 2\n";
    private const string PrincipalPrefix = "principal:";

    public static TimelineOwnerRecord? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        string text = File.ReadAllText(path, Encoding.UTF8);
        if (!text.StartsWith(Header, StringComparison.Ordinal))
        {
            return new TimelineOwnerRecord(text, null); // version 1: the principal alone
        }

        string rest = text[Header.Length..];
        int newline = rest.IndexOf('\n', StringComparison.Ordinal);
        string hash = newline < 0 ? rest : rest[..newline];
        string tail = newline < 0 ? "" : rest[(newline + 1)..];
        byte[] secretHash;
        try
        {
            secretHash = Convert.FromHexString(hash);
        }
        catch (FormatException ex)
        {
            throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt, $"The owner record of timeline {Path.GetFileName(path)} is damaged.", ex);
        }

        string? principal = tail.StartsWith(PrincipalPrefix, StringComparison.Ordinal) ? tail[PrincipalPrefix.Length..] : null;
        return new TimelineOwnerRecord(principal, secretHash);
    }

    /// <summary>Writes the record durably: a temporary file, fsync'd, renamed over the old one.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new StringBuilder(Header).Append(Convert.ToHexString(SecretHash ?? Array.Empty<byte>())).Append('\n');
        if (Principal is not null)
        {
            text.Append(PrincipalPrefix).Append(Principal);
        }

        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
