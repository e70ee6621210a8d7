namespace SqlSync.Runtime.Tests.Convergence;

/// <summary>
/// A fresh directory for journals that only need to survive a simulated process restart, deleted on dispose.
/// Prefers a RAM-backed /dev/shm where there is one, so the journals' fsyncs cost nothing in long runs.
/// </summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory(bool preferMemoryBacked)
    {
        string parent = preferMemoryBacked && OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(parent, "sqlsync-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A subdirectory path (not created).</summary>
    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a test that failed may still hold a file open.
        }
    }
}
