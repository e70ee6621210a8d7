namespace SqlSync.Testing.Snapshots;

/// <summary>
/// The explicit accept step: turns every <c>*.received.*</c> file under a directory into its
/// <c>*.verified.*</c> file. Run it after reviewing the diffs (or use <c>eng/accept-snapshots.sh</c>);
/// nothing calls it on its own.
/// </summary>
public static class ReceivedSnapshots
{
    /// <summary>The received files under <paramref name="root"/> (recursively, skipping <c>bin</c> and <c>obj</c>), in ordinal order.</summary>
    public static IReadOnlyList<string> Find(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        return Directory.EnumerateFiles(root, "*.received.*", SearchOption.AllDirectories)
            .Where(path => !IsBuildOutput(Path.GetRelativePath(root, path)))
            .OrderBy(path => path, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Replaces each verified file with its received file; returns the verified paths written.</summary>
    public static IReadOnlyList<string> AcceptAll(string root)
    {
        var accepted = new List<string>();
        foreach (string received in Find(root))
        {
            string verified = VerifiedPathFor(received);
            File.Move(received, verified, overwrite: true);
            accepted.Add(verified);
        }

        return accepted;
    }

    /// <summary><c>Name.received.ext</c> → <c>Name.verified.ext</c>.</summary>
    public static string VerifiedPathFor(string receivedPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(receivedPath);
        string file = Path.GetFileName(receivedPath);
        int at = file.LastIndexOf(".received.", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new ArgumentException($"{receivedPath} is not a received snapshot (Name.received.ext).", nameof(receivedPath));
        }

        string verified = string.Concat(file.AsSpan(0, at), ".verified.", file.AsSpan(at + ".received.".Length));
        return Path.Combine(Path.GetDirectoryName(receivedPath) ?? "", verified);
    }

    private static bool IsBuildOutput(string relativePath) => relativePath
        .Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
        .Any(segment => segment is "bin" or "obj");
}
