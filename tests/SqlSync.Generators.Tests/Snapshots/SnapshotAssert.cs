using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace SqlSync.Generators.Tests.Snapshots;

/// <summary>
/// Compares text with a committed snapshot, following Verify's conventions: <c>Name.verified.cs</c>
/// beside the test file is the accepted text; on a mismatch <c>Name.received.cs</c> is written beside
/// it and the failure shows a unified diff. Snapshots are never accepted automatically: set
/// <c>SQLSYNC_ACCEPT_SNAPSHOTS=1</c> to overwrite the verified files with what the test produced.
/// </summary>
public static class SnapshotAssert
{
    /// <summary>The environment variable that, set to 1, accepts received text as the new snapshot.</summary>
    public const string AcceptVariable = "SQLSYNC_ACCEPT_SNAPSHOTS";

    /// <summary>Checks <paramref name="actual"/> against <c>{name}.verified.{extension}</c> beside the calling test file.</summary>
    public static void Matches(string actual, string name, string extension = "cs", [CallerFilePath] string callerFile = "")
    {
        string directory = Path.GetDirectoryName(callerFile)!;
        string verifiedPath = Path.Combine(directory, $"{name}.verified.{extension}");
        string receivedPath = Path.Combine(directory, $"{name}.received.{extension}");
        string normalized = Normalize(actual);

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
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
            $"Accept it with {AcceptVariable}=1 if the change is intended.\n{UnifiedDiff(expected, normalized)}");
    }

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

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";
}
