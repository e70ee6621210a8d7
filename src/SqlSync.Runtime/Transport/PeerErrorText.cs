using System.Text.RegularExpressions;

namespace SqlSync.Transport;

/// <summary>
/// The text of an error frame: one line, at most 1,000 characters, with every absolute path replaced by
/// <c>&lt;path&gt;</c>. Errors are built to name files relative to their document, but an exception from
/// the operating system or a library may still carry the server's full path, and a peer must not learn the
/// server's layout. The log keeps the full message.
/// </summary>
internal static partial class PeerErrorText
{
    public const int MaxLength = 1000;

    /// <summary>The message as a peer may see it.</summary>
    public static string Of(string message)
    {
        string text = AbsolutePath().Replace(message, "<path>").ReplaceLineEndings(" ");
        return text.Length <= MaxLength ? text : text[..MaxLength];
    }

    // A Unix path of two or more segments not glued to a word ("read/write", "1/2" stay), a Windows drive
    // path, or a UNC path.
    [GeneratedRegex(@"(?<![\w.~/\\])/[^\s'""/\\<>|:;,()\[\]]+(?:/[^\s'""/\\<>|:;,()\[\]]*)+|\b[A-Za-z]:\\[^\s'""<>|]*|\\\\[^\s'""<>|\\]+\\[^\s'""<>|]*",
        RegexOptions.CultureInvariant)]
    private static partial Regex AbsolutePath();
}
