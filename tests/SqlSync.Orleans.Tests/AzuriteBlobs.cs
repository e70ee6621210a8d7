using System.Diagnostics;
using System.Globalization;

namespace SqlSync.Orleans.Tests;

/// <summary>
/// Azurite's blob service for one test (the journals of a cluster on object storage): the copy pinned in eng/azurite
/// (installed by <see cref="AzuriteInstall"/> when missing), on 127.0.0.1 with a free port and a temporary folder,
/// killed and deleted when disposed.
/// </summary>
internal sealed class AzuriteBlobs : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key (public, in Azurite's documentation).</summary>
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _folder;

    private AzuriteBlobs(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    public static async Task<AzuriteBlobs> StartAsync()
    {
        string package = Path.Combine(ClusterExampleTests.RepositoryRoot(), "eng", "azurite");
        string? error = AzuriteInstall.Ensure(package);
        Assert.True(error is null, error);
        string folder = Path.Combine(Path.GetTempPath(), "sqlsync-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        int port = FreePort.Next();
        var start = new ProcessStartInfo(Path.Combine(package, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite-blob.cmd" : "azurite-blob"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture),
            "--location", folder, "--skipApiVersionCheck", "--silent", "--loose" })
        {
            start.ArgumentList.Add(argument);
        }

        var azurite = new AzuriteBlobs(Process.Start(start)!, folder, port);
        azurite._process.OutputDataReceived += (_, _) => { };
        azurite._process.ErrorDataReceived += (_, _) => { };
        azurite._process.BeginOutputReadLine();
        azurite._process.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(() => Accepts(port), "Azurite listens", TimeSpan.FromSeconds(90));
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
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: Azurite may still be closing its files.
        }
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
