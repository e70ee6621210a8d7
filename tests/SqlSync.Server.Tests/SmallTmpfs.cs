using System.Diagnostics;

namespace SqlSync.Server.Tests;

/// <summary>
/// A small tmpfs mounted on a directory (Linux, as root): a real file system that fills up. Unmounted on dispose.
/// </summary>
internal sealed class SmallTmpfs : IDisposable
{
    private static readonly Lazy<string?> WhyNot = new(Probe);

    private SmallTmpfs(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>Why a tmpfs cannot be mounted here, or null when it can.</summary>
    public static string? Unavailable => WhyNot.Value;

    public static SmallTmpfs Mount(string directory, string size)
    {
        System.IO.Directory.CreateDirectory(directory);
        Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", directory);
        return new SmallTmpfs(directory);
    }

    public void Dispose() => Run("umount", "-l", Directory);

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "a tmpfs needs Linux";
        }

        if (Environment.UserName != "root")
        {
            return "mounting a tmpfs needs root";
        }

        string directory = Path.Combine(Path.GetTempPath(), "sqlsync-tmpfs-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (Mount(directory, "64k"))
            {
            }

            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"cannot mount a tmpfs here: {e.Message}";
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(directory);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed: {error.Trim()}");
        }
    }
}

/// <summary>A fact that is skipped, with the reason, where a small tmpfs cannot be mounted.</summary>
internal sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (SmallTmpfs.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
