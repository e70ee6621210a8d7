using System.Diagnostics;
using System.Globalization;

namespace Cluster;

/// <summary>
/// Azurite (the Azure Storage emulator) with its blob service (the documents' journals) and its table service
/// (Orleans' membership table), started from the copy the repository pins in eng/azurite on 127.0.0.1 with free ports
/// and a temporary folder; killed and deleted when disposed.
/// </summary>
internal sealed class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key (public, in Azurite's documentation).</summary>
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _folder;
    private readonly List<string> _output = new();

    private Azurite(Process process, string folder, int blobPort, int tablePort)
    {
        _process = process;
        _folder = folder;
        BlobPort = blobPort;
        TablePort = tablePort;
    }

    public int BlobPort { get; }

    public int TablePort { get; }

    /// <summary>One connection string for both services (Orleans' table client and the blob journals).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    public static async Task<Azurite> StartAsync(string folder, CancellationToken cancellationToken)
    {
        string script = Find() ?? throw new ClusterRunException(
            "Azurite is not installed. From the repository's root run `npm ci --prefix eng/azurite` (needs Node.js and npm), then run this again.");
        Directory.CreateDirectory(folder);
        int blobPort = FreePort.Next(), tablePort = FreePort.Next(), queuePort = FreePort.Next();
        var start = new ProcessStartInfo(script)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The queue service is not used, but `azurite` starts it: a free port keeps it off the default 10001.
        // --skipApiVersionCheck: the Azure SDKs may speak a service version newer than this Azurite knows.
        foreach (string argument in new[] {
            "--blobHost", "127.0.0.1", "--blobPort", Invariant(blobPort),
            "--tableHost", "127.0.0.1", "--tablePort", Invariant(tablePort),
            "--queueHost", "127.0.0.1", "--queuePort", Invariant(queuePort),
            "--location", folder, "--skipApiVersionCheck", "--silent", "--loose" })
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start) ?? throw new ClusterRunException($"Azurite ({script}) did not start.");
        var azurite = new Azurite(process, folder, blobPort, tablePort);
        process.OutputDataReceived += (_, e) => azurite.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => azurite.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Node takes a while to start on a loaded machine (about 15 s was seen in the tests' fixture).
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(90));
            while (!await FreePort.AcceptsAsync(blobPort, deadline.Token) || !await FreePort.AcceptsAsync(tablePort, deadline.Token))
            {
                if (process.HasExited)
                {
                    throw new ClusterRunException($"Azurite exited with code {process.ExitCode} at start: {azurite.Output()}");
                }

                await Task.Delay(200, deadline.Token); // polling a condition (the ports accept) under a deadline
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await azurite.DisposeAsync();
            throw new ClusterRunException($"Azurite did not listen on ports {blobPort} and {tablePort} within 90 s: {azurite.Output()}");
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }

        return azurite;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already gone, or still closing: nothing more to do than to try the folder.
        }

        _process.Dispose();
        TempFolder.Delete(_folder);
    }

    /// <summary>eng/azurite/node_modules/.bin/azurite above this program's folder or the current one.</summary>
    private static string? Find()
    {
        string name = OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite";
        foreach (string from in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (DirectoryInfo? dir = new(from); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "eng", "azurite", "node_modules", ".bin", name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.Count == 0 ? "(no output)" : string.Join(" | ", _output.TakeLast(20));
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
