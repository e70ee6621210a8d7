using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;

namespace SqlSync.Storage.Azure;

/// <summary>
/// Azurite's blob service for one test class (decision 0031): started from the copy pinned in eng/azurite
/// (<c>npm ci --prefix eng/azurite</c>, or the path in <c>SQLSYNC_AZURITE</c>) on 127.0.0.1 with a free port and a
/// temporary folder, stopped and deleted after. Missing Azurite fails the tests with how to install it: a test
/// that skips silently cannot fail.
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
        string? script = FindAzurite();
        if (script is null)
        {
            StartError = "Azurite is not installed: run `npm ci --prefix eng/azurite` in the repository (needs node and npm), " +
                "or set SQLSYNC_AZURITE to the path of azurite-blob. .ci/run does the former.";
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
