namespace SqlSync.Cli;

/// <summary>
/// Every error the tool reports: one line on standard error, <c>error: </c> first, never wrapped (a message
/// with line breaks or tabs is joined into one line), so a script can grep it and a log keeps it whole.
/// </summary>
internal static class ErrorLine
{
    public const string Prefix = "error: ";

    public static void Write(string message) => Console.Error.WriteLine(Prefix + OneLine(message));

    /// <summary><paramref name="text"/> with every run of line breaks and tabs (and the spaces around them) as one space.</summary>
    public static string OneLine(string text)
    {
        string[] parts = text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(' ', parts);
    }
}
