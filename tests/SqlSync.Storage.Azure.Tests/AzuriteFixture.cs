using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;

namespace SqlSync.Storage.Azure;

/// <summary>
/// Azurite's blob service for one test class (decision 0031): started from the copy pinned in eng/azurite (installed
/// with <c>npm ci --prefix eng/azurite</c> by the first fixture that finds it missing, so a plain <c>dotnet test</c>
/// needs nothing more than Node.js and npm on the machine; or the path in <c>SQLSYNC_AZURITE</c>) on 127.0.0.1 with a
/// free port and a temporary folder, stopped and deleted after. When Azurite cannot be had the tests fail and say why:
/// a test that skips silently cannot fail.
/// </summary>
public sealed class AzuriteFixture : IDisposable
{
    /// <summary>Azurite's well-known development account (public, in Azurite's documentation).</summary>
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process? _process;
    private readonly string _folder;
    private int _containers;

    public AzuriteFixture()
    {
        _folder = Path.Combine(Path.GetTempPath(), "sqlsync-azurite-" + Guid.NewGuid().ToString("N"));
        string? installError = null;
        string? script = FindAzurite() ?? InstallAzurite(out installError);
        if (script is null)
        {
            StartError = installError ?? "Azurite could not be installed.";
            return;
        }

        Directory.CreateDirectory(_folder);
        Port = FreePort();
        var start = new ProcessStartInfo(script)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--location", _folder, "--skipApiVersionCheck", "--silent", "--loose" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (_errors) { _errors.Add(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        StartError = WaitUntilListening(TimeSpan.FromSeconds(120));
    }

    private readonly List<string> _errors = new();

    /// <summary>Why Azurite is not there, or null when it runs.</summary>
    public string? StartError { get; }

    public int Port { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    /// <summary>A fresh container for one test; fails the test with <see cref="StartError"/> when Azurite is missing.</summary>
    public BlobContainerClient NewContainer(Action<BlobClientOptions>? configure = null)
    {
        if (StartError is not null)
        {
            throw new InvalidOperationException(StartError);
        }

        var service = new BlobServiceClient(ConnectionString, BlobRequests.ClientOptions(configure));
        BlobContainerClient container = service.GetBlobContainerClient($"t{Interlocked.Increment(ref _containers)}-{Guid.NewGuid():N}");
        BlobJournalStore.EnsureContainer(container);
        return container;
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        try
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: Azurite may still be closing its files.
        }
    }

    private string? WaitUntilListening(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process!.HasExited)
            {
                lock (_errors)
                {
                    return $"Azurite exited with code {_process.ExitCode} at start: {string.Join(" | ", _errors)}";
                }
            }

            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return null;
            }
            catch (SocketException)
            {
                Thread.Sleep(100); // polling a condition (the port accepts) under a deadline
            }
        }

        return $"Azurite did not listen on port {Port} within {timeout.TotalSeconds} s.";
    }

    private static readonly object InstallLock = new();

    /// <summary>
    /// Runs <c>npm ci --prefix eng/azurite</c> once per test run (the fixtures of several classes may ask at once): the
    /// pinned version from its lockfile. Null with the reason when there is no npm or the install fails.
    /// </summary>
    private static string? InstallAzurite(out string? error)
    {
        lock (InstallLock)
        {
            error = null;
            if (FindAzurite() is { } installed)
            {
                return installed;
            }

            if (Environment.GetEnvironmentVariable("SQLSYNC_AZURITE") is { Length: > 0 } configured)
            {
                error = $"SQLSYNC_AZURITE names '{configured}', which does not exist.";
                return null;
            }

            string? package = null;
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null && package is null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "eng", "azurite");
                package = File.Exists(Path.Combine(candidate, "package-lock.json")) ? candidate : null;
            }

            if (package is null)
            {
                error = "Azurite is not installed and eng/azurite was not found above the test's folder: set SQLSYNC_AZURITE to the path of azurite-blob.";
                return null;
            }

            // Other test projects (examples/Cluster's test) may install at the same time: one install at a time, by a
            // lock file beside the lockfile, and the second finds the first one's.
            using FileStream held = InstallFileLock(package);
            if (FindAzurite() is { } installedMeanwhile)
            {
                return installedMeanwhile;
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
                    error = $"`npm ci --prefix {package}` (installing Azurite for the object-storage tests) did not finish in 10 minutes.";
                    return null;
                }

                if (process.ExitCode != 0)
                {
                    error = $"`npm ci --prefix {package}` (installing Azurite for the object-storage tests) failed with exit code {process.ExitCode}: {output.Result}{errors.Result}";
                    return null;
                }
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                error = $"The object-storage tests need Azurite, installed with npm from eng/azurite, and npm could not be started ({e.Message}): " +
                    "install Node.js and npm, or set SQLSYNC_AZURITE to the path of an azurite-blob.";
                return null;
            }

            error = FindAzurite() is null ? $"`npm ci --prefix {package}` succeeded but left no node_modules/.bin/azurite-blob." : null;
            return FindAzurite();
        }
    }

    /// <summary>eng/azurite/.npm-ci.lock, held while installing; waits for another process's install.</summary>
    private static FileStream InstallFileLock(string package)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(Path.Combine(package, ".npm-ci.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(11))
            {
                Thread.Sleep(500); // another project's install: waiting for its lock under a deadline
            }
        }
    }

    /// <summary>eng/azurite/node_modules/.bin/azurite-blob above the test's folder, or SQLSYNC_AZURITE.</summary>
    private static string? FindAzurite()
    {
        if (Environment.GetEnvironmentVariable("SQLSYNC_AZURITE") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "eng", "azurite", "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite-blob.cmd" : "azurite-blob");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
