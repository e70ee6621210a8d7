namespace SqlSync.Storage;

/// <summary>What SQLite's tokenizer skips between statements, found without SQLite.</summary>
internal static class SqlText
{
    /// <summary>
    /// The offset of the first byte at or after <paramref name="start"/> that is not whitespace, a comment
    /// (<c>-- …</c> to the end of the line, <c>/* … */</c> or unterminated to the end) or a semicolon; the
    /// length of <paramref name="utf8"/> when there is none. It never skips more than SQLite would, so a
    /// text it calls blank holds no statement.
    /// </summary>
    public static int SkipBlank(ReadOnlySpan<byte> utf8, int start)
    {
        int i = start;
        while (i < utf8.Length)
        {
            byte c = utf8[i];
            if (c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\f' or (byte)'\r' or (byte)';')
            {
                i++;
            }
            else if (c == '-' && i + 1 < utf8.Length && utf8[i + 1] == '-')
            {
                int end = utf8[(i + 2)..].IndexOf((byte)'\n');
                i = end < 0 ? utf8.Length : i + 2 + end + 1;
            }
            else if (c == '/' && i + 1 < utf8.Length && utf8[i + 1] == '*')
            {
                int end = utf8[(i + 2)..].IndexOf("*/"u8);
                i = end < 0 ? utf8.Length : i + 2 + end + 2;
            }
            else
            {
                break;
            }
        }

        return i;
    }
}
