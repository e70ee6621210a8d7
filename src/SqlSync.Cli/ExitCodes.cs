namespace SqlSync.Cli;

/// <summary>What <c>sqlsync</c> exits with.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Success = 0;
    /// <summary>Wrong arguments, a path that does not exist or an export target that exists without --force (System.CommandLine reports parse errors with this code too).</summary>
    public const int Usage = 1;
    /// <summary>A corrupt or unreadable document.</summary>
    public const int BadData = 2;
    /// <summary>Something unexpected.</summary>
    public const int Failure = 3;
    /// <summary>
    /// A torn tail: a journal ends with part of a frame (an append cut short by a crash or a full disk, never
    /// acknowledged) and is otherwise sound. Left as it is; the server or client cuts it when it next opens the
    /// document. Corruption anywhere is <see cref="BadData"/> instead.
    /// </summary>
    public const int TornTail = 4;
    /// <summary>The document is open in a running server or client (its journal lock is held): nothing was read.</summary>
    public const int InUse = 5;

    /// <summary>The exit codes in one line, for <c>sqlsync --help</c> (the README has the same table).</summary>
    public const string Summary =
        "Exit codes: 0 done, every document sound; 1 wrong arguments, a missing path or an export target that exists; 2 a corrupt or unreadable document; " +
        "3 something unexpected; 4 a torn tail, otherwise sound; 5 in use by a running server or client (nothing read); several documents: the worst.";

    /// <summary>The line width when standard output is a file or a pipe: wide enough that nothing wraps.</summary>
    public const int RedirectedWidth = 4096;

    /// <summary>The code for several documents: the worst of them (bad data, then in use, then torn tail, then success).</summary>
    public static int Worst(int a, int b) => Rank(a) >= Rank(b) ? a : b;

    private static int Rank(int code) => code switch
    {
        Success => 0,
        TornTail => 1,
        InUse => 2,
        _ => 3,
    };
}
