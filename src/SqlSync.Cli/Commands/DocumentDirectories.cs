namespace SqlSync.Cli.Commands;

/// <summary>Finds document directories: the path itself, or each child of a server's data directory.</summary>
internal static class DocumentDirectories
{
    public static IReadOnlyList<string> Find(string path)
    {
        if (!Directory.Exists(path))
        {
            throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument, $"The directory '{path}' does not exist.");
        }

        if (Directory.Exists(Path.Combine(path, "storage")))
        {
            return new[] { path };
        }

        string[] children = Directory.EnumerateDirectories(path)
            .Where(child => Directory.Exists(Path.Combine(child, "storage")))
            .Order(StringComparer.Ordinal)
            .ToArray();
        return children.Length > 0
            ? children
            : throw new SqlSyncException(SqlSyncErrorCode.InvalidArgument,
                $"'{path}' is neither a SqlSync document directory nor a data directory that holds some.");
    }
}
