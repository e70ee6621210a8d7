using System.Diagnostics;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace SqlSync.Benchmarks;

/// <summary>What the figures were taken on.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Memory, string Os, string Dotnet, string Sqlite)
{
    public static MachineInfo Describe()
    {
        Batteries_V2.Init();
        return new MachineInfo(CpuModel(), Environment.ProcessorCount, TotalMemory(), OsName(),
            $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})",
            raw.sqlite3_libversion().utf8_to_string());
    }

    /// <summary>The 1-minute load average, or null where /proc/loadavg does not exist.</summary>
    public static string LoadAverage()
    {
        try
        {
            string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} / {parts[1]} / {parts[2]}";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string CpuModel()
    {
        string? lscpu = Run("lscpu");
        string? line = lscpu?.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("Model name:", StringComparison.Ordinal));
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
    }

    private static string TotalMemory()
    {
        try
        {
            string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out long kib))
            {
                return $"{kib / 1024.0 / 1024.0:0.0} GiB";
            }
        }
        catch (IOException)
        {
        }

        return $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB (GC view)";
    }

    private static string OsName()
    {
        try
        {
            string? line = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            if (line is not null)
            {
                return $"{line["PRETTY_NAME=".Length..].Trim('"')}, kernel {Environment.OSVersion.Version}";
            }
        }
        catch (IOException)
        {
        }

        return RuntimeInformation.OSDescription;
    }

    private static string? Run(string program)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false });
            if (process is null)
            {
                return null;
            }

            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
