using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Cluster;

/// <summary>
/// A silo as a child process of the orchestrator (this program again, with <c>--silo</c>): started with the storage
/// account in its environment, ready once it prints its port, killed with SIGKILL (nothing handed over) when the
/// run says so or at the end. Reads the silo's log lines, keeps the last ones for a failure report, and tracks the
/// documents its coordinator host has open.
/// </summary>
internal sealed partial class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<int> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _lastLines = new();
    private readonly HashSet<string> _open = new(StringComparer.Ordinal);
    private readonly bool _verbose;

    private SiloProcess(string name, Process process, bool verbose)
    {
        Name = name;
        _process = process;
        _verbose = verbose;
    }

    public string Name { get; }

    public int ProcessId => _process.Id;

    /// <summary>Kestrel's port (0 until ready).</summary>
    public int Port { get; private set; }

    public bool Killed { get; private set; }

    public bool IsUp => Port != 0 && !Killed && !_process.HasExited;

    /// <summary>The documents this silo's host has open now, by its log (a grain's document is open where the grain is).</summary>
    public IReadOnlyList<string> OpenDocuments
    {
        get
        {
            lock (_open)
            {
                return _open.Order(StringComparer.Ordinal).ToArray();
            }
        }
    }

    public static SiloProcess Start(string name, string clusterId, string container, string dataDirectory, string connectionString, bool verbose)
    {
        // This program again: the apphost under `dotnet run`, or `dotnet Cluster.dll` when started that way.
        string host = Environment.ProcessPath ?? throw new ClusterRunException("cannot tell which program to start for the silos");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(SiloProcess).Assembly.Location);
        }

        foreach (string argument in new[] { "--silo", "--name", name, "--cluster-id", clusterId, "--container", container,
            "--data", dataDirectory, "--parent", Environment.ProcessId.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[SiloServer.ConnectionStringVariable] = connectionString;
        start.Environment["DOTNET_NOLOGO"] = "1";
        Process process = Process.Start(start) ?? throw new ClusterRunException($"{name} did not start");
        var silo = new SiloProcess(name, process, verbose);
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data is null ? null : $"{name} stderr: {e.Data}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => silo._ready.TrySetException(new ClusterRunException($"{name} exited with code {SafeExitCode(process)} before it was ready"));
        return silo;
    }

    /// <summary>Waits until the silo serves clients (it joined the cluster and Kestrel listens).</summary>
    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        Port = await _ready.Task.WaitAsync(cancellationToken);
    }

    /// <summary>SIGKILL: the process dies at once, as a machine that loses power; Orleans learns it from missed probes.</summary>
    public void Kill()
    {
        Killed = true;
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // It had exited already.
        }

        lock (_open)
        {
            _open.Clear();
        }
    }

    /// <summary>The silo's last log lines, for a failure report.</summary>
    public IReadOnlyList<string> LastLines()
    {
        lock (_lastLines)
        {
            return _lastLines.ToArray();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.StartsWith(SiloServer.ReadyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult(int.Parse(line.AsSpan(SiloServer.ReadyLine.Length), CultureInfo.InvariantCulture));
            return;
        }

        if (OpenedLine().Match(line) is { Success: true } opened)
        {
            lock (_open)
            {
                _open.Add(opened.Groups[1].Value);
            }
        }
        else if (ClosedLine().Match(line) is { Success: true } closed)
        {
            lock (_open)
            {
                _open.Remove(closed.Groups[1].Value);
            }
        }

        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }

        if (_verbose)
        {
            Console.WriteLine("    | " + line);
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    // The coordinator host's own log lines (CoordinatorHost.Lifecycle.cs).
    [GeneratedRegex(@"CoordinatorHost: Document (\S+) opened:")]
    private static partial Regex OpenedLine();

    [GeneratedRegex(@"CoordinatorHost: Document (\S+) closed \(")]
    private static partial Regex ClosedLine();
}
