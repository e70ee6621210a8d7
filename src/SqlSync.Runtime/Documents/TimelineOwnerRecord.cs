using System.Text;

namespace SqlSync.Documents;

/// <summary>
/// Who owns a timeline on the server: the principal (null: anonymous) and the SHA-256 hash of the timeline's secret
/// (null in a record written before secrets existed). Stored as the note <c>owners/TIMELINE</c> of the document's
/// journal store (a file beside the journals, or an object), never in the replicated storage. The file is <c>sqlsync-owner 2</c>, the hash in hexadecimal, then
/// <c>principal:NAME</c> for a named principal, one per line (the name runs to the end of the file); a file
/// without the first line is a previous version's, whose whole text is the principal.
/// </summary>
internal sealed record TimelineOwnerRecord(string? Principal, byte[]? SecretHash)
{
    private const string Header = "sqlsync-owner 2\n";
    private const string PrincipalPrefix = "principal:";

    /// <summary>Reads a record from its bytes; <paramref name="timeline"/> names it in the error when it is damaged.</summary>
    public static TimelineOwnerRecord Parse(byte[] bytes, string timeline)
    {
        string text = Encoding.UTF8.GetString(bytes);
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
            throw new SqlSyncException(SqlSyncErrorCode.JournalCorrupt, $"The owner record of timeline {timeline} is damaged.", ex);
        }

        string? principal = tail.StartsWith(PrincipalPrefix, StringComparison.Ordinal) ? tail[PrincipalPrefix.Length..] : null;
        return new TimelineOwnerRecord(principal, secretHash);
    }

    /// <summary>The record's bytes (written whole by the journal store: a temporary file renamed, or one object).</summary>
    public byte[] Encode()
    {
        var text = new StringBuilder(Header).Append(Convert.ToHexString(SecretHash ?? Array.Empty<byte>())).Append('\n');
        if (Principal is not null)
        {
            text.Append(PrincipalPrefix).Append(Principal);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
