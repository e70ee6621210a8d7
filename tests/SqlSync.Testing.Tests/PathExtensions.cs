namespace SqlSync.Testing.Tests;

/// <summary>Small file-system helpers for the packaging test.</summary>
internal static class PathExtensions
{
    /// <summary>Creates the directory that will hold <paramref name="path"/> and returns the path.</summary>
    public static string EnsureDirectory(this string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
