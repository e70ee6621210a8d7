using System.Diagnostics;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// Installs the Azurite pinned in eng/azurite (<c>npm ci --prefix eng/azurite</c>) when it is missing, as the
/// object-storage tests' fixture does (decision 0031), so a plain <c>dotnet test</c> needs only Node.js and npm. Test
/// projects run at once: both take <c>eng/azurite/.npm-ci.lock</c> first, so one installs and the other finds it done.
/// </summary>
internal static class AzuriteInstall
{
    /// <summary>Null when Azurite is there (installed now or before); otherwise why not.</summary>
    public static string? Ensure(string package)
    {
        if (Installed(package))
        {
            return null;
        }

        using FileStream held = Lock(package);
        if (Installed(package))
        {
            return null;
        }

        var npm = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "ci", "--prefix", package, "--no-audit", "--no-fund", "--loglevel=error" })
        {
            npm.ArgumentList.Add(argument);
        }

        try
        {
            using Process process = Process.Start(npm)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                return $"`npm ci --prefix {package}` (installing Azurite for examples/Cluster) did not finish in 10 minutes.";
            }

            if (process.ExitCode != 0)
            {
                return $"`npm ci --prefix {package}` (installing Azurite for examples/Cluster) failed with exit code {process.ExitCode}: {output.Result}{errors.Result}";
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"examples/Cluster needs Azurite, installed with npm from eng/azurite, and npm could not be started ({e.Message}): install Node.js and npm.";
        }

        return Installed(package) ? null : $"`npm ci --prefix {package}` succeeded but left no node_modules/.bin/azurite.";
    }

    private static bool Installed(string package) =>
        File.Exists(Path.Combine(package, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite"));

    /// <summary>The install lock shared with the object-storage tests' fixture; waits for another process's install.</summary>
    internal static FileStream Lock(string package)
    {
        string path = Path.Combine(package, ".npm-ci.lock");
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(11))
            {
                Thread.Sleep(500); // another test project installs now: waiting for its lock under a deadline
            }
        }
    }
}
