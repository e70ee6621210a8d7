using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace SqlSync.Benchmarks;

/// <summary>
/// The parent's handle on a <see cref="ServerChild"/>: starts this same program in its server mode (through the dotnet
/// host when this one runs through it), or another build of it given as an executable (a self-contained single-file
/// publish: how a production server may be deployed), reads its address, sends it commands and reads its replies; its
/// resident set and open files are read from /proc/PID (<see cref="ProcessMemory"/>). Disposing quits the child (killed
/// if it does not exit within 30 s).
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ChannelReader<string> _lines;

    private ServerProcess(Process process, ChannelReader<string> lines, Uri syncUri)
    {
        _process = process;
        _lines = lines;
        SyncUri = syncUri;
    }

    public Uri SyncUri { get; }

    public int Pid => _process.Id;

    /// <param name="documentIdleTimeout">The server's <c>DocumentIdleTimeout</c>; null keeps its default.</param>
    /// <param name="serverExe">
    /// An executable of this program to run the server with (its <c>server-child</c> mode), e.g. a self-contained
    /// single-file publish; null runs this same program.
    /// </param>
    /// <param name="slowDocument">A document whose first step the server holds until <see cref="ReleaseSlowStepAsync"/>; null for none.</param>
    public static async Task<ServerProcess> StartAsync(TimeSpan? documentIdleTimeout = null, string? serverExe = null, string? slowDocument = null)
    {
        if (serverExe is not null && !File.Exists(serverExe))
        {
            throw new FileNotFoundException($"the server executable '{serverExe}' does not exist", serverExe);
        }

        string host = serverExe is null ? Environment.ProcessPath! : Path.GetFullPath(serverExe);
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (serverExe is null && Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Not Assembly.Location: it is empty in a single-file publish (and the analyzer fails that publish on it).
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, typeof(ServerProcess).Assembly.GetName().Name + ".dll"));
        }

        start.ArgumentList.Add(ServerChild.Mode);
        if (documentIdleTimeout is TimeSpan idle)
        {
            start.ArgumentList.Add("--document-idle-timeout");
            start.ArgumentList.Add(idle.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        }

        if (slowDocument is not null)
        {
            start.ArgumentList.Add("--slow-document");
            start.ArgumentList.Add(slowDocument);
        }

        Process process = Process.Start(start)!;
        ChannelReader<string> lines = PumpLines(process);
        try
        {
            var uri = new Uri((await ReadReplyAsync(lines, "uri"))[1]);
            return new ServerProcess(process, lines, uri);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    public long RssBytes() => ProcessMemory.RssBytes(Pid);

    public int OpenFiles() => ProcessMemory.OpenFiles(Pid);

    /// <summary>The child's open descriptors by kind (<see cref="ProcessMemory.Files"/>).</summary>
    public string Files() => ProcessMemory.Files(Pid);

    /// <summary>The managed heap and resident set after the child's full compacting collections.</summary>
    public async Task<(long Managed, long Rss)> MeasureAsync()
    {
        string[] reply = await AskAsync("measure", "memory");
        return (long.Parse(reply[1], CultureInfo.InvariantCulture), long.Parse(reply[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The server's open documents and memory releases so far (its metrics).</summary>
    public async Task<(long Open, long Releases)> CountersAsync()
    {
        string[] reply = await AskAsync("counters", "counters");
        return (long.Parse(reply[1], CultureInfo.InvariantCulture), long.Parse(reply[2], CultureInfo.InvariantCulture));
    }

    /// <summary>The child's <see cref="ProcessMemory.Breakdown"/> (no collection).</summary>
    public async Task<string> BreakdownAsync() => string.Join(' ', (await AskAsync("breakdown", "breakdown")).Skip(1));

    /// <summary>The server's steps since the last call: how many, and their p50, p99 and longest duration in ms.</summary>
    public async Task<(int Count, double P50, double P99, double Max)> StepsAsync()
    {
        string[] reply = await AskAsync("steps", "steps");
        double At(int i) => double.Parse(reply[i], CultureInfo.InvariantCulture);
        return (int.Parse(reply[1], CultureInfo.InvariantCulture), At(2), At(3), At(4));
    }

    /// <summary>Methods the server's JIT has compiled so far (tiered rejits included): steady once it stops growing.</summary>
    public async Task<long> CompiledMethodsAsync() => long.Parse((await AskAsync("jit", "jit"))[1], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The server's compilations since the last call (<see cref="JitTrace.TakeSummary"/>; empty unless traced).</summary>
    public async Task<string> CompiledNamesAsync() => string.Join(' ', (await AskAsync("jit-names", "jit-names")).Skip(1));

    /// <summary>The server's open WebSocket connections (its metric <c>sqlsync.connections</c>).</summary>
    public async Task<long> ConnectionsAsync() => long.Parse((await AskAsync("connections", "connections"))[1], CultureInfo.InvariantCulture);

    /// <summary>Whether the slow document's held step runs now.</summary>
    public async Task<bool> SlowStepRunningAsync() => (await AskAsync("slow", "slow"))[1] == "1";

    /// <summary>Ends the slow document's held step (idempotent).</summary>
    public async Task ReleaseSlowStepAsync()
    {
        await _process.StandardInput.WriteLineAsync("release");
        await ReadReplyAsync(_lines, "released");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("quit");
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            _process.Kill();
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task<string[]> AskAsync(string command, string word)
    {
        await _process.StandardInput.WriteLineAsync(command);
        return await ReadReplyAsync(_lines, word);
    }

    /// <summary>
    /// Reads the child's output all the time, not only while a reply is awaited: its log lines (a warning per refused
    /// client, say) would otherwise fill the pipe and block the server mid-run.
    /// </summary>
    private static ChannelReader<string> PumpLines(Process process)
    {
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _ = Task.Run(async () =>
        {
            try
            {
                while (await process.StandardOutput.ReadLineAsync() is string line)
                {
                    lines.Writer.TryWrite(line);
                }
            }
            finally
            {
                lines.Writer.TryComplete();
            }
        });
        return lines.Reader;
    }

    /// <summary>The child's next line that starts with <paramref name="word"/>, split at spaces (its log lines are skipped).</summary>
    private static async Task<string[]> ReadReplyAsync(ChannelReader<string> lines, string word)
    {
        await foreach (string line in lines.ReadAllAsync())
        {
            if (line.StartsWith(word + " ", StringComparison.Ordinal))
            {
                return line.Split(' ');
            }
        }

        throw new InvalidOperationException($"the benchmark server exited before it printed '{word}'");
    }
}
