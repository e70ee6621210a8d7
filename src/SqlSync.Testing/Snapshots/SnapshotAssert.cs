using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace SqlSync.Testing.Snapshots;

/// <summary>
/// Compares text with a committed snapshot, following Verify's conventions: <c>Name.verified.ext</c>
/// beside the test file is the accepted text; on a mismatch <c>Name.received.ext</c> is written beside
/// it and the failure shows a unified diff. Snapshots are never accepted automatically: set
/// <c>SQLSYNC_ACCEPT_SNAPSHOTS=1</c> to overwrite the verified files with what the tests produced, or
/// rename the received files (<see cref="ReceivedSnapshots.AcceptAll"/>, <c>eng/accept-snapshots.sh</c>).
/// Works with any test framework: a mismatch throws <see cref="SnapshotMismatchException"/>.
/// </summary>
public static class SnapshotAssert
{
    /// <summary>The environment variable that, set to 1, accepts received text as the new snapshot.</summary>
    public const string AcceptVariable = "SQLSYNC_ACCEPT_SNAPSHOTS";

    /// <summary>True when <see cref="AcceptVariable"/> is set to 1 for this process.</summary>
    public static bool AcceptRequested => Environment.GetEnvironmentVariable(AcceptVariable) == "1";

    /// <summary>Checks <paramref name="actual"/> against <c>{name}.verified.{extension}</c> beside the calling test file.</summary>
    /// <param name="actual">The text the test produced.</param>
    /// <param name="name">The snapshot's name, e.g. <c>"TodoTests.AddTodo"</c>.</param>
    /// <param name="extension">The file extension without a dot: <c>txt</c>, <c>cs</c>, …</param>
    /// <param name="callerFile">Filled in by the compiler: the test's source file, whose directory holds the snapshots.</param>
    public static void Matches(string actual, string name, string extension = "txt", [CallerFilePath] string callerFile = "")
    {
        if (string.IsNullOrEmpty(callerFile))
        {
            throw new ArgumentException("The caller's file path is unknown; pass the snapshot directory to MatchesIn.", nameof(callerFile));
        }

        MatchesIn(Path.GetDirectoryName(callerFile)!, actual, name, extension);
    }

    /// <summary>Checks <paramref name="actual"/> against <c>{name}.verified.{extension}</c> in <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory that holds the snapshot files.</param>
    /// <param name="actual">The text the test produced.</param>
    /// <param name="name">The snapshot's name.</param>
    /// <param name="extension">The file extension without a dot.</param>
    public static void MatchesIn(string directory, string actual, string name, string extension = "txt") =>
        Check(directory, actual, name, extension, AcceptRequested);

    /// <summary>A unified-style diff (<c>-</c> verified, <c>+</c> received) with two lines of context.</summary>
    public static string UnifiedDiff(string expected, string actual)
    {
        DiffPaneModel diff = InlineDiffBuilder.Diff(expected, actual, ignoreWhiteSpace: false);
        var lines = diff.Lines;
        var show = new bool[lines.Count];
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Type is ChangeType.Inserted or ChangeType.Deleted)
            {
                for (int j = Math.Max(0, i - 2); j <= Math.Min(lines.Count - 1, i + 2); j++)
                {
                    show[j] = true;
                }
            }
        }

        var text = new StringBuilder("--- verified\n+++ received\n");
        bool skipped = false;
        for (int i = 0; i < lines.Count; i++)
        {
            if (!show[i])
            {
                skipped = true;
                continue;
            }

            if (skipped)
            {
                text.Append("@@ line ").Append(i + 1).Append(" @@\n");
                skipped = false;
            }

            char prefix = lines[i].Type switch
            {
                ChangeType.Inserted => '+',
                ChangeType.Deleted => '-',
                _ => ' ',
            };
            text.Append(prefix).Append(lines[i].Text).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The comparison itself; <paramref name="accept"/> overwrites the verified file instead of failing.</summary>
    internal static void Check(string directory, string actual, string name, string extension, bool accept)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(extension);
        string verifiedPath = Path.Combine(directory, $"{name}.verified.{extension}");
        string receivedPath = Path.Combine(directory, $"{name}.received.{extension}");
        string normalized = Normalize(actual);

        if (accept)
        {
            File.WriteAllText(verifiedPath, normalized);
            File.Delete(receivedPath);
            return;
        }

        if (!File.Exists(verifiedPath))
        {
            File.WriteAllText(receivedPath, normalized);
            throw new SnapshotMismatchException(
                $"No snapshot {verifiedPath} yet. The output was written to {receivedPath}; review it, then accept it by " +
                $"renaming it to {Path.GetFileName(verifiedPath)} or by running the tests with {AcceptVariable}=1.");
        }

        string expected = Normalize(File.ReadAllText(verifiedPath));
        if (expected == normalized)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, normalized);
        throw new SnapshotMismatchException(
            $"Snapshot {Path.GetFileName(verifiedPath)} differs; the output was written to {receivedPath}. " +
            $"Accept it with {AcceptVariable}=1 (or rename it to {Path.GetFileName(verifiedPath)}) if the change is intended.\n" +
            UnifiedDiff(expected, normalized));
    }

    /// <summary>LF line ends and exactly one final newline, so a checkout's line endings never make a diff.</summary>
    internal static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";
}
