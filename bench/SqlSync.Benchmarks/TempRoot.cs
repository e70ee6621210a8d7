namespace SqlSync.Benchmarks;

/// <summary>A fresh directory under the system temp directory, deleted on dispose.</summary>
internal sealed class TempRoot : IDisposable
{
    public TempRoot(string label)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sqlsync-bench-{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a leftover temp directory is harmless
        }
    }
}
